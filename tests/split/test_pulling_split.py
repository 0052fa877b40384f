"""Variant ``split`` of the pulling model (the authors' public-code model, docs/SPEC_PULLING.md)."""

import numpy as np
import pytest

from partialopt.instance import InstanceError
from partialopt.split import (
    DC,
    SplitCloudlet,
    SplitInstance,
    SplitModel,
    SplitRequest,
    evaluate_split,
    exhaustive_split,
    split_ilp,
    split_lp_sampling,
)


def hand(F0: float = 1.0) -> SplitInstance:
    """dc --40-- c1 --10-- c0 (s/GB). Model v (3 GB, type t) is stored at c1; w (type t) at c0."""
    cl = (SplitCloudlet("c0", F0, stored=("w",)), SplitCloudlet("c1", 1.0, stored=("v",)))
    models = (SplitModel("v", "t", 3e9, 0.9, 0.2), SplitModel("w", "t", 6e9, 0.5, 0.1))
    reqs = (
        SplitRequest("q0", "c0", "t", 0.8, 10.0, 1e6, 1e7, 100.0),
        SplitRequest("q1", "c0", "t", 0.8, 10.0, 1e6, 1e7, 100.0),
    )
    return SplitInstance(cl, (("c0", "c1", 10.0), ("c1", DC, 40.0)), models, reqs, dc_price=1.0, edge_price=0.2)


def test_hand_worked_delays_per_request_max_and_per_cloudlet_capacity():
    inst = hand()
    # q needs accuracy 0.8, so model v: shareable part (2 GB) from c0 (which stores w, same type:
    # distance 0) and specific part (1 GB) from c1 (10 s/GB): pull = max(0, 10) = 10 s; cost 0.2
    # $/GB x 1 GB = 0.2. Delay = 10 + 0.2 (inference) + 0 (no queue) + 1e6/1e7 = 10.3 s each.
    best = split_ilp(inst)
    assert best.status == "optimal" and best.objective == pytest.approx(2 * 10.3)
    assert set(best.choice.values()) == {("v", "c0", "c1")}
    # without common knowledge the shareable part must come from c1 too: max(10 x 2, 10 x 1) = 20 s
    assert split_ilp(inst, sharing=False).objective == pytest.approx(2 * 20.3)
    # capacity is per cloudlet: with F(c0) = 0.3 only one inference of 0.2 s fits at c0; the other
    # request goes to the data center (100 s)
    tight = split_ilp(hand(F0=0.3))
    assert tight.objective == pytest.approx(10.3 + 100.0)
    total, viol = evaluate_split(hand(F0=0.3), {"q0": ("v", "c0", "c1"), "q1": ("v", "c0", "c1")})
    assert any(v.startswith("compute[c0]") for v in viol)


@pytest.mark.parametrize("seed", range(8))
def test_split_ilp_equals_exhaustive_search(seed, eua):
    inst = eua(3, 4, seed=seed, models_per_type=1)
    best = split_ilp(inst)
    assert best.status == "optimal"
    assert best.objective == pytest.approx(exhaustive_split(inst), rel=1e-9)
    total, viol = evaluate_split(inst, best.choice)
    assert not viol and total == pytest.approx(best.stats["solver_objective"], rel=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_common_knowledge_never_hurts(seed, eua):
    """Without sharing the shareable part has fewer sources: the optimum can only get worse, and the
    no-sharing choice is valid (same delay) with sharing."""
    inst = eua(8, 30, seed=seed)
    share, alone = split_ilp(inst), split_ilp(inst, sharing=False)
    assert alone.objective >= share.objective * (1 - 1e-9)
    total, viol = evaluate_split(inst, alone.choice, sharing=True)
    assert not viol and total == pytest.approx(alone.objective)


@pytest.mark.parametrize("seed", range(4))
def test_lp_sampling_is_feasible_and_never_beats_the_ilp(seed, eua):
    inst = eua(8, 30, seed=seed)
    best = split_ilp(inst)
    for s in range(5):
        r = split_lp_sampling(inst, seed=s)
        total, viol = evaluate_split(inst, r.choice)
        assert not viol and total == pytest.approx(r.objective)
        assert r.objective >= best.objective * (1 - 1e-9) and r.bound <= best.objective * (1 + 1e-9)


@pytest.mark.parametrize(
    "change, field",
    [
        (
            lambda i: {"cloudlets": (SplitCloudlet("c0", 1.0, arrival=200.0, m1=0.01),) + i.cloudlets[1:]},
            "cloudlets[0].arrival",
        ),
        (lambda i: {"requests": (SplitRequest("q", "c9", "t", 0.5, 1, 1, 1, 1),)}, "requests[0].home"),
        (lambda i: {"edges": (("c0", "c1", 10.0),)}, "edges"),
        (
            lambda i: {"cloudlets": (SplitCloudlet("c0", 1.0, stored=("zz",)),) + i.cloudlets[1:]},
            "cloudlets[0].stored[0]",
        ),
        (lambda i: {"models": (SplitModel("v", "t", -1.0, 0.9, 0.2),) + i.models[1:]}, "models[0].size"),
    ],
)
def test_bad_input_names_the_field(change, field):
    inst = hand()
    kw = {k: getattr(inst, k) for k in ("cloudlets", "edges", "models", "requests")}
    kw.update(change(inst))
    with pytest.raises(InstanceError, match="^" + field.replace("[", r"\[").replace("]", r"\]")):
        SplitInstance(**kw)


@pytest.mark.parametrize("seed", range(3))
def test_online_thompson_sampling_regret_is_sublinear(seed, eua):
    """Stated bound: by T = 3000 the pseudo-regret is below 5 % of the oracle's total loss, and the
    average regret R_T/T is at most 60 % of R_{T/4}/(T/4)."""
    from partialopt.split import split_online_ts

    inst = eua(8, 30, seed=seed)
    run = split_online_ts(inst, frames=3000, seed=seed)
    T = len(run.regret)
    assert run.regret[-1] <= 0.05 * run.stats["oracle_loss"]
    assert run.regret[-1] / T <= 0.6 * run.regret[T // 4 - 1] / (T // 4)
    assert np.all(np.diff(run.regret) >= -1e-12)  # pseudo-regret never decreases: the oracle is optimal
    with pytest.raises(ValueError, match="^frames:"):
        split_online_ts(inst, frames=0)
