"""The pulling model (docs/SPEC_PULLING.md, issue 7): evaluator, ILP, rounding, baselines, bandit."""

import itertools
import re

import numpy as np
import pytest
from scipy.optimize import linprog

from partialopt.instance import InstanceError
from partialopt.pulling import (
    PullingInstance,
    PullingSolution,
    evaluate_pulling,
    lp_relaxation,
    online_bandit,
    pull_bytes,
    solve_pulling,
    zoo_instance,
)
from partialopt.pulling.methods import expected_pull_before_repair, sharing_degree


def assignment_lp(inst: PullingInstance, placement: dict) -> float:
    """Least serving delay for a fixed placement, by scipy's linprog (independent of Pyomo)."""
    midx = {m.id: i for i, m in enumerate(inst.models)}
    var = [
        (r, c, midx[m])
        for r in range(len(inst.groups))
        for c, cl in enumerate(inst.cloudlets)
        for m in placement[cl.id]
        if midx[m] in inst.eligible[r]
    ]
    nR = len(inst.groups)
    n = len(var) + nR
    cost = np.zeros(n)
    for i, (r, c, k) in enumerate(var):
        cost[i] = inst.groups[r].demand * inst.unit_cost(r, c, k)
    for r, g in enumerate(inst.groups):
        cost[len(var) + r] = g.demand * g.penalty
    A_eq = np.zeros((nR, n))
    for i, (r, _c, _k) in enumerate(var):
        A_eq[r, i] = 1
    A_eq[np.arange(nR), len(var) + np.arange(nR)] = 1
    A_ub = np.zeros((len(inst.cloudlets), n))
    for i, (r, c, k) in enumerate(var):
        A_ub[c, i] = inst.groups[r].demand * inst.models[k].inference_time
    res = linprog(
        cost,
        A_ub=A_ub,
        b_ub=[cl.compute for cl in inst.cloudlets],
        A_eq=A_eq,
        b_eq=np.ones(nR),
        bounds=(0, 1),
        method="highs",
    )
    assert res.status == 0
    return float(res.fun)


def exhaustive(inst: PullingInstance) -> float:
    """Minimum total delay over every placement that fits storage (2^(C M) of them)."""
    ids = [m.id for m in inst.models]
    per_cloudlet = []
    for cl in inst.cloudlets:
        fits = [
            s for n in range(len(ids) + 1) for s in itertools.combinations(ids, n) if pull_bytes(inst, s) <= cl.storage
        ]
        per_cloudlet.append(fits)
    best = np.inf
    for combo in itertools.product(*per_cloudlet):
        placement = {cl.id: combo[c] for c, cl in enumerate(inst.cloudlets)}
        pull = sum(pull_bytes(inst, combo[c]) / cl.pull_rate for c, cl in enumerate(inst.cloudlets))
        best = min(best, pull + assignment_lp(inst, placement))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_ilp_equals_exhaustive_search(seed, tiny):
    inst = tiny(seed)
    res = solve_pulling(inst, "ilp")
    assert res.status == "optimal"
    assert res.objective == pytest.approx(exhaustive(inst), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("sharing", [True, False])
def test_nlip_objective_equals_ilp_objective(seed, sharing, tiny, zoo):
    """The union-of-blocks objective, evaluated directly, equals the ILP's objective at its solution."""
    inst = zoo(3, 8, seed=seed) if seed % 2 else tiny(seed)
    res = solve_pulling(inst, "ilp", sharing=sharing)
    ev = evaluate_pulling(inst, res.solution, sharing=sharing)
    assert ev.feasible
    assert ev.total == pytest.approx(res.stats["solver_objective"], rel=1e-7, abs=1e-9)
    assert res.bound <= ev.total * (1 + 1e-7)


@pytest.mark.parametrize("seed", range(4))
def test_rounding_is_feasible_and_never_beats_the_ilp(seed, tiny, zoo):
    inst = zoo(4, 10, seed=seed) if seed % 2 else tiny(seed)
    opt = solve_pulling(inst, "ilp")
    for s in range(6):
        one = solve_pulling(inst, "randomized_rounding", seed=s)
        ten = solve_pulling(inst, "randomized_rounding", seed=s, samples=10)
        for r in (one, ten):
            assert evaluate_pulling(inst, r.solution).feasible
            assert r.objective >= opt.objective * (1 - 1e-7)
            assert r.bound <= opt.objective * (1 + 1e-7)  # the LP is a lower bound
        assert ten.objective <= one.objective * (1 + 1e-12)  # the first of ten draws is the one draw


@pytest.mark.parametrize("seed", range(5))
def test_expected_pull_formula_and_its_bound(seed, tiny):
    """E[pull] of independent rounding: the closed form equals the enumeration over all outcomes,
    and it is at most d times the LP's pulling cost (the bound in the docstring)."""
    inst = tiny(seed)
    _, x, _, lp_pull = lp_relaxation(inst)
    C, M = x.shape
    exact = 0.0
    for bits in itertools.product([0, 1], repeat=C * M):
        pick = np.array(bits).reshape(C, M)
        p = float(np.prod(np.where(pick == 1, x, 1 - x)))
        if p == 0:
            continue
        exact += p * sum(
            pull_bytes(inst, [inst.models[k].id for k in range(M) if pick[c, k]]) / cl.pull_rate
            for c, cl in enumerate(inst.cloudlets)
        )
    assert expected_pull_before_repair(inst, x) == pytest.approx(exact, rel=1e-9, abs=1e-12)
    assert exact <= sharing_degree(inst) * lp_pull * (1 + 1e-9) + 1e-12


@pytest.mark.parametrize("seed", range(4))
def test_baselines_are_feasible_and_no_better_than_the_ilp(seed, zoo):
    inst = zoo(4, 10, seed=seed)
    opt = solve_pulling(inst, "ilp")
    mp = solve_pulling(inst, "most_popular")
    ns = solve_pulling(inst, "no_sharing")
    assert evaluate_pulling(inst, mp.solution).feasible and mp.objective >= opt.objective * (1 - 1e-7)
    # the no-sharing system pulls whole models: its optimum is no better than the sharing optimum,
    # and its placement is feasible (never cheaper) in the sharing system too
    assert evaluate_pulling(inst, ns.solution, sharing=False).feasible
    assert ns.objective >= opt.objective * (1 - 1e-7)
    with_sharing = evaluate_pulling(inst, ns.solution, sharing=True)
    assert with_sharing.feasible and opt.objective * (1 - 1e-7) <= with_sharing.total <= ns.objective * (1 + 1e-9)


@pytest.mark.parametrize("seed", [0, 1, 3])
def test_bandit_regret_is_sublinear_on_a_stationary_workload(seed, zoo):
    """Stated bound: by T = 3000 frames the regret is below 5 % of the horizon's worst-case delay
    (sum_t W_t), the average regret R_T/T is at most 60 % of R_{T/4}/(T/4), and the arm switches
    stay O(A log T) (here < 120)."""
    inst = zoo(4, 12, seed=seed)
    run = online_bandit(inst, frames=3000, seed=seed)
    T = len(run.regret)
    assert run.normalized_regret < 0.05
    assert run.regret[-1] / T <= 0.6 * run.regret[T // 4 - 1] / (T // 4)
    assert run.stats["switches"] < 120
    # the per-frame losses it was charged are those of the arms it played, plus pulls at switches
    assert np.all(run.loss >= run.arm_loss[np.arange(T), run.played] - 1e-12)
    # every arm is a placement the evaluator accepts (storage does not depend on demand)
    for placement in run.arms:
        assert evaluate_pulling(inst, PullingSolution(placement, {})).feasible


def test_zoo_instance_is_seeded_and_round_trips():
    a, b, c = zoo_instance(3, 6, seed=2), zoo_instance(3, 6, seed=2), zoo_instance(3, 6, seed=3)
    assert a.to_json() == b.to_json() and a.to_json() != c.to_json()
    assert PullingInstance.from_json(a.to_json()) == a
    assert {m.task for m in a.models} == {"pets", "flowers", "food", "cars", "chat", "code", "math", "sql"}
    # the 4 fine-tunes of each family share its frozen blocks
    assert sharing_degree(a) == 4


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda d: d["groups"][0].update(origin="nowhere"), "groups[0].origin"),
        (lambda d: d["groups"][0].update(min_accuracy=1.5), "groups[0].min_accuracy"),
        (lambda d: d["groups"][0].update(demand=-1), "groups[0].demand"),
        (lambda d: d["cloudlets"][1].update(storage=float("nan")), "cloudlets[1].storage"),
        (lambda d: d["cloudlets"][0].update(pull_rate=0), "cloudlets[0].pull_rate"),
        (lambda d: d["models"][0].update(blocks=["missing"]), "models[0].blocks[0]"),
        (lambda d: d["models"][2].pop("accuracy"), "models[2].accuracy"),
        (lambda d: d["transfer"].pop(), "transfer"),
        (lambda d: d.update(schema="x"), "schema"),
    ],
)
def test_bad_input_names_the_field(change, field, tiny):
    d = tiny(0).to_dict()
    change(d)
    with pytest.raises(InstanceError, match="^" + re.escape(field)):
        PullingInstance.from_dict(d)


def test_evaluator_rejects_broken_solutions(tiny):
    inst = tiny(1)
    opt = solve_pulling(inst, "ilp")
    sol = opt.solution
    (r, c, m), _ = next(iter(sol.assignment.items())) if sol.assignment else ((None, None, None), 0)
    if r is not None:
        bad = PullingSolution({**sol.placement, c: ()}, sol.assignment)
        assert any("not placed" in v for v in evaluate_pulling(inst, bad).violations)
    everything = PullingSolution({cl.id: tuple(x.id for x in inst.models) for cl in inst.cloudlets}, {})
    total = sum(b.bytes for b in inst.blocks)
    expect_storage = any(total > cl.storage for cl in inst.cloudlets)
    assert any(v.startswith("storage[") for v in evaluate_pulling(inst, everything).violations) == expect_storage
    with pytest.raises(ValueError, match="^method:"):
        solve_pulling(inst, "magic")
