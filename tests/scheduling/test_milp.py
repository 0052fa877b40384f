"""The exact MILPs against brute force, the cut loop, time limits, warm starts, and import."""

import numpy as np
import pyomo.environ as pyo
import pytest

import partialopt as po
from formulations import arc, position
from formulations.common import moore_hodgson_bound
from partialopt.generators import random_instance

N_CROSS = 200


def cross_instance(seed: int):
    """Mix of K in 4..7, general/backbone sharing, per-user deadlines, both rates, both
    timelines, binding and loose budgets, identical users, a resident initial model."""
    return random_instance(
        4 + seed % 4,
        3 + seed % 2,
        structure="general" if seed % 3 else "backbone",
        rate="shannon" if seed % 2 else "fixed_snr",
        overlap="pipelined" if seed % 5 == 0 else "sequential",
        bandwidth="binding" if seed % 4 != 1 else "loose",
        duplicates=0.35 if seed % 6 == 0 else 0.0,
        initial_model=seed % 7 == 3,
        tightness=float(np.random.default_rng(seed).uniform(0.7, 1.6)),
        seed=10_000 + seed,
    )


@pytest.fixture(scope="module")
def cut_rounds():
    """(seed, formulation) -> rounds of tangent cuts the cross-check's MILP solve took."""
    return {}


@pytest.mark.parametrize("seed", range(N_CROSS))
def test_milp_equals_brute_force(seed, cut_rounds):
    inst = cross_instance(seed)
    exact = po.solve(inst, method="brute_force")
    for form in ("position", "arc"):
        r = po.solve(inst, method="milp", formulation=form, time_limit=60)
        assert r.status == "optimal", (form, r.stats)
        assert r.objective == exact.objective, form
        assert r.bound == r.objective and r.gap == 0
        assert r.is_feasible(inst)
        ev = po.evaluate(inst, r.order, r.bandwidth)
        assert ev.feasible and ev.objective == r.objective
        cut_rounds[seed, form] = r.stats["rounds"]


def test_cut_loop_was_exercised(cut_rounds):
    """Some cross-check instances need more than one round of tangent cuts. Rounds come from the
    cross-check sweep when this process ran it; solves it did not run (another worker of
    ``pytest -n``, or a ``-k`` selection) run here, in the sweep's order, until one needs a second
    round, so the check never depends on test order."""

    def rounds():
        yield from list(cut_rounds.values())
        for seed in range(N_CROSS):
            for form in ("position", "arc"):
                if (seed, form) not in cut_rounds:
                    r = po.solve(cross_instance(seed), method="milp", formulation=form, time_limit=60)
                    cut_rounds[seed, form] = r.stats["rounds"]
                    yield r.stats["rounds"]

    assert any(n > 1 for n in rounds())  # max(rounds) > 1


def test_cut_loop_from_no_initial_cuts():
    """With only the budget and no initial tangents the first MILP ignores beta's shape; the
    loop must still reach the brute-force optimum on binding instances."""
    import formulations.common as common

    hits = 0
    for seed in range(8):
        inst = random_instance(6, 3, bandwidth="binding", tightness=1.5, seed=500 + seed)
        exact = po.solve(inst, method="brute_force").objective
        orig = common.add_spectrum_budget.__defaults__
        common.add_spectrum_budget.__defaults__ = (0,)
        try:
            r = po.solve(inst, method="milp", warm_start=None, time_limit=60)
        finally:
            common.add_spectrum_budget.__defaults__ = orig
        assert r.objective == exact and r.status == "optimal"
        hits += r.stats["rounds"] > 1
    assert hits > 0


def test_time_limit_never_claims_optimality():
    inst = random_instance(40, 8, structure="general", bandwidth="binding", seed=3)
    r = po.solve(inst, method="milp", time_limit=0.5)
    assert r.status in ("time_limit", "optimal")
    if r.status == "time_limit":
        assert r.bound is not None and r.bound >= r.objective
        assert r.gap == pytest.approx((r.bound - r.objective) / r.bound)
    else:
        assert r.bound == r.objective
    assert r.is_feasible(inst)
    assert r.objective >= po.solve(inst, method="edf").objective  # the warm start is kept
    tiny = po.solve(inst, method="milp", time_limit=1e-4)
    assert tiny.status == "time_limit" and tiny.bound >= tiny.objective


def test_warm_start_forms():
    inst = random_instance(7, 3, bandwidth="binding", seed=21)
    base = po.solve(inst, method="edf")
    for ws in ("edf", base, base.order, None):
        r = po.solve(inst, method="milp", warm_start=ws)
        assert r.status == "optimal" and r.objective >= base.objective
    bad = list(reversed(po.solve(inst, method="brute_force").order))
    if not po.evaluate(inst, bad).feasible:
        with pytest.raises(ValueError, match="warm_start: the given schedule is infeasible"):
            po.solve(inst, method="milp", warm_start=bad)


def test_unknown_formulation():
    with pytest.raises(ValueError, match="formulation: unknown formulation 'mtz'"):
        po.solve(random_instance(3, 2, seed=0), method="milp", formulation="mtz")


@pytest.mark.parametrize("seed", range(25))
def test_lp_bound_is_valid(seed):
    inst = cross_instance(seed)
    b = po.solve(inst, method="lp_bound")
    assert b.bound >= po.solve(inst, method="brute_force").objective
    assert b.bound <= moore_hodgson_bound(inst.arrays)


@pytest.mark.parametrize("form", [position, arc])
def test_researcher_adds_a_constraint(form):
    """Import a formulation, forbid one user, solve with plain Pyomo: the optimum equals brute
    force on the instance without that user (loose budget: the initial cuts are exact enough)."""
    inst = random_instance(7, 3, bandwidth="loose", tightness=1.0, seed=8)
    best = po.solve(inst, method="brute_force")
    victim = inst.user_index[best.order[0]]
    m = form.build(inst)
    m.forbid = pyo.Constraint(expr=m.x[victim] == 0)
    pyo.SolverFactory("appsi_highs").solve(m)
    order = form.extract(m)
    assert victim not in order
    ids = [inst.users[k].id for k in order]
    assert po.evaluate(inst, ids).feasible
    rest = inst.subset([u.id for u in inst.users if u.id != best.order[0]])
    assert len(order) == po.solve(rest, method="brute_force").objective


@pytest.mark.parametrize("seed", range(8))
def test_milp_customize_keeps_the_exact_cut_loop(seed):
    """``customize`` adds a researcher's constraint (forbid the users of one model) to the runner;
    binding budgets need cut rounds. The proven optimum equals brute force on the instance without
    those users, and the schedule serves none of them."""
    inst = random_instance(6, 3, bandwidth="binding", tightness=1.2, seed=300 + seed)
    banned = {k for k in range(inst.K) if inst.arrays.model[k] == 0}

    def forbid(m):
        m.no_model0 = pyo.Constraint(sorted(banned), rule=lambda m, k: m.x[k] == 0)

    res = po.solve(inst, method="milp", customize=forbid, time_limit=60)
    assert res.status == "optimal"
    assert not banned & {inst.user_index[u] for u in res.order}
    rest = inst.subset([u.id for k, u in enumerate(inst.users) if k not in banned])
    assert res.objective == po.solve(rest, method="brute_force").objective
