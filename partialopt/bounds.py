"""Upper bounds on the number of served users (SPEC §4-5) that scale to K = 10,000: what an exact
method reports when it stops before its own bound is known, and what the ``bound`` method returns.

Each is a relaxation of the judge (:mod:`partialopt.core.tolerances`): every schedule that
:func:`partialopt.evaluate.evaluate` accepts serves at most that many users. Notation: ``S`` the
served set, ``T_tol,k = T_k (1 + TIME_RTOL)``, ``B_tol = B (1 + BW_RTOL)``, ``need_k =
beta_k(T_tol,k - e_k)`` (a served user starts by ``L_k <= T_tol,k - e_k``; beta decreases).
Against the judge's own rounding, every bound below that uses beta gives user k the latest start
``T_tol,k - e_k + SHIFT_RTOL |T_tol,k|`` (:func:`relaxed_own`) and compares sums of beta with
``B_tol (1 + NEED_RTOL)`` (:func:`relaxed_budget`).

- ``servable``: users that can be served even alone (:meth:`ProblemArrays.servable`).
- ``knapsack`` (:func:`knapsack_bound`): ``sum_{k in S} need_k <= B_tol``; the most users whose
  needs fit (smallest first: exact for this cardinality knapsack). O(K log K).
- ``position_knapsack`` (:func:`position_knapsack_bound`): the knapsack with latest starts that
  know the user's place. The user i-th from the end of the order starts by
  ``L <= T_tol,max - E_i``, ``E_i`` the sum of the i least inference times (it and every user
  after it run before the last deadline; gap ``>= e`` in both timelines), so it needs
  ``c_k(i) = beta_k(min(T_tol,k - e_k, T_tol,max - E_i))``, non-decreasing in i. For any
  partition of the places ``1..n`` into groups ``G_j`` starting at ``t_j``, an order serving n users
  needs at least ``sum_j`` (the ``|G_j|`` least ``c_k(t_j)`` over k): each group's users are
  distinct. The most n whose bound fits in ``B_tol``, for one fixed set of group starts (so the
  bound grows with n: a binary search). O(G K log K) for G groups.
- ``moore_hodgson`` (:func:`moore_hodgson_bound`): inferences alone on one machine with due dates
  ``T_tol,k`` (Moore-Hodgson is exact for that relaxation). O(K log K).
- ``setup_moore_hodgson`` (:func:`setup_moore_hodgson_bound`): the same with the least setups
  spread over the users (below). O(K log K).
- ``setup_dp`` (:func:`setup_dp_bound`): at a deadline level ``d``, the users with
  ``T_tol,k <= d`` that S serves all finish by ``d``, loads included; the most of them that fit
  (a DP over counts, the DP of SPEC §6 on a relaxation), plus a bound on the later users.
- ``lp`` (:func:`lp_bound_relaxation`): the knapsack and the deadline levels of
  ``setup_moore_hodgson`` together in one LP (HiGHS), rounded down: where both the budget and the
  time bind, neither alone is tight. O(K) nonzeros.
- ``edd_dp`` (:func:`partialopt.algorithms.edd_dp.edd_dp_bound`): the exact optimum with the
  budget and the uploads relaxed (sequential timeline), by a DP over how far each model's
  deadline-sorted users are decided; applies while its table fits in ``EDD_DP_MB`` (``prod_m
  (n_m + 1)`` states: a few models, K up to about 30-50; above, the table is cut to schedules
  serving more than a floor, and the bound is at least that floor).
- ``time_lp`` (:func:`time_lp_bound`): a time-indexed LP over where each served user's latest start
  lies: the bandwidth of a user is at least beta at the end of its interval, and the users whose
  latest starts are after ``a`` with deadlines up to ``d`` run one at a time inside ``[a, d]``.
  It sees what the knapsack does not: serving many users makes most of them start well before
  their own deadlines, where they need more bandwidth. O(K G) nonzeros for G <= 24 intervals;
  not built above ``TIME_LP_MAX_USERS`` candidates.
- ``path_lagrangian`` (:func:`partialopt.path_bound.path_lagrangian_bound`, sequential timeline,
  only in :func:`bound`): a Lagrangian relaxation of "each user at most once" and of the budget
  over paths of latest starts on a time grid, whose DP pays the loads between consecutive users
  exactly; its multipliers come from column generation under a time budget, and every
  multiplier tried gives a bound. Up to ``MAX_CANDIDATES`` candidates.

Least setups (:func:`least_setups`). Cluster the models by "shares a block" (connected
components); ``bb_c`` is the cost of the blocks that every model of cluster c holds and
``own_m = min_{m' in c, m' != m} tL(m' -> m)`` (0 for a model alone in its cluster, whose blocks
are all in ``bb_c``). A batch of model m loads at least ``own_m`` whatever runs before it (from
inside c by definition; from outside c or from an empty GPU it loads ``bb_c`` plus
``J_m \\ bb_c``, which contains ``J_m \\ J_m'`` for every ``m'`` in c). The first batch of each
used cluster comes from outside it and loads ``bb_c + own_m``. With a model ``m0`` resident at
time 0, ``bb_{c(m0)} = own_{m0} = 0``. So on the sequential timeline the busy time of any set of
batches is at least ``sum_{c used} bb_c + sum_{m used} (own_m + x_m e_m)``: the exact setup
costs of SPEC §6's backbone class, and a relaxation of every other one.

First load. The GPU's first batch loads ``tL0(m_1)`` (from an empty GPU or the resident model),
where the least setups charge it ``bb_c + own_m`` at most (or nothing, when it holds no user that
the bound counts, or only ``bb_c``). So every busy-time bound above may add ``delta = max(0,
min_m (tL0(m) - bb_{c(m)} - own_m))`` over the requested models (:func:`first_load_excess`;
whichever users are counted): the due dates and levels of ``setup_moore_hodgson``, ``setup_dp``,
``lp`` and ``time_lp`` are ``T - delta`` (loads alone in the pipelined ``setup_moore_hodgson``).
Inferences alone start after ``t0 = min_m tL0(m)`` (:func:`partialopt.arrays.first_load`, both
timelines): ``moore_hodgson`` has due dates ``T_tol,k - t0`` and ``time_lp``'s grid starts at ``t0``.
These due dates and levels keep a slack of ``SHIFT_RTOL`` (1e-12) relative to ``T_tol``, shifted or
not, far above the rounding of sums taken in another order than the judge's.

Spread setups. Charge each user ``p_k = e_k + own_m / n_m + bb_c / n_c`` (``n_m``, ``n_c`` the
candidate users of its model and cluster). A set with ``x_m <= n_m`` users of model m and
``x_c <= n_c`` of cluster c is charged ``sum_m x_m (e_m + own_m / n_m) + sum_c x_c bb_c / n_c
<= sum_{m used} (own_m + x_m e_m) + sum_{c used} bb_c``, at most its busy time: so the served
users with ``T_tol,k <= d`` have ``sum p_k <= d`` at every level d, the constraints of
``1 || sum U_j`` with processing times ``p_k`` (Moore-Hodgson solves it exactly).

Pipelined timeline (loads overlap inferences): the busy time bounds above do not hold; there,
inferences alone (``moore_hodgson``) and loads alone are relaxed separately: the loads into the
batches before a user's start all complete by that start ``<= T_tol,k - e_k``, so Moore-Hodgson
with ``p_k = own_m / n_m + bb_c / n_c`` and due dates ``T_tol,k - e_k`` is a bound
(``setup_moore_hodgson`` there), and ``setup_dp``/``lp`` are not computed; ``time_lp`` holds in both
timelines (its capacity rows use the inferences alone; only its spread-setup rows are sequential).
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from .arrays import SHIFT_RTOL, ProblemArrays, first_load, moore_hodgson, moore_hodgson_bound, shifted
from .core.tolerances import budget_tol

EDD_DP_MB = 128.0
"""Table size (MB) up to which :func:`all_bounds` runs the ``edd_dp`` bound (about 0.5 s)."""

NEED_RTOL = 1e-9
"""Relative slack of the budget in the bounds' comparisons with sums of beta (:func:`relaxed_budget`)."""

if TYPE_CHECKING:
    from .instance import Instance
    from .result import Result


def relaxed_own(arr: ProblemArrays, users: np.ndarray) -> np.ndarray:
    """The latest start the bounds give user k: ``T_tol,k - e_k + SHIFT_RTOL |T_tol,k|``. The judge
    accepts ``F = fl(S + e) <= T_tol`` with its own rounding (up to half an ulp of e absorbed, a
    large part of ``T_tol - e`` when the deadline is about the inference time), so every accepted
    start is at most this."""
    T = arr.T_tol[users]
    return T - arr.e[users] + SHIFT_RTOL * np.abs(T)


def relaxed_budget(arr: ProblemArrays) -> float:
    """``B_tol (1 + NEED_RTOL)``: what the bounds compare sums of closed-form beta with. The judge
    checks the uploads of an allocation in floats (or its own closed form), which can accept a
    total a few 1e-12 relative above the closed form's ``sum beta`` at the same starts."""
    return budget_tol(arr.B) * (1.0 + NEED_RTOL)


def knapsack_bound(arr: ProblemArrays, users: np.ndarray | None = None) -> int:
    """Most users whose least bandwidth needs ``beta_k(T_tol,k - e_k)`` fit in the budget (both
    relaxed for the judge's rounding: :func:`relaxed_own`, :func:`relaxed_budget`)."""
    users = np.arange(arr.K) if users is None else np.asarray(users, dtype=np.int64)
    if not len(users):
        return 0
    need = np.sort(arr.beta(users, relaxed_own(arr, users)))
    need = need[np.isfinite(need)]
    return int(np.searchsorted(np.cumsum(need), relaxed_budget(arr), side="right"))


def cheap_bound(arr: ProblemArrays) -> tuple[int, dict[str, int]]:
    """The least of the cheap bounds over the servable users, and each one by name."""
    cand = arr.servable()
    parts = {
        "servable": int(len(cand)),
        "knapsack": knapsack_bound(arr, cand),
        "moore_hodgson": moore_hodgson_bound(arr, cand),
    }
    return min(parts.values()), parts


def position_knapsack_bound(arr: ProblemArrays, users: np.ndarray, groups: int = 96) -> int:
    """The position-aware knapsack of the module docstring (group starts: ``groups`` places,
    geometric and linear, up to the plain knapsack bound)."""
    users = np.asarray(users, dtype=np.int64)
    n_max = knapsack_bound(arr, users)
    if n_max <= 1:
        return n_max
    T = arr.T_tol[users]
    own = relaxed_own(arr, users)
    E = np.cumsum(np.sort(arr.e[users]))
    T_max = float(T.max())
    starts = np.unique(
        np.r_[np.geomspace(1, n_max, groups // 2).round(), np.linspace(1, n_max, groups // 2).round()]
    ).astype(np.int64)
    prefix = []  # per group start t: cumulative sums of the sorted c_k(t)
    for t in starts:
        c = arr.beta(users, np.minimum(own, T_max - E[t - 1]))
        c = np.sort(c[np.isfinite(c)])
        prefix.append(np.r_[0.0, np.cumsum(c)])
    B = relaxed_budget(arr)

    def need(n: int) -> float:
        total = 0.0
        for j, t in enumerate(starts):
            if t > n:
                break
            size = (starts[j + 1] if j + 1 < len(starts) else n + 1) - t
            size = min(size, n + 1 - t)
            if size > len(prefix[j]) - 1:
                return math.inf
            total += prefix[j][size]
        return total

    lo, hi = 0, n_max  # need(lo) <= B < need(hi + 1)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if need(mid) <= B:
            lo = mid
        else:
            hi = mid - 1
    return lo


# -- least setups -------------------------------------------------------------------------------


def least_setups(instance: Instance) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(cluster_of_model, bb_per_cluster, own_per_model)`` of the module docstring, for any
    sharing structure (exactly the backbone class's ``bb_c`` and ``own_m`` on that class)."""
    from .loading import block_costs, membership, share_clusters

    arr = instance.arrays
    A = membership(instance).tocsc()
    M, J = A.shape
    c = block_costs(instance)
    cluster = share_clusters(A)
    size = np.bincount(cluster)
    counts = np.diff(A.indptr)  # models holding each block
    bb = np.zeros(len(size))
    for j in range(J):
        if counts[j]:
            cl = cluster[A.indices[A.indptr[j]]]
            if counts[j] == size[cl]:
                bb[cl] += c[j]
    own = np.zeros(M)
    for cl in range(len(size)):
        ms = np.flatnonzero(cluster == cl)
        if len(ms) > 1:
            sub = arr.tL[np.ix_(ms, ms)].copy()
            np.fill_diagonal(sub, np.inf)
            own[ms] = sub.min(axis=0)
    if arr.initial >= 0:
        bb[cluster[arr.initial]] = 0.0
        own[arr.initial] = 0.0
    return cluster, bb, own


def first_load_excess(arr: ProblemArrays, setups: tuple) -> float:
    """``delta = max(0, min_m (tL0(m) - bb_{c(m)} - own_m))`` over the requested models: what the
    first load costs beyond the least setups charged for it (module docstring, "First load")."""
    cluster, bb, own = setups
    if not arr.K:
        return 0.0
    ms = np.unique(arr.model)
    return max(0.0, float((arr.tL0[ms] - bb[cluster[ms]] - own[ms]).min()))


def _spread_setups(arr: ProblemArrays, users: np.ndarray, cluster, bb, own) -> np.ndarray:
    """Per user of ``users``: ``own_m / n_m + bb_c / n_c`` with the counts taken over ``users``."""
    m = arr.model[users]
    n_m = np.bincount(m, minlength=arr.M)
    n_c = np.bincount(cluster[m], minlength=len(bb))
    return own[m] / n_m[m] + bb[cluster[m]] / n_c[cluster[m]]


def setup_moore_hodgson_bound(arr: ProblemArrays, users: np.ndarray, setups: tuple) -> int:
    """Moore-Hodgson with the spread setups of the module docstring (sequential: ``e_k`` plus
    the spread setup, due ``T_tol,k - delta``; pipelined: the spread setup alone, due ``T_tol,k -
    e_k - delta``; ``delta`` the first load's excess)."""
    if not len(users):
        return 0
    spread = _spread_setups(arr, users, *setups)
    delta = first_load_excess(arr, setups)
    if arr.overlap == "sequential":
        return moore_hodgson(arr.e[users] + spread, shifted(arr.T_tol[users], delta))
    return moore_hodgson(spread, shifted(arr.T_tol[users] - arr.e[users], delta, scale=arr.T_tol[users]))


def minplus(a: np.ndarray, b: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
    """``c(n) = min_x a(n - x) + b(x)`` for ``n <= cap``, with the argmin x (min-plus convolution;
    a loop over b's support with a vectorized minimum over a)."""
    n = min(cap, len(a) - 1 + len(b) - 1)
    out = np.full(n + 1, np.inf)
    arg = np.zeros(n + 1, dtype=np.int64)
    for x in range(len(b)):
        if not np.isfinite(b[x]) or x > n:
            continue
        m = min(len(a), n + 1 - x)
        cand = a[:m] + b[x]
        seg = out[x : x + m]
        better = cand < seg
        seg[better] = cand[better]
        arg[x : x + m][better] = x
    return out, arg


def trailing_min(u: np.ndarray, s: int) -> np.ndarray:
    """``W[i] = min(u[max(0, i - s + 1) .. i])``, the minimum over a trailing window of ``s``
    entries, in O(len(u)) (van Herk / Gil-Werman: prefix and suffix minima within blocks of s)."""
    n = len(u)
    if s >= n:
        return np.minimum.accumulate(u)
    w = np.r_[u, np.full((-n) % s, np.inf)].reshape(-1, s)
    pre = np.minimum.accumulate(w, axis=1).ravel()[:n]
    suf = np.minimum.accumulate(w[:, ::-1], axis=1)[:, ::-1].ravel()[:n]
    out = pre.copy()
    i = np.arange(s - 1, n)
    out[i] = np.minimum(suf[i - s + 1], pre[i])
    return out


def minplus_affine(a: np.ndarray, setup: float, e: float, count: int, cap: int) -> np.ndarray:
    """:func:`minplus` of ``a`` with ``b(0) = 0, b(x) = setup + e x`` for ``1 <= x <= count`` (one
    model's batch in the DP over counts), in O(len(a) + cap): for n >= 1, ``min_{1 <= x <= count}
    a(n - x) + setup + e x = setup + e n + min_{n - count <= j <= n - 1} (a(j) - e j)``, a trailing
    window minimum. Equal to :func:`minplus` up to the rounding of ``e x`` against ``e n - e j``."""
    n = min(cap, len(a) - 1 + count)
    out = np.full(n + 1, np.inf)
    out[: min(len(a), n + 1)] = a[: n + 1]
    if n == 0 or count == 0:
        return out
    v = np.full(n, np.inf)  # v[j] = a(j) - e j for j < len(a), inf beyond
    m = min(len(a), n)
    v[:m] = a[:m] - e * np.arange(m)
    cand = setup + e * np.arange(1, n + 1) + trailing_min(v, count)
    out[1:] = np.minimum(out[1:], cand)
    return out


def setup_table(arr: ProblemArrays, users: np.ndarray, setups: tuple, cap: int) -> np.ndarray:
    """``F(n)``, the least busy time of n users of ``users`` under the least setups:
    ``min sum_{c used} bb_c + sum_{m used} (own_m + x_m e_m)`` over counts with ``sum x_m = n``
    and ``x_m <= n_m`` (min-plus convolutions over models, then clusters; SPEC §6's DP). A model's
    convolution is affine in its count (:func:`minplus_affine`, O(cap)); a cluster's loops over the
    shorter of the two tables."""
    cluster, bb, own = setups
    n_m = np.bincount(arr.model[users], minlength=arr.M)
    F = np.zeros(1)
    for c in np.unique(cluster[arr.model[users]]):
        g = np.zeros(1)
        for m in np.flatnonzero((cluster == c) & (n_m > 0)):
            g = minplus_affine(g, float(own[m]), float(arr.e_model[m]), int(min(n_m[m], cap)), cap)
        h = g + bb[c]
        h[0] = 0.0
        F = minplus(h, F, cap)[0] if len(F) < len(h) else minplus(F, h, cap)[0]
    return F


def setup_dp_bound(arr: ProblemArrays, users: np.ndarray, setups: tuple, levels: int = 16) -> tuple[int, float]:
    """Least over deadline levels ``d`` of ``max{n : F_d(n) <= d - delta} + UB(later)``, where ``F_d`` is
    :func:`setup_table` over the users with ``T_tol,k <= d`` and ``UB(later)`` the least of the
    count, the knapsack and the spread Moore-Hodgson bounds of the users with ``T_tol,k > d``.
    Valid for every level (sequential timeline), so any subset of levels may be tried: the
    ``levels`` quantiles of the distinct deadlines, and the last one. Returns ``(bound, d)``."""
    if not len(users):
        return 0, 0.0
    T = arr.T_tol[users]
    distinct = np.unique(T)
    pick = np.unique(np.quantile(np.arange(len(distinct)), np.linspace(0, 1, max(levels, 1) + 1)[1:]).round())
    best, best_d = len(users), float(distinct[-1])
    e_min = float(arr.e[users].min())
    delta = first_load_excess(arr, setups)
    for i in pick.astype(int):
        d = float(distinct[i])
        inside, later = users[T <= d], users[T > d]
        cap = len(inside) if e_min <= 0 else min(len(inside), int(math.floor(d / e_min)) + 1)
        F = setup_table(arr, inside, setups, cap)
        fits = np.flatnonzero(F <= shifted(d, delta))
        value = int(fits.max()) if len(fits) else 0
        if len(later) and value + len(later) > best:
            continue
        rest = min(len(later), knapsack_bound(arr, later), setup_moore_hodgson_bound(arr, later, setups))
        if value + rest < best:
            best, best_d = value + rest, d
    return best, best_d


def lp_bound_relaxation(arr: ProblemArrays, users: np.ndarray, setups: tuple) -> int | None:
    """``floor`` of the LP: max ``sum x_k``, ``0 <= x <= 1``, ``sum need_k x_k <= B_tol`` and, for
    every deadline level ``d``, ``sum_{T_tol,k <= d} p_k x_k <= d - delta`` with the spread ``p_k``
    of the module docstring (sequential timeline only); cumulative rows ``y_l - y_{l-1} -
    sum_{level l} p_k x_k = 0``, ``0 <= y_l <= d_l - delta`` (:func:`_level_rows`): O(K) nonzeros.
    Rounded down by :func:`_lp_floor`; None unless HiGHS reports the LP optimal."""
    users = np.asarray(users, dtype=np.int64)
    if not len(users) or arr.overlap != "sequential":
        return None
    T = arr.T_tol[users]
    need = arr.beta(users, relaxed_own(arr, users))
    keep = np.isfinite(need)
    users, need, T = users[keep], need[keep], T[keep]
    if not len(users):
        return 0
    p = arr.e[users] + _spread_setups(arr, users, *setups)
    levels, level_of = np.unique(T, return_inverse=True)
    n, L = len(users), len(levels)
    scale_t = float(levels[-1]) if levels[-1] > 0 else 1.0
    scale_b = float(need.max()) if need.max() > 0 else 1.0
    # rows: 0 = budget, 1 + l = level l; columns: x_k (n), then y_l (L)
    lr, lc, lv, l_lo, l_hi, l_up = _level_rows(1, n, level_of, p, levels, first_load_excess(arr, setups), scale_t)
    rows = np.r_[np.zeros(n, dtype=np.int64), lr]
    cols = np.r_[np.arange(n), lc]
    vals = np.r_[need / scale_b, lv]
    lower = np.r_[-np.inf, l_lo]
    upper = np.r_[relaxed_budget(arr) / scale_b, l_hi]
    col_upper = np.r_[np.ones(n), l_up]
    return _lp_floor(_lp_model(n + L, n, rows, cols, vals, lower, upper, col_upper))


def _level_rows(row0: int, col0: int, level_of, weight, levels, delta: float, scale_t: float) -> tuple:
    """The deadline-level rows shared by both LPs, cumulative so that they take O(#x + L)
    nonzeros: ``y_l - y_{l-1} - sum_{x at level l} weight x = 0`` (rows ``row0 + l``) and ``0 <=
    y_l <= d_l - delta`` (columns ``col0 + l``, with :func:`shifted`'s slack): ``sum_{T <= d_l}
    weight x <= d_l - delta``. ``level_of`` and ``weight`` are per x column (x columns 0..).
    Returns ``(rows, cols, vals, row_lower, row_upper, y_upper)``."""
    L = len(levels)
    nx = len(level_of)
    rows = np.r_[row0 + np.asarray(level_of), row0 + np.arange(L), row0 + 1 + np.arange(L - 1)]
    cols = np.r_[np.arange(nx), col0 + np.arange(L), col0 + np.arange(L - 1)]
    vals = np.r_[-np.asarray(weight) / scale_t, np.ones(L), -np.ones(L - 1)]
    y_upper = np.maximum(shifted(levels, delta), 0.0) / scale_t
    return rows, cols, vals, np.zeros(L), np.zeros(L), y_upper


def _lp_floor(lp: Any) -> int | None:
    """The LP's optimum (:func:`partialopt.core.highs.highs_lp_optimum`) rounded down after a relative
    margin of 1e-7 (and 1e-6 absolute) for HiGHS's tolerances; None unless HiGHS reports it optimal."""
    from .core.highs import highs_lp_optimum

    value = highs_lp_optimum(lp)
    if value is None:
        return None
    return math.floor(value * (1 + 1e-7) + 1e-6)


TIME_LP_MAX_USERS = 5000
"""Candidates above which :func:`time_lp_bound` is not built by default (``bound`` at K = 10,000
stays within seconds; with fewer than 8 intervals it improved on the knapsack by under 0.5 %)."""


def time_lp_bound(
    arr: ProblemArrays, users: np.ndarray, setups: tuple, intervals: int | None = None, levels: int = 8
) -> int | None:
    """``floor`` of the time-indexed LP of :func:`_time_lp` (``time_lp``), None unless HiGHS
    reports it optimal or where it is not built (above ``TIME_LP_MAX_USERS`` candidates)."""
    built = _time_lp(arr, users, setups, intervals, levels)
    return built if not isinstance(built, tuple) else _lp_floor(built[0])


def time_lp_choice(arr: ProblemArrays, users: np.ndarray, setups: tuple, time_limit: float = 60.0) -> np.ndarray:
    """The users that an optimal solution of the time-indexed LP (:func:`_time_lp`, default grid)
    serves at least half, ``sum_t x_{k,t} >= 1/2``, in index order: the user choice behind
    ``lns``'s LP start (a heuristic use; nothing here is a bound). Empty where the LP is not
    built or HiGHS does not report it optimal within ``time_limit`` seconds."""
    from .core.highs import highs_lp_solve

    built = _time_lp(arr, users, setups, None, 8)
    if not isinstance(built, tuple):
        return np.zeros(0, dtype=np.int64)
    lp, kept, ks = built
    solved = highs_lp_solve(lp, time_limit=time_limit)
    if solved is None:
        return np.zeros(0, dtype=np.int64)
    served = np.zeros(len(kept))
    np.add.at(served, ks, solved[1][: len(ks)])
    return np.sort(kept[served >= 0.5])


def _time_lp(
    arr: ProblemArrays, users: np.ndarray, setups: tuple, intervals: int | None = None, levels: int = 8
) -> int | None | tuple[Any, np.ndarray, np.ndarray]:
    """The time-indexed LP of the module docstring (``time_lp``) as ``(lp, kept users, ks)``, ``ks``
    the position in ``kept`` of each x column (the first ``len(ks)`` columns); or its value
    where no LP is needed (0), or None where it is not built. The LP (``floor``-ed by
    :func:`time_lp_bound`) models where each served user's latest start ``L_k`` lies, against the
    budget and the GPU's capacity after each time.

    The latest starts of a feasible order are themselves a schedule (SPEC §5: ``L_n + e_n <=
    T_n`` and ``L_n + gap_n <= L_{n+1}`` with ``gap_n >= e_n`` in both timelines), so the users
    with ``L_k >= a`` and ``T_tol,k <= d`` run one at a time inside ``[a, d]``: ``sum e_k <= d -
    a``. With the time grid ``t0 = a_0 < ... < a_G = max_k (T_tol,k - e_k)`` (no start before the
    first load, ``t0`` of :func:`partialopt.arrays.first_load`), ``x_{k,t} = 1`` when
    ``L_k`` lies in ``[a_t, a_{t+1}]`` (only where ``a_t <= T_tol,k - e_k``), and deadline levels
    ``d_1 < ... < d_D`` (quantiles of ``T_tol``; a user counts at every level ``>= T_tol,k``).
    ``L_k`` here are the latest starts under the judge's tolerant deadlines ``T_tol``: every
    accepted schedule (closed-form or explicit allocation) starts k at ``S_k <= L_k`` with its
    upload done, so ``b_k >= beta_k(S_k) >= beta_k(L_k)``, and ``L_k >= S_k >= t0``; the grid
    ends carry the ``SHIFT_RTOL`` slack against rounding::

        max sum x   s.t.   sum_t x_{k,t} <= 1,
                           sum_{k,t} beta_k(min(a_{t+1}, T_tol,k - e_k)) x_{k,t} <= B_tol
                               (beta decreases: a lower bound on beta_k(L_k)),
                           sum_{T_tol,k <= d_l} sum_{t' >= t} e_k x_{k,t'} <= d_l - a_t   (all l, t),
                           sum_{T_tol,k <= d_l} p_k sum_t x_{k,t} <= d_l - delta   (sequential: the
                               spread setups of ``lp``; pipelined: covered by t = 0 with e_k)

    The capacity rows are written with cumulative columns ``Q_{l,t} = sum_{l' <= l, t' >= t}
    (bucket l', interval t' load)``, ``Q_{l,t} - Q_{l-1,t} - Q_{l,t+1} + Q_{l-1,t+1} = (bucket
    l, interval t load)`` and ``0 <= Q_{l,t} <= d_l - a_t``: O(K G + D G) nonzeros. The budget
    and the time bind together here, where each alone is loose (knapsack, Moore-Hodgson); the
    loads between batches are left out (a relaxation). ``intervals`` defaults to
    ``min(24, 40000 // K)``; above ``TIME_LP_MAX_USERS`` candidates (fewer than 8 intervals, where
    it adds little) the default is not to build it (None). Rounded down by :func:`_lp_floor`; None
    unless HiGHS reports the LP optimal."""
    users = np.asarray(users, dtype=np.int64)
    if not len(users):
        return 0
    T = arr.T_tol[users]
    e = arr.e[users]
    own = relaxed_own(arr, users)
    B = relaxed_budget(arr)
    need = arr.beta(users, own)
    keep = np.isfinite(need) & (need <= B)
    users, T, e, own = users[keep], T[keep], e[keep], own[keep]
    n = len(users)
    if not n:
        return 0
    if intervals is None and n > TIME_LP_MAX_USERS:
        return None
    G = max(1, int(intervals)) if intervals is not None else max(8, min(24, 40_000 // n))
    # the grid starts at t0 and each user's intervals end at relaxed_own (T_tol - e plus the
    # SHIFT_RTOL slack): the judge rounds t0 + e <= T_tol its own way, and a user finishing
    # exactly at T_tol must keep its columns
    a0 = max(0.0, first_load(arr) - SHIFT_RTOL * float(np.abs(T).max()))
    if float(own.max()) < a0:
        return 0  # every inference starts after the first load, too late for each deadline
    a = np.linspace(a0, float(own.max()), G + 1)
    # x columns: (user position, interval) where the interval can hold L_k and beta is affordable
    ks_list, ts_list, cs_list = [], [], []
    for t in range(G):
        kk = np.flatnonzero(a[t] <= own)
        if not len(kk):
            continue
        c = arr.beta(users[kk], np.minimum(a[t + 1], own[kk]))
        ok = np.isfinite(c) & (c <= B)
        ks_list.append(kk[ok])
        ts_list.append(np.full(int(ok.sum()), t, dtype=np.int64))
        cs_list.append(c[ok])
    ks, ts, cs = np.concatenate(ks_list), np.concatenate(ts_list), np.concatenate(cs_list)
    nx = len(ks)
    T_max = float(T.max())
    dl = np.unique(np.quantile(T, np.linspace(0.0, 1.0, max(levels, 1) + 1)[1:]))
    dl[-1] = T_max
    bucket = np.searchsorted(dl, T, side="left")  # T_k <= dl[bucket_k]
    L = len(dl)
    seq = arr.overlap == "sequential"
    p = e + _spread_setups(arr, users, *setups) if seq else e
    scale_t = T_max if T_max > 0 else 1.0
    scale_b = float(cs.max()) if nx and cs.max() > 0 else 1.0
    q0 = nx  # Q_{l,t} at q0 + l * G + t
    y0 = q0 + L * G  # Y_l (cumulative spread load up to level l) at y0 + l
    n_cols = y0 + (L if seq else 0)
    rows, cols, vals = [], [], []
    row_lo: list[np.ndarray] = []
    row_hi: list[np.ndarray] = []
    # row 0: the budget
    rows.append(np.zeros(nx, dtype=np.int64))
    cols.append(np.arange(nx))
    vals.append(cs / scale_b)
    row_lo.append(np.array([-np.inf]))
    row_hi.append(np.array([B / scale_b]))
    # rows 1..n: each user at most once
    rows.append(1 + ks)
    cols.append(np.arange(nx))
    vals.append(np.ones(nx))
    row_lo.append(np.full(n, -np.inf))
    row_hi.append(np.ones(n))
    # capacity recursion rows, one per (l, t)
    base = 1 + n
    rows.append(base + bucket[ks] * G + ts)
    cols.append(np.arange(nx))
    vals.append(-e[ks] / scale_t)
    lt = np.arange(L * G)
    l_of, t_of = lt // G, lt % G
    for dl_off, dt_off, sign in ((0, 0, 1.0), (-1, 0, -1.0), (0, 1, -1.0), (-1, 1, 1.0)):
        sel = (l_of + dl_off >= 0) & (t_of + dt_off < G)
        rows.append(base + lt[sel])
        cols.append(q0 + (l_of[sel] + dl_off) * G + t_of[sel] + dt_off)
        vals.append(np.full(int(sel.sum()), sign))
    row_lo.append(np.zeros(L * G))
    row_hi.append(np.zeros(L * G))
    slack = SHIFT_RTOL * np.abs(dl)
    col_upper = [np.ones(nx), np.maximum(dl[l_of] - a[t_of] + slack[l_of], 0.0) / scale_t]
    if seq:  # the spread-setup levels of lp: sum_{T <= d_l} p_k x_k <= d_l - delta
        lr, lc, lv, l_lo, l_hi, l_up = _level_rows(
            1 + n + L * G, y0, bucket[ks], p[ks], dl, first_load_excess(arr, setups), scale_t
        )
        rows.append(lr)
        cols.append(lc)
        vals.append(lv)
        row_lo.append(l_lo)
        row_hi.append(l_hi)
        col_upper.append(l_up)
    lp = _lp_model(
        n_cols,
        nx,
        np.concatenate(rows),
        np.concatenate(cols),
        np.concatenate(vals),
        np.concatenate(row_lo),
        np.concatenate(row_hi),
        np.concatenate(col_upper),
    )
    return lp, users, ks


def _lp_model(n_cols: int, n_x: int, rows, cols, vals, row_lower, row_upper, col_upper):
    """A maximisation ``highspy.HighsLp``: objective 1 on the first ``n_x`` columns, column bounds
    ``[0, col_upper]``, the sparse matrix given as coordinates."""
    import highspy

    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = len(row_lower)
    lp.col_cost_ = np.r_[np.ones(n_x), np.zeros(n_cols - n_x)]
    lp.col_lower_ = np.zeros(n_cols)
    lp.col_upper_ = np.asarray(col_upper, dtype=float)
    lp.row_lower_ = np.asarray(row_lower, dtype=float)
    lp.row_upper_ = np.asarray(row_upper, dtype=float)
    lp.sense_ = highspy.ObjSense.kMaximize
    order = np.lexsort((rows, cols))
    rows, cols, vals = rows[order], cols[order], vals[order]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.searchsorted(cols, np.arange(n_cols + 1)).astype(np.int32)
    lp.a_matrix_.index_ = rows.astype(np.int32)
    lp.a_matrix_.value_ = vals
    return lp


def all_bounds(instance: Instance, levels: int = 16, lp: bool = True) -> dict[str, Any]:
    """Every bound of the module docstring but ``path_lagrangian`` (:func:`bound` adds it) by
    name (None where it does not apply), with its wall time in seconds under ``"<name>_s"``."""
    from .algorithms.edd_dp import edd_dp_bound

    arr = instance.arrays
    out: dict[str, Any] = {}

    def timed(name: str, fn) -> None:
        t0 = time.perf_counter()
        out[name] = fn()
        out[f"{name}_s"] = time.perf_counter() - t0

    cand = arr.servable()
    timed("servable", lambda: int(len(cand)))
    timed("knapsack", lambda: knapsack_bound(arr, cand))
    timed("position_knapsack", lambda: position_knapsack_bound(arr, cand))
    timed("moore_hodgson", lambda: moore_hodgson_bound(arr, cand))
    setups = least_setups(instance)
    timed("setup_moore_hodgson", lambda: setup_moore_hodgson_bound(arr, cand, setups))
    seq = arr.overlap == "sequential"
    timed("setup_dp", lambda: setup_dp_bound(arr, cand, setups, levels)[0] if seq else None)
    timed("lp", lambda: lp_bound_relaxation(arr, cand, setups) if lp and seq else None)
    timed("time_lp", lambda: time_lp_bound(arr, cand, setups) if lp else None)
    timed("edd_dp", lambda: edd_dp_bound(arr, cand, EDD_DP_MB))
    return out


def bound(instance: Instance, levels: int = 16, lp: bool = True, lagrangian_seconds: float = 2.0) -> Result:
    """Upper bounds that scale (module docstring): the least of ``servable``, ``knapsack``,
    ``position_knapsack``, ``moore_hodgson``, ``setup_moore_hodgson``, ``setup_dp``, ``lp``,
    ``time_lp``, ``edd_dp`` and ``path_lagrangian``, as the result's ``bound`` with an empty schedule;
    ``stats["bounds"]`` has each value and ``stats["best"]`` the name of the least. Time
    O(K log K) plus the DP over counts (capped by the number of inferences that fit before each
    level), one LP with O(K) nonzeros, the time-indexed LP with O(K G) (up to 5,000 candidates)
    and ``edd_dp`` where its table fits in :data:`EDD_DP_MB`; memory O(K G + M^2) beside that
    table; plus up to ``lagrangian_seconds`` for ``path_lagrangian`` (up to 2,000 candidates).

    Parameters
    ----------
    instance : Instance
        The scheduling instance (any class; ``setup_dp`` and ``lp`` need the sequential timeline).
    levels : int
        Deadline levels tried by ``setup_dp`` (quantiles of the distinct deadlines).
    lp : bool
        Whether to solve the LPs (``lp``: the budget and the deadline levels; ``time_lp``: the
        budget and the GPU's capacity over a time grid of latest starts).
    lagrangian_seconds : float
        Time budget of ``path_lagrangian`` (column generation; 0 leaves it out). It stops early
        when it converges (``stats["path_lagrangian"]``: paths priced, converged or not).
    """
    from .core.highs import check_time_limit
    from .result import Result

    check_time_limit(lagrangian_seconds, name="lagrangian_seconds", zero=True)
    t0 = time.perf_counter()
    values = all_bounds(instance, levels=levels, lp=lp)
    info = None
    if lp and lagrangian_seconds > 0:
        from .path_bound import path_lagrangian_bound

        t1 = time.perf_counter()
        arr = instance.arrays
        values["path_lagrangian"], info = path_lagrangian_bound(arr, arr.servable(), time_limit=lagrangian_seconds)
        values["path_lagrangian_s"] = time.perf_counter() - t1
    named = {k: v for k, v in values.items() if not k.endswith("_s") and v is not None}
    best = min(named, key=lambda k: (named[k], list(named).index(k)))
    stats = {
        "bounds": named,
        "best": best,
        "times": {k[:-2]: v for k, v in values.items() if k.endswith("_s")},
    }
    if info is not None:
        stats["path_lagrangian"] = info
    return Result.from_order(instance, [], "bound", bound=named[best], wall_time=time.perf_counter() - t0, stats=stats)
