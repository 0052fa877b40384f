"""The batch-structure search of ``lns`` (:mod:`partialopt.algorithms.batch_search`): packed
places by hand, every filled shape judged feasible (and its cost at least the judge's closed-form
bandwidth) on hundreds of seeded shapes, the assignment never worse than the users it replaces,
and ``lns`` with it: checked, never worse than without it, deterministic under its budgets."""

from __future__ import annotations

import numpy as np
import pytest

import partialopt as po
from partialopt.algorithms import batch_search as bs
from partialopt.core.errors import OptionError


def test_places_are_packed_backward_from_the_end(hand):
    arr = hand.arrays
    m = [int(x) for x in np.unique(arr.model)][:2]
    if len(m) < 2:
        pytest.skip("the hand instance has one model")
    shape = [(m[0], 2), (m[1], 1)]
    p = bs.places(arr, shape, 10.0)
    e0, e1 = arr.e_model[m[0]], arr.e_model[m[1]]
    expect = [10.0 - e1 - arr.tL[m[0], m[1]] - 2 * e0, 10.0 - e1 - arr.tL[m[0], m[1]] - e0, 10.0 - e1]
    assert np.allclose(p, expect, rtol=0, atol=1e-12)


@pytest.mark.parametrize("preset", ["general", "vision-mixed", "vision-frozen-bottom", "llm-serving"])
def test_every_filled_shape_is_judged_feasible(preset):
    """300 seeded shapes (1-5 batches of 1-8 places, any end): whatever ``fill`` returns passes
    the exact check and the judge, and costs at least the judge's closed-form bandwidth."""
    inst = po.generate(preset, users=120, seed=3)
    arr = inst.arrays
    cand = arr.servable()
    by_model = {int(m): cand[arr.model[cand] == m] for m in np.unique(arr.model[cand])}
    models = sorted(by_model)
    rng = np.random.default_rng(0)
    filled = 0
    for _ in range(300):
        shape = [(int(rng.choice(models)), int(rng.integers(1, 9))) for _ in range(int(rng.integers(1, 6)))]
        end = float(rng.uniform(0.3, 1.0) * arr.T.max())
        got = bs.fill(arr, by_model, shape, end)
        if got is None:
            continue
        order, cost = got
        filled += 1
        assert len(set(order.tolist())) == len(order) == sum(n for _, n in shape)
        assert bs.passes(arr, order.tolist())
        ev = po.evaluate(inst, [inst.users[k].id for k in order])
        assert ev.feasible and len(ev.served) == len(order)
        assert ev.bandwidth_total <= cost * (1 + 1e-9)
    assert filled >= 10


def test_the_assignment_is_never_worse_than_the_users_it_replaces():
    """On an order's own shape (ending at its last user's deadline), ``fill`` costs at most what
    the same users cost at those places, when the order's users are eligible for them."""
    inst = po.generate("vision-frozen-bottom", users=200, seed=1)
    arr = inst.arrays
    cand = arr.servable()
    by_model = {int(m): cand[arr.model[cand] == m] for m in np.unique(arr.model[cand])}
    order = np.array([inst.user_index[u] for u in po.solve(inst, "lns", iterations=20, batch_evals=0).order])
    shape, end = bs.shape_of(arr, order.tolist()), float(arr.T[order[-1]])
    p = bs.places(arr, shape, end)
    eligible = arr.T[order] - arr.e[order] >= p
    got = bs.fill(arr, by_model, shape, end)
    if eligible.all():
        assert got is not None and got[1] <= float(arr.beta(order, p).sum()) * (1 + 1e-12)
    if got is not None:
        assert bs.passes(arr, got[0].tolist())


def test_lns_with_the_batch_search_is_checked_deterministic_and_never_worse():
    inst = po.generate("vision-frozen-bottom", users=300, seed=1)
    off = po.solve(inst, "lns", iterations=100, batch_evals=0, time_limit=120)
    on = po.solve(inst, "lns", iterations=100, batch_evals=300, time_limit=120)
    again = po.solve(inst, "lns", iterations=100, batch_evals=300, time_limit=120)
    assert po.evaluate(inst, on).feasible and on.objective >= off.objective
    assert on.order == again.order and on.stats["batch_evals"] == 300
    assert on.stats["batch_gain"] == on.objective - off.objective
    assert on.status == "feasible" and on.objective <= on.bound


def test_lns_batch_evals_option_is_checked():
    inst = po.generate("general", users=6, seed=0)
    for bad in (-1, 1.5, True):
        with pytest.raises(OptionError, match="batch_evals"):
            po.solve(inst, "lns", batch_evals=bad)


def test_lns_leaves_the_search_out_where_its_assignments_cannot_fit(monkeypatch):
    """Above ``MAX_CELLS`` (decided before the LNS steps, from the bound): no search and no share
    of the time taken from the LNS steps (``general`` K = 10,000 lost a quarter of its 30 s to a
    search that its size then skipped)."""
    inst = po.generate("vision-frozen-bottom", users=300, seed=1)
    arr = inst.arrays
    assert bs.fits(arr, arr.servable(), 300)
    monkeypatch.setattr(bs, "MAX_CELLS", 10)
    assert not bs.fits(arr, arr.servable(), 300)
    r = po.solve(inst, "lns", iterations=30, time_limit=120)
    off = po.solve(inst, "lns", iterations=30, time_limit=120, batch_evals=0)
    assert "batch_evals" not in r.stats and r.order == off.order


def test_lns_keeps_its_whole_time_where_no_schedule_can_have_more_than_forty_users():
    """Found by review: with a bound of at most ``POLISH_MAX`` users the search never runs, and
    the LNS steps had stopped at 75 % of the time anyway (3.0 of 4 s)."""
    inst = po.generate("general", users=50, seed=0)
    r = po.solve(inst, "lns", iterations=10**6, patience=None, time_limit=2)
    assert r.bound <= 40 and "batch_evals" not in r.stats and r.wall_time >= 1.9
    assert r.status == "time_limit" and po.evaluate(inst, r).feasible
