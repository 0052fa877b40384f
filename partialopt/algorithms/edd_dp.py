"""The model-EDD dynamic program: the most users a sequential timeline can serve on time when the
spectrum budget is relaxed (uploads take no time), with a schedule that attains it.

**Why it is exact for the relaxation.** Drop the budget and the uploads; what is left is
single-machine scheduling with sequence-dependent setups ``tL``, one inference time ``e_m`` per
model, and deadlines. Two facts make a small DP exact there:

1. *Late users can be dropped* (this needs the triangle inequality of SPEC §2, checked by
   :func:`supports`): removing a user of model f between users of models a and b replaces
   ``tL(a -> f) + e_f + tL(f -> b)`` by ``tL(a -> b)``, so nobody after it finishes later. Some
   optimal order of the relaxation therefore holds only users that are on time. (Without the
   triangle inequality a late user could be a cheaper bridge between two models.)
2. *Each model's users can be in deadline order* (ties by index): swapping two users of one
   model changes no time at all (same inference time, same loads around them), and putting the
   earlier deadline in the earlier of the two slots keeps both on time.

So a DP over *how far down each model's deadline-sorted list the schedule has
decided* (serve or skip) and the model on the GPU is exact for the relaxation:

    state (p_1 .. p_M, c, w): p_m users of model m decided, c the loaded model, w users skipped
    F[state] = least zero-upload finish of the users served so far (SPEC §4, sequential)
    skip the next user u of model m:   (p, c, w)  ->  (p + 1_m, c, w + 1),  F unchanged
    serve it:                          (p, c, w)  ->  (p + 1_m, m, w),      F + tL(c -> m) + e_m <= T_u

Served users are ``sum p - w``. A state can lead to more than ``floor`` served users only if
``w <= K - floor - 1``, so the DP keeps that many skip counts: memory
``prod_m (n_m + 1) (M + 1) (K - floor)`` floats (:func:`table_megabytes`), time that times ``2M``.

**What it proves.** Any schedule the judge accepts meets its deadlines with zero uploads (SPEC
§5, condition (i)), so the optimum is at most the DP's value (or at most ``floor`` when no state
beats it): an upper bound on every instance with the sequential timeline. When the DP's schedule
(the least GPU finish among its best) also passes the budget check, it is optimal. Deadlines are
relaxed by :data:`.bnb.RELAX_RTOL` so rounding cannot cut a schedule the judge accepts (so within
that 1e-12 relative band the DP may count a user the judge finds late: its value stays a bound,
and its schedule is judged by the evaluator before anything takes it). The pipelined timeline is
refused: there a state has two clocks (the model-ready chain and the last finish), and the DP
keeps one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from numba import njit

from ..arrays import ProblemArrays

MEMORY_MB = 512.0
"""Default cap on the DP's table (MB); above it :func:`supports` says why it does not apply."""
Users = Sequence[int] | np.ndarray
"""Candidate users: instance indices (e.g. :meth:`ProblemArrays.servable`)."""
CHUNK_OPS = 20_000_000
"""Inner-loop operations per compiled call between polls of ``stop`` (tens of milliseconds)."""
TRIANGLE_RTOL = 1e-9
"""Relative slack for the triangle-inequality check of the switch costs (rounding of sums)."""


@njit(cache=True)
def _run(s_begin, s_end, nm, strides, Tm, e_m, tL, tL0, n_skip, F, best, best_f):  # pragma: no cover - compiled
    """Relax the DP's states ``s_begin .. s_end - 1`` (in index order: every state's predecessors
    have smaller indices). ``best`` = (served, state, model, skips) of the best state met, ``best_f``
    its F (ties: the least F)."""
    M = len(nm)
    INF = np.inf
    p = np.zeros(M, np.int64)
    for s in range(s_begin, s_end):
        j = 0
        for m in range(M):
            p[m] = (s // strides[m]) % (nm[m] + 1)
            j += p[m]
        for c in range(M + 1):
            for w in range(n_skip):
                f = F[s, c, w]
                if f == INF:
                    continue
                n = j - w
                if n > best[0] or (n == best[0] and f < best_f[0]):
                    best[0], best[1], best[2], best[3] = n, s, c, w
                    best_f[0] = f
                for m in range(M):
                    if p[m] >= nm[m]:
                        continue
                    s2 = s + strides[m]
                    if w + 1 < n_skip and f < F[s2, c, w + 1]:
                        F[s2, c, w + 1] = f
                    ld = tL0[m] if c == M else tL[c, m]
                    f2 = f + ld + e_m[m]
                    if f2 <= Tm[m, p[m]] and f2 < F[s2, m, w]:
                        F[s2, m, w] = f2


def _counts(arr: ProblemArrays, users: Users) -> tuple[np.ndarray, np.ndarray]:
    """The requested models of ``users`` (each user once) and how many users each has."""
    idx = np.unique(np.asarray(users, dtype=np.int64))  # a user listed twice is one user
    return np.unique(arr.model[idx], return_counts=True)


def _lists(arr: ProblemArrays, users: Users) -> tuple[np.ndarray, list[list[int]]]:
    """The requested models and, per model, its users by ``(T_tol, index)``."""
    idx = np.unique(np.asarray(users, dtype=np.int64))
    models = np.unique(arr.model[idx])
    lists = [sorted((int(k) for k in idx[arr.model[idx] == m]), key=lambda k: (float(arr.T_tol[k]), k)) for m in models]
    return models, lists


def table_megabytes(arr: ProblemArrays, users: Users, floor: int = -1) -> float:
    """Size of the DP's table for ``users`` when only schedules serving more than ``floor`` count:
    ``prod_m (n_m + 1) * (M + 1) * (K - floor) * 8`` bytes (K distinct users)."""
    models, n = _counts(arr, users)
    skips = max(int(n.sum()) - max(floor, -1), 1)
    log_mb = float(np.log(n + 1.0).sum()) + math.log((len(models) + 1) * skips * 8.0 / 1e6)
    return math.exp(log_mb) if log_mb < 700.0 else math.inf


def operations(arr: ProblemArrays, users: Users, floor: int = -1) -> float:
    """Inner-loop steps of :func:`edd_dp`: table entries times ``2M`` (4e8-6e8 per second on
    one core of the development machine: 2.4e9 in 4.3 s, 3.9e9 in 7.5 s, 3.4e9 in 8.1 s)."""
    return table_megabytes(arr, users, floor) * 1e6 / 8.0 * 2.0 * len(_counts(arr, users)[0])


def supports(arr: ProblemArrays, users: Users, floor: int = -1, memory_mb: float = MEMORY_MB) -> str:
    """ "" when the DP applies to ``users`` within ``memory_mb``, else the reason."""
    if arr.overlap != "sequential":
        return "edd_dp: needs overlap='sequential' (the pipelined timeline has two clocks, model-ready and finish; the DP keeps one)"
    mb = table_megabytes(arr, users, floor)
    if mb > memory_mb:
        return f"edd_dp: its table needs {mb:.3g} MB, more than {memory_mb:g} MB"
    models, _ = _counts(arr, users)
    if len(models) > 1:
        t = np.concatenate([arr.tL0[models][None, :], arr.tL[np.ix_(models, models)]])  # rows: none, then models
        via = t[:, :, None] + arr.tL[np.ix_(models, models)][None, :, :]  # a -> b -> c
        if np.any(t[:, None, :] > via * (1 + TRIANGLE_RTOL) + 1e-15):
            return "edd_dp: the switch costs break the triangle inequality"
    return ""


def edd_dp(
    arr: ProblemArrays,
    users: Users,
    floor: int = -1,
    memory_mb: float = MEMORY_MB,
    stop: Callable[[], bool] | None = None,
) -> tuple[int, list[int]] | None:
    """``(value, order)``: ``value`` is an upper bound on the users any schedule of ``users`` serves:
    the optimum with the budget and the uploads relaxed (deadlines ``T_tol (1 + 1e-12)``), or
    ``min(max(floor, 0), |users|)`` when no schedule of the relaxation serves more than ``floor``.
    ``order`` (instance indices, service order) is a schedule of that relaxation serving ``value``
    users with the least GPU finish (empty when ``value <= floor``); the caller judges it against
    the budget. ``stop`` is polled about every :data:`CHUNK_OPS` operations; when it says
    True the DP gives up and returns None (no bound). Raises ``ValueError`` with
    :func:`supports`'s reason where it does not apply.
    """
    why = supports(arr, users, floor, memory_mb)
    if why:
        raise ValueError(why)
    from .bnb import RELAX_RTOL

    models, lists = _lists(arr, users)
    K, M = sum(len(lst) for lst in lists), len(models)
    n_skip = K - max(floor, -1)
    if M == 0 or n_skip <= 0:
        return min(max(floor, 0), K), []
    nm = np.array([len(lst) for lst in lists], dtype=np.int64)
    strides = np.ones(M, dtype=np.int64)
    for m in range(1, M):
        strides[m] = strides[m - 1] * (nm[m - 1] + 1)
    total = int(strides[-1] * (nm[-1] + 1))
    Tm = np.zeros((M, int(nm.max())))
    for i, lst in enumerate(lists):
        Tm[i, : len(lst)] = arr.T_tol[lst] * (1.0 + RELAX_RTOL)
    e_m = np.array([float(arr.e[lst[0]]) for lst in lists])
    tL = np.ascontiguousarray(arr.tL[np.ix_(models, models)], dtype=float)
    tL0 = np.ascontiguousarray(arr.tL0[models], dtype=float)
    F = np.full((total, M + 1, n_skip), np.inf)
    F[0, M, 0] = 0.0  # nothing decided, nothing loaded (the initial model is in tL0)
    best = np.array([-1, 0, M, 0], dtype=np.int64)
    best_f = np.array([np.inf])
    chunk = max(1, int(CHUNK_OPS // ((M + 1) * n_skip * 2 * M)))
    for s0 in range(0, total, chunk):
        if stop is not None and stop():
            return None
        _run(s0, min(s0 + chunk, total), nm, strides, Tm, e_m, tL, tL0, n_skip, F, best, best_f)
    if best[0] <= floor:
        return min(max(floor, 0), K), []
    order = _backtrack(F, int(best[1]), int(best[2]), int(best[3]), nm, strides, e_m, tL, tL0, lists)
    return int(best[0]), order


def _backtrack(F, s, c, w, nm, strides, e_m, tL, tL0, lists) -> list[int]:
    """The served users of the DP's state ``(s, c, w)``, recovered from the table: each value was
    written by a skip (same F, one skip fewer) or a serve (the same float expression)."""
    M = len(nm)
    order: list[int] = []
    while s > 0:
        p = [(s // int(strides[m])) % (int(nm[m]) + 1) for m in range(M)]
        f = F[s, c, w]
        step = None
        if c < M and p[c] > 0:  # served the user at p[c] - 1 of model c?
            s0 = s - int(strides[c])
            for c0 in range(M + 1):
                f0 = F[s0, c0, w]
                ld = tL0[c] if c0 == M else tL[c0, c]
                if f0 < np.inf and f0 + ld + e_m[c] == f:
                    step = (s0, c0, w, lists[c][p[c] - 1])
                    break
        if step is None:  # a skip of some model's user
            for m in range(M):
                if p[m] > 0 and w > 0 and F[s - int(strides[m]), c, w - 1] == f:
                    step = (s - int(strides[m]), c, w - 1, None)
                    break
        if step is None:  # pragma: no cover - the table is consistent by construction
            raise RuntimeError("edd_dp: inconsistent table")
        s, c, w, user = step
        if user is not None:
            order.append(int(user))
    order.reverse()
    return order


def edd_dp_bound(arr: ProblemArrays, users: Users, memory_mb: float = MEMORY_MB) -> int | None:
    """The DP's upper bound with the smallest ``floor`` whose table fits in ``memory_mb`` (the
    bound is ``max(DP value, floor)``, valid either way); None where the DP does not apply (the
    pipelined timeline, switch costs off the triangle inequality, no floor below K fits, or the
    table could not be allocated)."""
    K = int(_counts(arr, users)[1].sum())
    per_skip = table_megabytes(arr, users, K - 1)  # one skip count
    skips = min(K + 1, int(memory_mb // per_skip)) if per_skip > 0 else K + 1  # inf: 0
    if skips < 1:
        return None
    floor = K - skips
    if supports(arr, users, floor, memory_mb):
        return None
    try:
        out = edd_dp(arr, users, floor, memory_mb)
    except MemoryError:  # the machine had less free memory than the cap
        return None
    return None if out is None else out[0]
