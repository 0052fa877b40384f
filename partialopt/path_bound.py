"""The ``path_lagrangian`` bound: a Lagrangian relaxation over time-indexed paths of the GPU
(sequential timeline, SPEC §4-5), with its multipliers from column generation.

The latest starts ``L_1 < ... < L_N`` of an order that the judge accepts (deadlines ``T_tol``,
budget ``B_tol``; :mod:`partialopt.core.tolerances`) satisfy

    L_n <= T_tol,n - e_n,   L_{n+1} - L_n >= d_n = e_n + tL(m_n -> m_{n+1}),   L_1 >= tL0(m_1),
    sum_n beta_n(L_n) <= B_tol

(SPEC §5: every accepted allocation starts n at ``S_n <= L_n`` with its upload done, so ``b_n >=
beta_n(L_n)``; the forward zero-upload start of the first user is ``tL0(m_1) <= S_1``). On the
grid ``g delta`` the indices ``g_n = ceil(L_n / delta)`` then satisfy ``g_n <= gmax_n =
ceil((T_tol,n - e_n) / delta)``, ``g_1 >= ceil(tL0(m_1) / delta)`` and ``g_{n+1} - g_n >=
floor(d_n / delta)`` (an integer above ``d_n / delta - 1``), and ``beta_n(L_n) >=
beta_n(min(c, T_tol,n - e_n))`` for every ``c >= g_n delta`` (beta decreases). So every accepted
order is a *path*: placements (user, grid point) with those steps between consecutive ones, the
model of each placement being its user's, and the bandwidth priced at the grid point.

Relax "each user at most once" (multipliers ``mu_k >= 0``) and the budget (``lam >= 0``, the
budget scaled to 1)::

    LB(mu, lam) = lam + sum_k mu_k + max over paths  sum_{placements (k, g)} (1 - mu_k - lam beta_k(g) / B_tol)

``LB`` is at least the number of users of every accepted order, for *any* ``mu, lam >= 0`` (weak
duality; a placement priced above the whole budget is impossible, and one of reward <= 0 is
left out: dropping a user from an accepted order leaves an accepted order whose latest starts
are no earlier, by the triangle inequality of SPEC §2). The
maximum over paths is a DP over (grid point, model) in O(G M^2 + sum_k (gmax_k + 1)), compiled
with numba (:func:`kernel`). The bound is ``floor(min LB)`` over the multipliers tried.

The multipliers come from column generation (HiGHS): the master LP chooses a convex combination
of the paths found so far (each user at most once on average, the budget on average), its duals
are the next ``mu, lam``, and the DP prices the next path. At convergence ``min LB`` is the
master's optimum, the LP relaxation of paths; before it every ``LB`` is still a bound, so a time
limit leaves a valid bound. This joins what the other bounds keep apart: the loads between
batches exactly as the sequence pays them (sequence-dependent, within and across clusters), the
deadlines, and the budget at each user's latest start. It is weak where the LP mixes batches of
one model each with weights summing to one (many users of similar cost); it was the least bound
on some instances of ``general`` K = 100 and ``vision-frozen-bottom`` K = 1,000
(``benchmarks/README.md``).

The grid: ``delta = e_min / j`` (``e_min`` over the requested models, a hair less, so that a step
of ``e_min`` loses nothing to the floor) with ``2 <= j <= GRID_PER_INFERENCE`` and at most
``GRID_MAX`` points, ``DP_CELLS`` (grid point, model) cells and ``WORK_MAX`` user cells ``sum_k
(gmax_k + 1)`` and transitions ``G M^2`` (else the bound is not computed); the prices ``beta_k``
are taken on a geometric grid of ``PRICE_POINTS`` times (each at the first price point at or
after ``g delta``: a lower price, still a bound). The judge's rounding: every user's latest start
is :func:`partialopt.bounds.relaxed_own` and the budget :func:`partialopt.bounds.relaxed_budget`.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from .arrays import SHIFT_RTOL, ProblemArrays
from .core import interrupt

GRID_PER_INFERENCE = 64
"""Grid points per least inference time (finer grids lose less to the floor of each step)."""
GRID_MAX = 40_000
"""Most grid points."""
WORK_MAX = 4e7
"""Most (user, grid point) cells the DP may price per path, and most transitions ``G M^2`` (about
40 ms each)."""
DP_CELLS = 2e6
"""Most (grid point, model) cells of the DP's tables (seven arrays of 8 bytes: 112 MB)."""
PRICE_POINTS = 512
"""Geometric grid on which each user's bandwidth price ``beta_k`` is tabulated."""
SMOOTHING = 0.8
"""Weight of the best multipliers so far in the point where the next path is priced (dual
smoothing; the plain duals when that point finds no path of positive reduced cost)."""
MAX_CANDIDATES = 2_000
"""Above this many candidates the bound is not computed (None)."""


def _kernel() -> Any:
    from numba import njit

    @njit(cache=True)
    def best_path(G, M, gmax, mod, cidx, price, off, mu, lam, step, gstart, r, ra, F, P, Pa, pg, pm, out):
        """The most valuable path (module docstring) for multipliers ``mu, lam``: returns
        ``(value, n)`` with the path's placements in ``out[:n, 0]`` (candidate index) and
        ``out[:n, 1]`` (grid point), in time order."""
        K = len(gmax)
        r[:, :] = 0.0
        ra[:, :] = -1
        for k in range(K):
            base = 1.0 - mu[k]
            if base <= 0.0:
                continue
            m = mod[k]
            o = off[k]
            n = off[k + 1] - o
            for g in range(gmax[k], -1, -1):  # the price rises as g falls: stop at reward <= 0
                c = cidx[g]
                if c >= n:
                    c = n - 1
                if price[o + c] > 1.0:  # beyond the whole budget: no accepted order has it
                    break
                v = base - lam * price[o + c]
                if v <= 0.0:
                    break
                if v > r[g, m]:
                    r[g, m] = v
                    ra[g, m] = k
        best = 0.0
        bg = -1
        bm = -1
        for g in range(G):
            for m in range(M):
                F[g, m] = -np.inf
                if ra[g, m] < 0:
                    continue
                prev = 0.0 if g >= gstart[m] else -np.inf
                qg = -1
                qm = -1
                for mp in range(M):
                    h = g - step[mp, m]
                    if h >= 0 and P[h, mp] > prev:
                        prev = P[h, mp]
                        qg = Pa[h, mp]
                        qm = mp
                if prev == -np.inf:
                    continue
                F[g, m] = r[g, m] + prev
                pg[g, m] = qg
                pm[g, m] = qm
                if F[g, m] > best:
                    best = F[g, m]
                    bg = g
                    bm = m
            for m in range(M):
                if g > 0 and P[g - 1, m] >= F[g, m]:
                    P[g, m] = P[g - 1, m]
                    Pa[g, m] = Pa[g - 1, m]
                else:
                    P[g, m] = F[g, m]
                    Pa[g, m] = g
        n = 0
        g = bg
        m = bm
        while g >= 0:
            out[n, 0] = ra[g, m]
            out[n, 1] = g
            n += 1
            g, m = pg[g, m], pm[g, m]
        out[:n] = out[:n][::-1].copy()
        return best, n

    return best_path


_KERNEL: list[Any] = []


def kernel() -> Any:
    """The compiled DP (loaded once per process; numba's cache keeps it between processes)."""
    if not _KERNEL:
        _KERNEL.append(_kernel())
    return _KERNEL[0]


class PathProblem:
    """The grid, the steps and the price tables of the module docstring for candidates ``users``
    (indices into the instance; those whose ``beta_k`` at their latest start fits in the budget,
    both relaxed for the judge's rounding: :func:`partialopt.bounds.relaxed_own`,
    :func:`partialopt.bounds.relaxed_budget`). ``too_large`` says why no DP is built (the grid
    would need more than ``GRID_MAX`` points at two per least inference time, or its tables more
    than :data:`DP_CELLS` cells or :data:`WORK_MAX` transitions), else None."""

    def __init__(self, arr: ProblemArrays, users: np.ndarray):
        from .bounds import relaxed_budget, relaxed_own

        B = relaxed_budget(arr)
        users = np.asarray(users, dtype=np.int64)
        own = relaxed_own(arr, users)
        with np.errstate(divide="ignore", invalid="ignore"):
            need = arr.beta(users, np.maximum(own, 0.0))
        keep = (own > 0) & np.isfinite(need) & (need <= B)
        self.users = users = users[keep]
        T = arr.T_tol[users]
        own = own[keep]
        self.n = n = len(users)
        self.M = M = arr.M
        self.too_large: str | None = None
        self.work = 0.0
        if not n:
            return
        H = float(own.max())
        e_min = float(arr.e_model[np.unique(arr.model[users])].min())  # over the requested models
        j = min(GRID_PER_INFERENCE, int(GRID_MAX * e_min / H))
        if j < 2:
            self.too_large = f"more than {GRID_MAX} grid points (horizon / least inference time {H / e_min:.3g})"
            return
        self.delta = delta = e_min / (j * (1.0 + 1e-9))
        self.G = G = int(math.ceil(H / delta)) + 1
        if G * M > DP_CELLS or G * M * M > WORK_MAX:
            self.too_large = f"a DP of {G} grid points x {M} models above its caps"
            return
        self.gmax = np.minimum(np.ceil(own / delta).astype(np.int64), G - 1)
        self.work = float(np.sum(self.gmax + 1))
        if self.work > WORK_MAX:
            self.too_large = f"more than {WORK_MAX:.0e} (user, grid point) cells"
            return
        self.mod = arr.model[users].astype(np.int64)
        d = arr.e_model[:, None] + arr.tL  # d[m', m] = e_m' + tL(m' -> m)
        self.step = np.floor(d / delta * (1.0 - 1e-12)).astype(np.int64)
        t_first = np.maximum(arr.tL0 - SHIFT_RTOL * float(np.abs(T).max()), 0.0)
        self.gstart = np.ceil(t_first / delta * (1.0 - 1e-12)).astype(np.int64)
        lo = max(min(delta, float(own.min())), 1e-12)
        grid = np.geomspace(lo, H + delta, PRICE_POINTS)
        grid[-1] = max(grid[-1], G * delta)
        self.cidx = np.minimum(np.searchsorted(grid, np.arange(G) * delta, side="left"), PRICE_POINTS - 1)
        # each user's prices: beta_k(min(grid[c], own_k)) for the price points up to own_k
        count = np.minimum(np.searchsorted(grid, own, side="left") + 1, PRICE_POINTS)
        self.off = np.concatenate([[0], np.cumsum(count)]).astype(np.int64)
        who = np.repeat(np.arange(n), count)
        at = np.arange(int(self.off[-1])) - self.off[who]
        t = np.minimum(grid[at], own[who])
        price = arr.beta(users[who], t) / B
        self.price = np.where(np.isfinite(price), price * (1.0 - 1e-12), 2.0)  # > 1: not placed

    def placement_prices(self, ks: np.ndarray, gs: np.ndarray) -> np.ndarray:
        """The scaled prices of candidates ``ks`` placed at grid points ``gs`` (what the DP
        charges)."""
        ks, gs = np.asarray(ks, dtype=np.int64), np.asarray(gs, dtype=np.int64)
        c = np.minimum(self.cidx[gs], self.off[ks + 1] - self.off[ks] - 1)
        return self.price[self.off[ks] + c]


def path_lagrangian_bound(
    arr: ProblemArrays, users: np.ndarray, time_limit: float = 2.0, max_paths: int = 2000
) -> tuple[int | None, dict[str, Any]]:
    """``floor(min LB)`` of the module docstring over the multipliers of column generation, run
    for ``time_limit`` seconds after the first path (which compiles the DP in a fresh install,
    about 7 s once; numba caches it) or ``max_paths`` paths or until no path has a positive
    reduced cost (then ``stats["converged"]``). None where it does not apply, with the reason in
    ``stats["skipped"]``: the pipelined timeline, more than :data:`MAX_CANDIDATES` candidates, or
    a grid above its caps (:class:`PathProblem`). Ctrl-C ends the generation and keeps the least
    ``LB`` found (a bound at every step); the result is at most the number of candidates."""
    from .core.highs import _silent_highs, check_time_limit

    check_time_limit(time_limit, zero=True)
    t0 = time.perf_counter()
    stats: dict[str, Any] = {"paths": 0, "converged": False}
    if arr.overlap != "sequential":
        return None, {**stats, "skipped": "pipelined timeline"}
    if len(users) > MAX_CANDIDATES:
        return None, {**stats, "skipped": f"more than {MAX_CANDIDATES} candidates"}
    pb = PathProblem(arr, users)
    n = pb.n
    if not n:
        stats["converged"] = True
        return 0, stats
    if pb.too_large is not None:
        return None, {**stats, "skipped": pb.too_large}
    import highspy

    best_path = kernel()
    G, M = pb.G, pb.M
    r, F, P = np.empty((G, M)), np.empty((G, M)), np.empty((G, M))
    ra, Pa, pg, pm = (np.empty((G, M), dtype=np.int64) for _ in range(4))
    out = np.empty((G, 2), dtype=np.int64)
    h = _silent_highs()
    h.setOptionValue("threads", 1)
    # HiGHS's clock adds up the time of every run of this object: the whole budget, once
    h.setOptionValue("time_limit", max(float(time_limit), 1e-3))
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    rows = n + 2  # users, the budget, the convex combination
    h.addRows(rows, np.full(rows, -np.inf), np.ones(rows), 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
    duals = (np.zeros(n), 0.0, 0.0)  # the master's (mu, lam, pi)
    center: tuple[np.ndarray, float] | None = None  # the multipliers of the least LB so far
    least = math.inf
    stats.update(grid=G, delta=pb.delta)

    def price(mu: np.ndarray, lam: float) -> tuple[float, np.ndarray, np.ndarray]:
        nonlocal least, center
        value, length = best_path(
            G, M, pb.gmax, pb.mod, pb.cidx, pb.price, pb.off, mu, lam, pb.step, pb.gstart, r, ra, F, P, Pa, pg, pm, out
        )
        lb = (float(value) + lam + float(mu.sum())) * (1.0 + 1e-12) + 1e-9
        if lb < least:
            least, center = lb, (mu.copy(), lam)
        return float(value), out[:length, 0].copy(), out[:length, 1].copy()

    clock: float | None = None
    highspy.Highs.resetThreadScheduler(True)  # a pool of the one thread these solves ask for
    try:
        while True:
            mu, lam, pi = duals
            if center is not None:  # smoothing (Wentges): price between the best multipliers and the duals
                mu, lam = SMOOTHING * center[0] + (1 - SMOOTHING) * mu, SMOOTHING * center[1] + (1 - SMOOTHING) * lam
            _, ks, gs = price(mu, lam)
            spend = pb.placement_prices(ks, gs)
            reduced = float(np.sum(1.0 - duals[0][ks] - duals[1] * spend)) - pi if len(ks) else -pi
            if reduced <= 1e-9 * max(1.0, abs(pi)) and center is not None:  # mispriced: at the duals
                value, ks, gs = price(duals[0], duals[1])
                spend = pb.placement_prices(ks, gs)
                reduced = value - pi
            if reduced <= 1e-9 * max(1.0, abs(pi)):
                stats["converged"] = True
                break
            if clock is None:  # the first path compiled the DP in a fresh install: not in the budget
                clock = time.perf_counter()
            if stats["paths"] >= max_paths or time.perf_counter() - clock > time_limit or interrupt.requested():
                break
            count = np.bincount(ks, minlength=n)
            used = np.flatnonzero(count)
            idx = np.concatenate([used, [n, n + 1]]).astype(np.int32)
            val = np.concatenate([count[used].astype(float), [float(spend.sum()), 1.0]])
            h.addCol(float(len(ks)), 0.0, np.inf, len(idx), idx, val)
            stats["paths"] += 1
            h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                break  # the multipliers so far gave bounds; no better ones without the master
            y = np.abs(np.asarray(h.getSolution().row_dual, dtype=float))
            duals = (y[:n], float(y[n]), float(y[n + 1]))
    finally:
        highspy.Highs.resetThreadScheduler(True)

    stats["seconds"] = time.perf_counter() - t0
    stats["lagrangian"] = least
    return min(int(math.floor(least)), n), stats  # never above the number of candidates
