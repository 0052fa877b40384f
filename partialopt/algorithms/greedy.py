"""The paper's general-case heuristic (SPEC §7) and the no-sharing baseline.

Greedy: repeatedly append the *admissible* user with the smallest added time, ties by earliest
deadline, then least bandwidth, then index. Added time of a user of model m after the current
last model m' is ``a_m = tL(m' -> m) + e_m`` (sequential); in the pipelined timeline it is the
growth of the last finish, ``max(E' + tL(m' -> m), F') + e_m - F'``. Admissible: the order stays
feasible (decoupling conditions (i) and (ii), checked incrementally by
:class:`~partialopt.evaluate.Timeline`). "Least bandwidth" is the user's own need
``beta_k(T_k - e_k)``.

Implementation. ``a_m`` depends only on the model, so each model keeps its users sorted by
``(T_k, beta_k(T_k - e_k), k)``; its best candidate is the first with ``T_k >= F' + a_m``
(binary search), and the step takes the smallest ``(a_m, T, beta, k)`` over models: O(M log K)
per step plus the bandwidth check. Two monotonicity facts make rejections final:
a user with ``T_k < F' + e_k`` can never fit later (finish times only grow), and one that fails
the bandwidth check never passes later (appending only lowers latest starts, SPEC §5), so it is
dropped. Total: O(N M log K + (N + R) A) for N served users, R rejections and A the average
suffix that a check touches.
"""
from __future__ import annotations

import bisect
import time

import numpy as np

from ..evaluate import Timeline
from ..instance import Instance
from ..result import Result


def greedy_order(instance: Instance) -> list[int]:
    """The greedy schedule as user indices."""
    arr = instance.arrays
    need = arr.beta(np.arange(arr.K), arr.T - arr.e)
    per_model: list[list[tuple[float, float, int]]] = [[] for _ in range(arr.M)]
    for k in np.lexsort((np.arange(arr.K), need, arr.T)):
        if np.isfinite(need[k]) and need[k] <= arr.B:
            per_model[arr.model[k]].append((float(arr.T[k]), float(need[k]), int(k)))
    deadlines = [[t for t, _, _ in lst] for lst in per_model]
    tl = Timeline(arr, undo=False)
    seq = arr.overlap == "sequential"
    live = [m for m in range(arr.M) if per_model[m]]
    while live:
        last = tl.last_model
        Fp = tl.makespan
        load = arr.tL0 if last < 0 else arr.tL[last]
        if seq:
            added = load + arr.e_model
        else:
            Ep = tl.E[tl.n - 1] if tl.n else 0.0
            added = np.maximum(Ep + load, Fp) + arr.e_model - Fp
        best = None
        for m in live:
            i = bisect.bisect_left(deadlines[m], Fp + added[m] - 1e-9)
            if i < len(per_model[m]):
                key = (float(added[m]),) + per_model[m][i] + (m, i)
                if best is None or key < best:
                    best = key
        if best is None:
            break
        k, m, i = best[3], best[4], best[5]
        tl.push(k)  # admitted or not, k leaves its list: a bandwidth rejection is final
        del per_model[m][i]
        del deadlines[m][i]
        if not per_model[m]:
            live.remove(m)
    return tl.order.tolist()


def greedy(instance: Instance) -> Result:
    t0 = time.perf_counter()
    order = greedy_order(instance)
    return Result.from_order(instance, order, "greedy", wall_time=time.perf_counter() - t0)


def no_sharing(instance: Instance) -> Result:
    """The paper's baseline: the same greedy scheduler on a system that reloads the full model
    at every switch (``instance.without_sharing()``). Its schedule is feasible there, hence
    also on the real system (sharing only shortens loads); it is reported on the real system."""
    t0 = time.perf_counter()
    order = greedy_order(instance.without_sharing())
    return Result.from_order(instance, order, "no_sharing", wall_time=time.perf_counter() - t0)
