"""Batch-structure search (``lns``'s last phase, sequential timeline): a local search over the
*shape* of a schedule, each shape filled with users by least-cost assignments.

A shape is a sequence of batches ``(m_b, n_b)`` and an end time ``E``. Its places are packed
backward from ``E`` (SPEC §4-5 with zero uploads): the last place's latest start is
``p_N = E - e_{m_N}``, inside a batch ``p_n = p_{n+1} - e_m``, and across a switch ``p_n =
p_{n+1} - e_{m_n} - tL(m_n -> m_{n+1})``. User k may take a place n of its own model when
``T_k - e_k >= p_n``, at cost ``beta_k(p_n)``; per model, a least-cost assignment of the model's
places to its candidates (scipy's ``linear_sum_assignment``; every place must be filled). The
order of the assigned users, by place, is feasible when ``p_1 >= tL0(m_1)`` and the total cost is
at most ``B``:

- its latest starts are at least the places (from the end: ``L_N = T_N - e_N >= p_N``, ``L_n =
  min(T_n - e_n, L_{n+1} - gap_n) >= min(p_n, p_{n+1} - gap_n) = p_n``), so ``sum_n beta(L_n)``
  is at most the cost (beta decreases): condition (ii);
- the zero-upload starts ``S_1 = tL0(m_1) <= p_1``, ``S_{n+1} = S_n + gap_n <= p_{n+1}`` finish by
  ``p_n + e_n <= T_n``: condition (i).

Unlike ``lns``'s batches (deadline order inside a batch), a batch here may hold its users in any
order: the assignment puts each user at the place where its bandwidth is cheapest overall, which
on ``vision-frozen-bottom`` costs 13 % less bandwidth than the same batches in deadline order.

Moves (seeded, one per evaluation): a batch one place longer or shorter, one place moved from a
batch to another, ``E`` moved by a normal step of ``END_STEP`` of the horizon, a new batch of
1-``NEW_MAX`` places of a used model or of a model with the cheapest inference inserted, a batch
removed, two batches swapped, a batch given another used model; adjacent batches of one model
merge. A move is kept when it serves at least as many users at no more cost (ties: less cost);
until some shape is filled (the start's places, packed, may be later than its users allow),
every move is kept.
Deterministic for a seed and an evaluation budget; the caller's clock only caps it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..arrays import ProblemArrays, exact_check

END_STEP = 0.01
"""Standard deviation of a move of the end time, as a fraction of the latest deadline."""
NEW_MAX = 10
"""Most places of a batch that a move inserts."""
MAX_CELLS = 2_000_000
"""Most (place, candidate) cells of one evaluation's assignments; above, the search is skipped."""

Shape = list[tuple[int, int]]


def shape_of(arr: ProblemArrays, order: list[int]) -> Shape:
    """The batches of ``order``: runs of consecutive users of one model, with their lengths."""
    out: list[list[int]] = []
    for k in order:
        m = int(arr.model[k])
        if out and out[-1][0] == m:
            out[-1][1] += 1
        else:
            out.append([m, 1])
    return [(m, n) for m, n in out]


def places(arr: ProblemArrays, shape: Shape, end: float) -> np.ndarray:
    """Latest starts of the places of ``shape`` packed backward from ``end`` (module docstring)."""
    total = sum(n for _, n in shape)
    p = np.empty(total)
    i = total
    t = end
    for b in range(len(shape) - 1, -1, -1):
        m, n = shape[b]
        if b < len(shape) - 1:
            t = p[i] - float(arr.tL[m, shape[b + 1][0]])  # p[i]: first place of batch b + 1
        e = float(arr.e_model[m])
        p[i - n : i] = t - e * np.arange(n, 0, -1)
        i -= n
    return p


def fill(
    arr: ProblemArrays, by_model: dict[int, np.ndarray], shape: Shape, end: float
) -> tuple[np.ndarray, float] | None:
    """The order of least total cost that fills every place of ``shape`` (module docstring) and
    that cost, or None when a place cannot be filled, the first place is before the first load or
    the cost is above ``B``."""
    from scipy.optimize import linear_sum_assignment

    if not shape:
        return np.zeros(0, dtype=np.int64), 0.0
    p = places(arr, shape, end)
    if p[0] < arr.tL0[shape[0][0]]:
        return None
    model_of_place = np.repeat([m for m, _ in shape], [n for _, n in shape])
    order = np.empty(len(p), dtype=np.int64)
    total = 0.0
    for m in np.unique(model_of_place):
        pos = np.flatnonzero(model_of_place == m)
        us = by_model.get(int(m), np.zeros(0, dtype=np.int64))
        if len(pos) > len(us):
            return None
        own = arr.T[us] - arr.e[us]
        eligible = own[None, :] >= p[pos][:, None]
        cost = np.full((len(pos), len(us)), np.inf)
        rows, cols = np.nonzero(eligible)
        with np.errstate(divide="ignore", invalid="ignore"):
            cost[rows, cols] = arr.beta(us[cols], p[pos][rows])
        big = 1e3 * arr.B  # stands for "not allowed" in the assignment
        finite = np.isfinite(cost) & (cost <= arr.B)
        r, c = linear_sum_assignment(np.where(finite, cost, big))
        if not finite[r, c].all():
            return None
        total += float(cost[r, c].sum())
        if total > arr.B:
            return None
        order[pos[r]] = us[c]
    return order, total


def search(
    arr: ProblemArrays,
    cand: np.ndarray,
    order: list[int],
    rng: np.random.Generator,
    evals: int,
    stop: Callable[[], bool],
) -> tuple[list[int], dict[str, Any]]:
    """The search of the module docstring from ``order``'s shape, ending at its last user's
    deadline; returns the best order found (the caller keeps the better of it and ``order``) and
    ``{"evals": n, "stopped": "evals" | "stop" | "skipped"}`` (its budget, ``stop()``, which is
    asked before every evaluation, or above :data:`MAX_CELLS`)."""
    by_model = {int(m): cand[arr.model[cand] == m] for m in np.unique(arr.model[cand])}
    stats: dict[str, Any] = {"evals": 0, "stopped": "evals"}
    n_m = np.bincount(arr.model[cand], minlength=arr.M)
    if not order or int(np.bincount(arr.model[order], minlength=arr.M) @ n_m) > MAX_CELLS:
        return [], {**stats, "stopped": "skipped"}
    horizon = float(arr.T[cand].max())
    cheapest = [int(m) for m in np.argsort(arr.e_model, kind="stable")[:3] if int(m) in by_model]
    cur_shape = shape_of(arr, order)
    cur_end = float(arr.T[order[-1]])
    found = fill(arr, by_model, cur_shape, cur_end)
    cur_key = (-1, 0.0) if found is None else (len(found[0]), -found[1])
    best = [] if found is None else found[0].tolist()
    while stats["evals"] < evals:
        if stop():
            stats["stopped"] = "stop"
            break
        shape, end = _move(arr, rng, list(cur_shape), cur_end, cheapest, horizon)
        stats["evals"] += 1
        if shape == cur_shape and end == cur_end:
            continue  # the move changed nothing (e.g. a batch of one place made shorter)
        got = fill(arr, by_model, shape, end)
        if got is None:
            if cur_key[0] < 0:  # no shape filled yet: walk on from this one
                cur_shape, cur_end = shape, end
            continue
        key = (len(got[0]), -got[1])
        if key >= cur_key:
            cur_shape, cur_end, cur_key = shape, end, key
            if len(got[0]) > len(best):
                best = got[0].tolist()
    return best, stats


def fits(arr: ProblemArrays, cand: np.ndarray, upper: float) -> bool:
    """Whether a schedule of at most ``upper`` users can be within :data:`MAX_CELLS` (at most
    ``min(n_m, upper)`` places of model m, each against its ``n_m`` candidates): decided before
    ``lns`` gives the search its share of the time."""
    n_m = np.bincount(arr.model[cand], minlength=arr.M).astype(float)
    return float(np.sum(np.minimum(n_m, upper) * n_m)) <= MAX_CELLS


def _move(
    arr: ProblemArrays, rng: np.random.Generator, shape: Shape, end: float, cheapest: list[int], horizon: float
) -> tuple[Shape, float]:
    """One seeded move of the module docstring, adjacent batches of one model merged."""
    kind = int(rng.integers(8))
    b = int(rng.integers(len(shape)))
    m, n = shape[b]
    used = sorted({mm for mm, _ in shape} | set(cheapest))
    if kind == 0:
        shape[b] = (m, n + 1)
    elif kind == 1 and n > 1:
        shape[b] = (m, n - 1)
    elif kind == 2:
        end = min(horizon, end + float(rng.normal(0.0, END_STEP * horizon)))
    elif kind == 3:
        shape.insert(b, (int(rng.choice(used)), int(rng.integers(1, NEW_MAX + 1))))
    elif kind == 4 and len(shape) > 1:
        del shape[b]
    elif kind == 5:
        c = int(rng.integers(len(shape)))
        shape[b], shape[c] = shape[c], shape[b]
    elif kind == 6:
        c = int(rng.integers(len(shape)))
        if c != b and shape[c][1] > 1:
            shape[b] = (m, n + 1)
            shape[c] = (shape[c][0], shape[c][1] - 1)
    elif kind == 7:
        shape[b] = (int(rng.choice(used)), n)
    merged: Shape = []
    for mm, nn in shape:
        if merged and merged[-1][0] == mm:
            merged[-1] = (mm, merged[-1][1] + nn)
        else:
            merged.append((mm, nn))
    return merged, end


def passes(arr: ProblemArrays, order: list[int]) -> bool:
    """Both conditions of SPEC §5 on the sequential timeline with the exact ``T`` and ``B``
    (:func:`partialopt.arrays.exact_check`, the check of ``lns``'s drops to feasibility)."""
    _, b = exact_check(arr, np.asarray(order, dtype=np.int64))
    return b is not None and bool(b.sum() <= arr.B)


def timed_stop(deadline: float, interrupted: Callable[[], bool]) -> Callable[[], bool]:
    """``stop()`` for :func:`search`: past ``deadline`` (perf_counter) or Ctrl-C."""
    return lambda: time.perf_counter() > deadline or interrupted()
