"""Faults injected into every exact method of both families (issue 11): a solver error, a time
limit eaten by model building, an interrupt (injected and a real SIGINT), and HiGHS's
per-process thread pool under any sequence of thread settings.

Each case asserts the status, that the incumbent passes its family's evaluator, and that the
bound is valid against an optimum computed independently (brute force for the scheduling model,
a clean ILP solve for the pulling models, cross-checked with the exhaustive search in
tests/pulling/ and tests/split/).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import partialopt as po
from partialopt.core.highs import inject
from partialopt.pulling import evaluate_pulling, solve_pulling, zoo_instance
from partialopt.split import evaluate_split, exhaustive_split, split_ilp

FAULTS = [("solve", "error", "error"), ("build", "timeout", "time_limit"), ("solve", "interrupt", "interrupted")]


@pytest.fixture(scope="module")
def sched(general_k8_seed1):
    """A general instance whose greedy start (4) is below the optimum (6), and that optimum."""
    inst = general_k8_seed1
    opt = po.solve(inst, "brute_force")
    assert opt.status == "optimal" and po.solve(inst, "greedy").objective < opt.objective
    return inst, opt.objective


@pytest.fixture(scope="module")
def pull(zoo_3x6):
    inst = zoo_3x6
    return inst, solve_pulling(inst, "ilp").objective


@pytest.fixture(scope="module")
def split(eua_3x6):
    inst = eua_3x6
    return inst, exhaustive_split(inst)


@pytest.mark.parametrize("point,fault,status", FAULTS)
@pytest.mark.parametrize(
    "method,options", [("milp", {"formulation": "arc"}), ("milp", {"formulation": "position"}), ("lp_bound", {})]
)
def test_scheduling_exact_methods_under_faults(sched, method, options, point, fault, status):
    inst, optimum = sched
    with inject(point, fault):
        res = po.solve(inst, method, **options)
    assert res.status == status, res.stats
    assert po.evaluate(inst, res.order, res.bandwidth).feasible
    assert res.bound is not None and res.bound >= optimum  # a valid upper bound
    assert res.objective <= optimum
    if method == "milp":
        assert res.objective == po.solve(inst, "greedy").objective  # the checked warm start is kept
    if status == "error":
        assert "error" in res.stats and res.stats["error"]
    assert res.gap == pytest.approx((res.bound - res.objective) / res.bound)


@pytest.mark.parametrize("point,fault,status", FAULTS)
@pytest.mark.parametrize("method", ["ilp", "no_sharing"])
def test_pulling_exact_methods_under_faults(pull, method, point, fault, status):
    inst, optimum = pull
    with inject(point, fault):
        res = solve_pulling(inst, method)
    assert res.status == status, res.stats
    ev = evaluate_pulling(inst, res.solution)  # both are reported on the real system (sharing)
    assert ev.feasible and res.objective == pytest.approx(ev.total)
    if method == "ilp":
        assert res.bound <= optimum + 1e-9 and res.bound <= res.objective + 1e-9  # a valid lower bound
    else:  # the baseline keeps the status of its solve without sharing, and no bound on the real problem
        assert res.bound is None and res.stats["status_without_sharing"] == status


@pytest.mark.parametrize("point,fault,status", FAULTS)
def test_split_ilp_under_faults(split, point, fault, status):
    inst, optimum = split
    with inject(point, fault):
        res = split_ilp(inst)
    assert res.status == status, res.stats
    total, viol = evaluate_split(inst, res.choice)
    assert not viol and res.objective == pytest.approx(total)
    assert res.bound <= optimum * (1 + 1e-9) + 1e-12


def test_heuristic_lps_raise_solver_error_never_a_result(pull):
    inst, _ = pull
    with inject("solve", "error"):
        for method in ("randomized_rounding", "most_popular"):
            with pytest.raises(po.SolverError):
                solve_pulling(inst, method)


def test_untrusted_dual_bound_is_resolved_without_presolve_or_reported(sched, monkeypatch):
    """A dual bound below the exactly checked incumbent is a solver failure: never optimal."""
    from partialopt.core import highs

    inst, optimum = sched
    real = highs.HighsRunner._report
    calls = []

    def lying(self, seconds):
        rep = real(self, seconds)
        calls.append(self.opt.highs_options.get("presolve", "on"))
        rep.bound = 1.0  # below the greedy warm start (4 served)
        return rep

    monkeypatch.setattr(highs.HighsRunner, "_report", lying)
    res = po.solve(inst, "milp")
    assert res.status == "error" and "below the exactly checked incumbent" in res.stats["error"]
    assert calls == ["on", "off"]  # solved again without presolve before giving up
    assert res.bound >= optimum and po.evaluate(inst, res.order).feasible


def test_real_sigint_returns_the_incumbent_as_interrupted():
    """Ctrl-C during a long MILP: status interrupted, a checked incumbent, a valid bound."""
    inst = po.generate("general", users=30, seed=1)
    greedy = po.solve(inst, "greedy").objective
    before = signal.getsignal(signal.SIGINT)  # default_int_handler; SIG_IGN when started in the background
    finished = threading.Event()

    def press():
        time.sleep(1.5)
        if not finished.is_set():
            os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=press, daemon=True).start()
    t0 = time.perf_counter()
    try:
        res = po.solve(inst, "milp", time_limit=120)
    finally:
        finished.set()
    assert time.perf_counter() - t0 < 30
    assert res.status == "interrupted", res.stats
    assert res.objective >= greedy and po.evaluate(inst, res.order, res.bandwidth).feasible
    assert res.bound is not None and res.bound >= res.objective
    assert signal.getsignal(signal.SIGINT) is before  # handler restored


def test_second_sigint_stops_at_once():
    inst = po.generate("general", users=30, seed=2)
    finished = threading.Event()

    def press_twice():
        from partialopt.core import interrupt

        time.sleep(1.5)
        for n in (1, 2):
            if finished.is_set():
                return
            os.kill(os.getpid(), signal.SIGINT)
            # two signals before Python runs its handler count as one: wait for the first
            deadline = time.monotonic() + 10
            while n == 1 and interrupt._state["presses"] < 1 and time.monotonic() < deadline:
                time.sleep(0.001)

    threading.Thread(target=press_twice, daemon=True).start()
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        try:
            po.solve(inst, "milp", time_limit=120)
        finally:
            finished.set()
    assert time.perf_counter() - t0 < 30


SEQUENCE = textwrap.dedent("""
    import json, sys
    import partialopt as po
    from partialopt.pulling import solve_pulling, zoo_instance
    from partialopt.split import eua_instance, split_ilp
    steps = json.loads(sys.argv[1])
    sched = po.generate("general", users=8, seed=1)
    pull = zoo_instance(3, 6, seed=0)
    spl = eua_instance(n_cloudlets=3, n_requests=6, seed=0)
    out = []
    for family, threads in steps:
        if family == "milp":
            r = po.solve(sched, "milp", threads=threads)
        elif family == "lp_bound":
            r = po.solve(sched, "lp_bound", threads=threads)
        elif family == "ilp":
            r = solve_pulling(pull, "ilp", threads=threads)
        else:
            r = split_ilp(spl, threads=threads)
        out.append([family, threads, r.status, round(float(r.objective), 9), None if r.bound is None else round(float(r.bound), 6)])
    print(json.dumps(out))
""")

STEPS = [["milp", None], ["ilp", 1], ["milp", 1], ["split", 2], ["lp_bound", 2], ["ilp", None], ["milp", 3]]


def _run_steps(steps) -> list:
    out = subprocess.run(
        [sys.executable, "-c", SEQUENCE, json.dumps(steps)], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_any_sequence_of_thread_settings_gives_the_answers_of_each_alone():
    """HiGHS keeps one thread pool per process; the runner resets it, so every solve in a mixed
    sequence (both families, both orders) equals the same solve run alone in a fresh process."""
    forward = _run_steps(STEPS)
    backward = _run_steps(STEPS[::-1])
    alone = {tuple(map(str, s)): _run_steps([s])[0] for s in STEPS}
    for row in forward + backward:
        ref = alone[(str(row[0]), str(row[1]))]
        assert row[2:] == ref[2:], (row, ref)
        assert row[2] in ("optimal", "feasible")


def test_same_process_sequences_match(sched, pull):
    """The same check in this process (the test suite's own state): milp, then the pulling ILP
    with one thread, then milp with two, in both orders."""
    inst, optimum = sched
    pinst, poptimum = pull
    for order in ([None, 1, 2], [2, 1, None]):
        for threads in order:
            assert po.solve(inst, "milp", threads=threads).objective == optimum
            r = solve_pulling(pinst, "ilp", threads=threads)
            assert r.status == "optimal" and r.objective == pytest.approx(poptimum, rel=1e-9)


def test_no_group_has_an_eligible_model():
    """Every request must go to the data center: the ILP and every baseline say so, no crash."""
    import dataclasses

    inst = zoo_instance(3, 5, seed=0)
    inst = inst.replace(groups=tuple(dataclasses.replace(g, min_accuracy=1.0) for g in inst.groups))
    assert all(not e for e in inst.eligible)
    everything_to_dc = sum(g.demand * g.penalty for g in inst.groups)
    for method in ("ilp", "no_sharing", "most_popular", "randomized_rounding"):
        res = solve_pulling(inst, method)
        assert res.objective == pytest.approx(everything_to_dc)
        assert evaluate_pulling(inst, res.solution, sharing=method != "no_sharing").feasible
    assert solve_pulling(inst, "ilp").status == "optimal"


def test_no_user_can_be_served_exact_methods():
    """A budget too small for any upload: milp and lp_bound prove 0 without building a model."""
    inst = po.generate("general", users=6, seed=0).with_server(total_bandwidth=1e-3)
    assert len(inst.arrays.servable()) == 0
    for method in ("milp", "lp_bound", "brute_force"):
        res = po.solve(inst, method)
        assert res.status == "optimal" and res.objective == 0 and res.bound == 0


def test_loading_the_model_into_highs_counts_against_the_time_limit(sched, monkeypatch):
    """The solve's limit covers Pyomo's copy of the model into HiGHS (``set_instance``, seconds
    for large models): with a load that takes 0.3 s, HiGHS is given at most what is left of the
    limit, and the answer is still the proven optimum (checked against brute force)."""
    from pyomo.contrib.appsi.solvers import highs as appsi_highs

    inst, opt = sched
    given: list[float] = []
    set_instance = appsi_highs.Highs.set_instance
    solve = appsi_highs.Highs.solve

    def slow_set_instance(self, model):
        time.sleep(0.3)
        return set_instance(self, model)

    def recording_solve(self, model, *args, **kwargs):
        given.append(float(self.config.time_limit))
        return solve(self, model, *args, **kwargs)

    monkeypatch.setattr(appsi_highs.Highs, "set_instance", slow_set_instance)
    monkeypatch.setattr(appsi_highs.Highs, "solve", recording_solve)
    r = po.solve(inst, "milp", time_limit=30.0)
    assert given and given[0] <= 30.0 - 0.3
    assert r.status == "optimal" and r.objective == opt and po.evaluate(inst, r).feasible
