"""The scalable bounds (``bound``, :mod:`partialopt.bounds`) and the batch LNS (``lns``), checked
against independent methods: every bound is at least the brute-force optimum on 300+ small
instances (every preset, both rate models, both timelines, a resident model, binding budgets), at
least every proven MILP optimum, and equal to the DP on its class; every ``lns`` schedule passes
the evaluator, is never worse than its starts, never beats brute force, and is deterministic
under its work budget."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

import partialopt as po
from partialopt.algorithms import lns as lns_module
from partialopt.bounds import (
    all_bounds,
    least_setups,
    position_knapsack_bound,
    setup_dp_bound,
    setup_table,
)
from partialopt.core.errors import OptionError
from partialopt.generators import random_instance

from .cases import CASES, PRESETS, brute_force_optimum


@pytest.fixture(scope="module")
def solved():
    """Instance and brute-force optimum of every case (computed once for the module)."""
    return {case: brute_force_optimum(case) for case in CASES}


def test_the_cross_check_covers_three_hundred_instances():
    assert len(CASES) >= 300


def test_every_bound_is_at_least_the_brute_force_optimum(solved):
    tight = 0
    for case, (inst, opt) in solved.items():
        values = all_bounds(inst)
        for name, v in values.items():
            if name.endswith("_s") or v is None:
                continue
            assert v >= opt, f"{case}: bound {name} = {v} < optimum {opt}"
        r = po.solve(inst, "bound")
        assert r.bound >= opt and r.order == [] and r.stats["bounds"][r.stats["best"]] == r.bound
        tight += r.bound == opt
    assert tight >= len(solved) // 2  # the bounds are not vacuous: most are tight at this size


def test_lns_is_feasible_never_above_brute_force_and_never_below_its_starts(solved):
    at_optimum = 0
    for case, (inst, opt) in solved.items():
        r = po.solve(inst, "lns", iterations=30, seed=case[3])
        assert po.evaluate(inst, r).feasible, case
        assert r.objective <= opt <= r.bound, case
        assert (r.status == "optimal") == (r.objective == r.bound), case
        for name in lns_module.STARTS:
            assert r.objective >= po.solve(inst, name).objective, (case, name)
        at_optimum += r.objective == opt
    assert at_optimum >= 0.95 * len(solved)


@pytest.mark.parametrize("preset", ["general", "vision-mixed", "llm-serving", "backbone-deadlines"])
def test_bounds_and_lns_against_proven_milp_optima(preset):
    inst = po.generate(preset, users=10, seed=1)
    m = po.solve(inst, "milp", time_limit=120)
    assert m.status == "optimal"
    b = po.solve(inst, "bound")
    assert b.bound >= m.objective
    r = po.solve(inst, "lns", iterations=100)
    assert m.objective - 1 <= r.objective <= m.objective


@pytest.mark.parametrize("K,seed", [(30, 0), (60, 1), (200, 2)])
def test_setup_dp_is_the_dp_value_on_the_dp_class(K, seed):
    """Two implementations of SPEC §6's DP (the method, and the bound over least setups) agree
    where the least setups are the exact ones (backbone sharing, common deadline)."""
    inst = random_instance(
        K, 6, structure="backbone", n_clusters=2, deadline="common", bandwidth="loose", tightness=0.3, seed=seed
    )
    dp = po.solve(inst, "dp")
    arr = inst.arrays
    value, _ = setup_dp_bound(arr, arr.servable(), least_setups(inst), levels=1)
    assert value == dp.stats["dp_value"]


def test_setup_table_matches_enumeration_on_tiny_instances():
    """F(n) of the DP over counts against a direct enumeration of every served subset."""
    for seed in range(5):
        inst = po.generate("vision-mixed", users=6, seed=seed)
        arr = inst.arrays
        setups = least_setups(inst)
        cluster, bb, own = setups
        users = np.arange(arr.K)
        F = setup_table(arr, users, setups, arr.K)
        for n in range(1, arr.K + 1):
            best = np.inf
            for sub in itertools.combinations(range(arr.K), n):
                ms = set(arr.model[list(sub)].tolist())
                t = sum(own[m] for m in ms) + sum(bb[c] for c in {cluster[m] for m in ms}) + arr.e[list(sub)].sum()
                best = min(best, t)
            assert F[n] == pytest.approx(best, rel=1e-12)


def test_affine_min_plus_and_trailing_minimum_against_the_direct_forms():
    """The O(cap) model step of the DP over counts against the general min-plus convolution (a
    loop over the second table), and the block trailing minimum against slicing, on random tables
    with infinite entries, empty counts and caps below and above the table sizes."""
    from partialopt.bounds import minplus, minplus_affine, trailing_min

    rng = np.random.default_rng(7)
    for _ in range(500):
        a = np.sort(rng.uniform(0.0, 10.0, int(rng.integers(1, 40))))
        a[0] = 0.0
        if rng.random() < 0.3:
            a[int(rng.integers(len(a)))] = np.inf
        count, cap = int(rng.integers(0, 50)), int(rng.integers(0, 90))
        setup, e = float(rng.uniform(0.0, 3.0)), float(rng.uniform(0.01, 2.0))
        ref = minplus(a, np.r_[0.0, setup + e * np.arange(1, count + 1)], cap)[0]
        got = minplus_affine(a, setup, e, count, cap)
        assert len(got) == len(ref) and (np.isfinite(got) == np.isfinite(ref)).all()
        fin = np.isfinite(ref)
        assert np.allclose(got[fin], ref[fin], rtol=1e-13, atol=1e-13)
        u = rng.uniform(0.0, 1.0, int(rng.integers(1, 60)))
        s = int(rng.integers(1, 70))
        assert trailing_min(u, s).tolist() == [u[max(0, i - s + 1) : i + 1].min() for i in range(len(u))]


def test_least_setups_are_lower_bounds_of_every_switch():
    for preset in PRESETS:
        inst = po.generate(preset, users=30, seed=0)
        arr = inst.arrays
        cluster, bb, own = least_setups(inst)
        for m in range(arr.M):
            for prev in range(-1, arr.M):
                if prev == m:
                    continue
                cost = arr.switch(prev, m)
                floor = own[m] + (bb[cluster[m]] if prev < 0 or cluster[prev] != cluster[m] else 0.0)
                assert cost >= floor - 1e-12 * max(1.0, cost), (preset, prev, m)


def test_position_knapsack_is_never_weaker_than_needed_and_monotone():
    inst = po.generate("vision-frozen-bottom", users=300, seed=0)
    arr = inst.arrays
    cand = arr.servable()
    full = position_knapsack_bound(arr, cand)
    assert full <= all_bounds(inst)["knapsack"]
    assert position_knapsack_bound(arr, cand[: len(cand) // 2]) <= full


def test_bound_scales_and_names_the_best():
    inst = po.generate("llm-serving", users=2000, seed=0)
    r = po.solve(inst, "bound")
    assert r.status == "feasible" and r.stats["best"] in r.stats["bounds"]
    assert r.bound == min(r.stats["bounds"].values())
    best = max(po.solve(inst, m).objective for m in ("greedy", "edf", "no_sharing"))
    assert best <= r.bound


def test_bound_pipelined_leaves_out_what_does_not_apply():
    inst = po.generate("general", users=20, seed=0).with_server(overlap="pipelined")
    r = po.solve(inst, "bound")
    assert "setup_dp" not in r.stats["bounds"] and "lp" not in r.stats["bounds"]


def test_bound_is_optimal_when_nobody_can_be_served():
    inst = po.generate("general", users=5, seed=0)
    inst = inst.replace(users=tuple(dataclasses.replace(u, data_bits=1e15) for u in inst.users))
    r = po.solve(inst, "bound")
    assert r.bound == 0 and r.status == "optimal"


@pytest.mark.parametrize("overlap", ["sequential", "pipelined"])
@pytest.mark.parametrize("preset", ["general", "vision-mixed", "vision-frozen-bottom", "llm-serving"])
def test_time_lp_is_at_least_every_schedule_at_scale(preset, overlap):
    """The time-indexed LP against every schedule the heuristics find at K = 150 (far beyond
    brute force), in both timelines: a bound that undercut one of them would be wrong."""
    inst = po.generate(preset, users=150, seed=0).with_server(overlap=overlap)
    v = all_bounds(inst)["time_lp"]
    assert v is not None
    r = po.solve(inst, "lns", iterations=30)
    assert po.evaluate(inst, r).feasible
    for m in ("greedy", "edf", "no_sharing", "paper_greedy"):
        assert po.solve(inst, m).objective <= v, m
    assert r.objective <= v


def test_time_lp_sees_what_the_knapsack_does_not():
    """On ``general`` (the budget binds) the knapsack and the position-aware knapsack are the least
    of the other bounds; serving that many users makes most of them start well before their own
    deadlines, where they need more bandwidth, and only the time-indexed LP sees it."""
    for overlap in ("sequential", "pipelined"):
        inst = po.generate("general", users=300, seed=0).with_server(overlap=overlap)
        values = all_bounds(inst)
        others = min(v for k, v in values.items() if not k.endswith("_s") and v is not None and k != "time_lp")
        assert values["time_lp"] < others == values["knapsack"], overlap
    r = po.solve(po.generate("general", users=300, seed=0), "bound")
    assert r.stats["best"] == "time_lp" and r.bound == r.stats["bounds"]["time_lp"]


def test_time_lp_is_left_out_above_its_size(monkeypatch):
    import partialopt.bounds as bounds_module

    inst = po.generate("general", users=30, seed=0)
    arr = inst.arrays
    monkeypatch.setattr(bounds_module, "TIME_LP_MAX_USERS", 10)
    assert all_bounds(inst)["time_lp"] is None
    assert "time_lp" not in po.solve(inst, "bound").stats["bounds"]
    # an explicit grid still builds it
    assert bounds_module.time_lp_bound(arr, arr.servable(), least_setups(inst), intervals=8) is not None


def _first_load_example(resident: bool):
    """One model whose load takes 1 s, inference 1 s, deadlines 2, 3 and 3.5 s, nothing to upload:
    loaded first, the GPU finishes the users at 2, 3 and 4 s (2 served); resident, at 1, 2, 3 (3)."""
    from partialopt.instance import Block, Instance, Model, Server, User

    server = Server(load_bandwidth=1e9, total_bandwidth=1e7, rate="fixed_snr", initial_model="m" if resident else None)
    users = tuple(User(f"u{i}", "m", 0.0, T, snr=3.0) for i, T in enumerate((2.0, 3.0, 3.5)))
    return Instance(server, (Block("w", 1_000_000_000, 1),), (Model("m", ("w",), 1.0),), users)


@pytest.mark.parametrize("resident", [False, True])
def test_moore_hodgson_starts_after_the_first_load(resident):
    """Worked by hand: without the first load Moore-Hodgson fits all three inferences (1, 2, 3 s);
    no inference starts before the load ends (1 s), so only two fit, as brute force says."""
    from partialopt.arrays import first_load, moore_hodgson

    inst = _first_load_example(resident)
    arr = inst.arrays
    opt = po.solve(inst, "brute_force").objective
    assert opt == (3 if resident else 2)
    assert first_load(arr) == (0.0 if resident else pytest.approx(1.0))
    assert moore_hodgson(arr.e, arr.T_tol) == 3  # the bound before the shift
    values = all_bounds(inst)
    assert values["moore_hodgson"] == opt and values["time_lp"] == opt
    assert po.solve(inst, "bound").bound == opt


def test_time_lp_keeps_a_user_that_finishes_exactly_at_its_deadline_after_the_first_load():
    """Found by an independent review: the user is served first, starts at the first load t0 and
    finishes at T_tol to the last bit; ``T_tol - e`` rounds one unit below t0. Without the slack on
    the grid start the time-indexed LP lost the user (bound 0 < optimum 1)."""
    from partialopt.instance import Block, Instance, Model, Server, User

    inst = Instance(
        Server(load_bandwidth=1e9, total_bandwidth=1e7, rate="fixed_snr"),
        (Block("w", 100_000_000, 1),),
        (Model("m", ("w",), 0.6405920704482397),),
        (User("u0", "m", 1000.0, 0.7405920697076476, snr=3.0),),
    )
    assert po.evaluate(inst, ["u0"]).feasible and po.solve(inst, "brute_force").objective == 1
    assert all_bounds(inst)["time_lp"] == 1 and po.solve(inst, "bound").bound == 1


@pytest.mark.parametrize("seed", [1, 2])
def test_lns_proves_optimality_at_k_1000_on_vision_mixed(seed):
    """At K = 1,000 on ``vision-mixed`` the time binds: the inferences that fit between the first
    load and their deadlines (Moore-Hodgson after ``t0``) are 85, and the LNS finds a schedule
    serving 85 that the evaluator accepts: optimal, proved by two independent computations."""
    inst = po.generate("vision-mixed", users=1000, seed=seed)
    r = po.solve(inst, "lns", time_limit=60)
    assert po.evaluate(inst, r).feasible and r.objective == 85
    assert r.status == "optimal" and r.bound == 85 and r.stats["stopped"] == "bound_met"
    assert po.solve(inst, "bound").bound == 85


# ------------------------------------------------------------------------------- lns behaviour
def test_lns_is_deterministic_under_its_work_budget():
    inst = po.generate("vision-frozen-bottom", users=150, seed=3)
    a = po.solve(inst, "lns", iterations=60, seed=5, time_limit=600)
    b = po.solve(inst, "lns", iterations=60, seed=5, time_limit=600)
    assert a.order == b.order and a.stats["stopped"] in ("iterations", "patience", "bound_met")
    c = po.solve(inst, "lns", iterations=60, seed=5, time_limit=600, patience=None)
    assert c.stats["stopped"] in ("iterations", "bound_met")


def test_lns_improves_at_scale_and_is_checked():
    inst = po.generate("vision-mixed", users=300, seed=0)
    starts = {m: po.solve(inst, m).objective for m in lns_module.STARTS}
    r = po.solve(inst, "lns", iterations=40)
    assert po.evaluate(inst, r).feasible
    assert r.objective > max(starts.values())
    assert r.stats["start_objective"] == max(starts.values())


def test_lns_returns_the_best_on_interrupt(monkeypatch):
    inst = po.generate("general", users=40, seed=0)
    monkeypatch.setattr(lns_module.interrupt, "requested", lambda: True)
    r = po.solve(inst, "lns")
    assert r.status == "interrupted" and r.stats["stopped"] == "interrupted"
    assert po.evaluate(inst, r).feasible
    assert r.objective >= max(po.solve(inst, m).objective for m in lns_module.STARTS)


def test_lns_from_any_start_list_and_zero_iterations():
    inst = po.generate("llm-serving", users=25, seed=2)
    r = po.solve(inst, "lns", iterations=0, starts=["edf"])
    assert r.stats["start_method"] == "edf" and r.objective >= po.solve(inst, "edf").objective


@pytest.mark.parametrize(
    "options,field",
    [
        ({"iterations": -1}, "iterations"),
        ({"iterations": 1.5}, "iterations"),
        ({"time_limit": 0}, "time_limit"),
        ({"time_limit": float("nan")}, "time_limit"),
        ({"starts": "greedy"}, "starts"),
        ({"starts": []}, "starts"),
        ({"patience": 0}, "patience"),
        ({"patience": True}, "patience"),
    ],
)
def test_lns_bad_options_name_the_field(options, field):
    inst = po.generate("general", users=6, seed=0)
    with pytest.raises(OptionError, match=field):
        po.solve(inst, "lns", **options)


def test_sweeps_have_a_certified_gap_on_every_row():
    from partialopt.experiments import Sweep, add_reference, run_sweep

    df = run_sweep(
        Sweep(("vision-mixed",), users=(60,), seeds=(0,), methods=("greedy", "edf")),
        backend="serial",
        progress=False,
    )
    ref = add_reference(df)
    inst = po.generate("vision-mixed", users=60, seed=0)
    assert (ref["best_bound"] == po.solve(inst, "bound").bound).all()
    assert ref["gap_to_best"].notna().all()


def test_a_failing_reference_bound_is_said_on_every_row(monkeypatch):
    import partialopt.bounds as bounds_module
    from partialopt.experiments import Sweep, run_sweep

    def broken(instance):
        raise RuntimeError("boom")

    monkeypatch.setattr(bounds_module, "bound", broken)
    df = run_sweep(
        Sweep(("vision-mixed",), users=(8,), seeds=(0,), methods=("greedy",)), backend="serial", progress=False
    )
    assert df["reference_bound"].isna().all() and df["status"].eq("feasible").all()
    assert df["note"].str.contains("reference bound failed: RuntimeError: boom").all()


@pytest.mark.parametrize("overlap", ["sequential", "pipelined"])
@pytest.mark.parametrize("preset", ["general", "vision-frozen-bottom", "llm-serving", "backbone-deadlines"])
def test_lns_incremental_checks_agree_with_the_evaluator(monkeypatch, preset, overlap):
    """Every insertion the batch state accepts (O(1) deadline checks, incremental exact budget)
    keeps the order feasible for the judge, ``ub`` stays above the exact total, and the running exact
    total equals the closed form."""
    from partialopt.evaluate import _closed_form, forward, is_feasible_order

    inst = po.generate(preset, users=120, seed=1).with_server(overlap=overlap)
    inst = inst.with_server(total_bandwidth=inst.server.total_bandwidth * 0.5)
    original = lns_module.BatchState.try_insert
    seen = {"checked": 0}

    def checked(self, u, need):
        ok = original(self, u, need)
        if ok:
            order = self.order()
            _, F = forward(inst.arrays, np.array(order))
            assert np.all(F <= inst.arrays.T_tol[order])  # deadlines: always (condition (i))
            if not self.optimistic:  # the budget: checked after an optimistic sweep instead
                assert is_feasible_order(inst, order)
                exact = float(_closed_form(inst.arrays, np.array(order)).sum())
                assert self.ub >= exact * (1 - 1e-9)  # the accept-without-looking test stays safe
            if self.flat_valid and not self.optimistic:
                seen["checked"] += 1
                assert list(self.flat) == order
                ref = float(_closed_form(inst.arrays, np.array(order)).sum())
                assert self.total == pytest.approx(ref, rel=1e-9)
        return ok

    monkeypatch.setattr(lns_module.BatchState, "try_insert", checked)
    r = po.solve(inst, "lns", iterations=25)
    assert po.evaluate(inst, r).feasible
    assert seen["checked"] > 0


def test_lns_stops_inside_its_sweeps_at_the_time_limit(monkeypatch):
    """A fake clock that advances 1 ms per reading: the construction sweeps (seconds at this size)
    must notice the limit within ``CHECK_EVERY`` insertions and the result stay a checked schedule."""
    import types

    inst = po.generate("general", users=2000, seed=0)
    clock = {"now": 0.0, "late_inserts": 0}
    limit = 0.05

    def perf_counter() -> float:
        clock["now"] += 1e-3
        return clock["now"]

    try_insert = lns_module.BatchState.try_insert

    def counted(self, u, need):
        if clock["now"] > limit:
            clock["late_inserts"] += 1
        return try_insert(self, u, need)

    monkeypatch.setattr(lns_module, "time", types.SimpleNamespace(perf_counter=perf_counter))
    monkeypatch.setattr(lns_module.BatchState, "try_insert", counted)
    r = po.solve(inst, "lns", time_limit=limit)
    assert r.stats["stopped"] == "time_limit" and r.stats["iterations"] == 0
    assert r.status == "time_limit" and po.evaluate(inst, r).feasible  # the clock stopped it: never plain feasible
    assert r.objective >= max(po.solve(inst, m).objective for m in lns_module.STARTS)
    assert clock["late_inserts"] <= lns_module.CHECK_EVERY


def test_a_heuristic_stopped_by_the_clock_says_time_limit():
    """The clock's stop is never a plain ``feasible`` (the schedule depends on the machine's
    speed): ``local_search`` and ``lns`` stopped by ``time_limit`` report status ``time_limit``;
    stopped by their deterministic budgets, ``feasible``. Every schedule passes the judge."""
    inst = po.generate("general", users=300, seed=0)
    for method, clock, budget, why in (
        ("local_search", {"time_limit": 0.01}, {"max_evals": 50}, "max_evals"),
        ("lns", {"time_limit": 0.5}, {"iterations": 3, "patience": None}, "iterations"),
    ):
        r = po.solve(inst, method, **clock)
        assert r.stats["stopped"] == r.stats["limit"] == "time_limit" and r.status == "time_limit", method
        assert po.evaluate(inst, r).feasible and r.objective < (r.bound if r.bound is not None else inst.K + 1)
        d = po.solve(inst, method, **budget)
        assert d.stats["stopped"] == why and d.status == "feasible", method
        assert po.evaluate(inst, d).feasible and d.bound is not None and d.objective < d.bound


def test_lns_whose_polish_the_clock_took_says_time_limit(monkeypatch):
    """The search ends on its ``iterations`` with the clock just past the limit: the polish of a
    small schedule is skipped for the clock, so the result depends on it and says ``time_limit``
    (with the same steps and a clock that never runs out it polishes and says ``feasible``)."""
    import types

    inst = po.generate("general", users=15, seed=0)  # lns serves 12, its bound is 14
    clock = {"now": 0.0}
    monkeypatch.setattr(lns_module, "time", types.SimpleNamespace(perf_counter=lambda: clock["now"]))
    run = lns_module._Search.run

    def run_then_late(self, *args):
        why = run(self, *args)
        clock["now"] = 1e9
        return why

    free = po.solve(inst, "lns", iterations=5, patience=None, time_limit=60.0)
    assert free.status == "feasible" and "polish_gain" in free.stats and free.objective < free.bound
    monkeypatch.setattr(lns_module._Search, "run", run_then_late)
    r = po.solve(inst, "lns", iterations=5, patience=None, time_limit=60.0)
    assert r.stats["stopped"] == "time_limit" and r.status == "time_limit" and "polish_gain" not in r.stats
    assert po.evaluate(inst, r).feasible and r.objective <= free.objective
