"""Large-neighbourhood search on model batches (SPEC §7's improvement method that scales).

Representation. A schedule is a sequence of **batches** ``b = 1..r``: a model ``m_b`` and its users
in deadline order (within a batch every user has the same inference time ``e_m``, so EDF meets
every deadline that any order of the batch meets). On the zero-upload timeline (SPEC §4) the
batch starts at ``S_b`` and its i-th user (from 0) finishes at ``S_b + (i + 1) e_m``, so the
batch is on time iff ``S_b <= lambda_b = min_i (T_i - (i + 1) e_m)``; sequential::

    S_b = F_{b-1} + tL(m_{b-1} -> m_b),   F_b = S_b + n_b e_{m_b}     (F_0 = 0, m_0 the initial model)

and pipelined: ``E_b = E_{b-1} + tL(m_{b-1} -> m_b)``, ``S_b = max(E_b, F_{b-1})``. Condition (i) of
the decoupling theorem is ``S_b <= lambda_b`` for all b; condition (ii) ``sum_n beta(L_n) <= B``
is checked exactly on the flattened order (:func:`partialopt.bandwidth.latest_starts`).

O(1) checks (sequential). With the slack ``s_b = lambda_b - S_b`` and its suffix minimum
``SS_b = min_{c >= b} s_c``, a change that delays everything after batch b by ``delta`` keeps
(i) iff ``delta <= SS_{b+1}`` (later batches keep their lambda). Inserting user u into batch b
(position j by deadline) gives ``lambda'_b = min(pre_{j-1}, T_u - (j + 1) e, suf_j - e)`` from the
batch's prefix and suffix minima of ``T_i - (i + 1) e`` and delays the rest by ``e``; a new batch
of u between b-1 and b starts at ``F_{b-1} + tL(m_{b-1} -> m_u)`` and delays the rest by
``tL(m_{b-1} -> m_u) + e_u + tL(m_u -> m_b) - tL(m_{b-1} -> m_b)``. Removing users never breaks (i)
(triangle inequality of tL) nor (ii) (latest starts only grow). The pipelined timeline is checked
by propagating the change (O(r)).

Budget checks, cheapest first. The exact total only grows when a user is added, by at least
``need_u = beta_u(T_u - e_u)`` and by at least u's own ``beta_u(L_u)``: either exceeding ``B``
rejects at once. An upper bound ``sum_n beta(S_n)`` over zero-upload starts (``S_n <= L_n``;
starts only rise under insertions) accepts without any Lambert W. Otherwise the exact change is
computed incrementally (:meth:`BatchState._insert_delta`): users after the insertion keep their
latest starts, users before it change only on the run whose ``min_{j >= n} G_j`` the new user
lowers. While the total is at most half the budget, a sweep runs optimistically and checks the
budget once at its end (undone and re-run with every check if it fails).

Internal checks use the exact ``T`` and ``B`` (the judge's tolerances ``1e-9`` relative are left
as a margin for rounding), and every returned order is re-checked by the judge.

Search. Starts: the best of the heuristics in ``starts`` (more served users, then the smaller GPU
finish) and density constructions (every candidate offered, from an empty schedule, in order of
resource use: the spread processing time ``p_k = e_k + own_m / n_m + bb_c / n_c`` of
:mod:`partialopt.bounds` over the horizon plus a weight times the bandwidth need at the user's
own latest start or at half or a quarter of the horizon: the density of the DP's knapsack view).
On the sequential timeline there is also the **LP start** (:meth:`_Search.lp_start`): the users
the time-indexed LP of :mod:`partialopt.bounds` serves (budget and GPU capacity over time, loads
left out), put in batches by deadline windows and dropped to feasibility. A user is placed at its
cheapest feasible place in added busy time; where the budget binds
(total above half of B), at the one of its ``SCAN`` cheapest places that adds the least
bandwidth. LNS steps remove a window of 1-3 consecutive batches, every batch of one model, the
1-5 users of largest ``p_k``, or the 1-5 users of largest bandwidth ``beta(L_n)`` where they are,
and offer the removed users, the unserved users of their models and the ``POOL`` unserved users
of least resource use (seeded noise on the order, a seeded budget weight and need variant); a
step is kept when it serves more users or as many with a GPU finish no larger. Every
``REASSIGN_EVERY``-th step is instead the **reassignment** (:meth:`_Search.least_assignment`): with
the latest starts fixed, each model's places are given to the users of least total bandwidth
(a least-cost assignment, never more bandwidth, same timeline), and the unserved users are
offered into the budget it frees. On the sequential timeline every ``WINDOW_EVERY``-th step is
instead the **exact window** (:meth:`_Search.window`): a seeded window of consecutive places is
freed and re-optimised exactly by :mod:`.bnb`'s search with the prefix and the suffix held fixed
(:class:`.bnb.Frame`), over the window's users and unserved users that could fit (at most
``WINDOW_USERS``), within ``WINDOW_NODES`` nodes. Stops after
``iterations`` steps (deterministic for a seed), after ``time_limit`` seconds, or on Ctrl-C
(status ``interrupted``, the best schedule kept). On the sequential timeline, schedules of more
than ``POLISH_MAX`` users then get the **batch-structure search** (:mod:`.batch_search`, the last
``BATCH_SHARE`` of ``time_limit``, ``batch_evals`` evaluations): shapes of batches packed backward
from an end time, each filled by least-cost assignments of the models' places, so that a batch may
hold its users in any order (the state's deadline order can cost more bandwidth); its best order
is kept if it serves more and passes the exact checks. Schedules of at most ``POLISH_MAX`` users then
get :func:`~partialopt.algorithms.local_search.local_search`'s user-level moves under a
deterministic budget. Never worse than its start.
"""

from __future__ import annotations

import bisect
import math
import time
from typing import Any

import numpy as np

from ..arrays import ProblemArrays, exact_check, order_gaps
from ..core import interrupt
from ..core.errors import OptionError
from ..core.highs import check_time_limit
from ..evaluate import gpu_finish
from ..instance import Instance
from ..result import Result

STARTS = ("greedy", "edf", "no_sharing", "paper_greedy")
"""Methods whose best result starts the search (the default of ``starts``)."""
POOL = 200
"""Unserved users of least resource use offered in each repair (besides the removed users)."""
SCAN = 20
"""Places scanned by the least-bandwidth insertion when the budget is more than half used."""
POLISH_MAX = 40
"""Schedules of at most this many users get a final local_search polish (``POLISH_EVALS`` checks)."""
POLISH_EVALS = 20_000
CHECK_EVERY = 32
"""Users offered between two checks of the time limit and Ctrl-C inside a sweep."""
REASSIGN_EVERY = 50
"""Every this many LNS steps, one step is the reassignment of :meth:`_Search.reassign`."""
REASSIGN_MAX_CELLS = 2_000_000
"""The reassignment is skipped where its cost matrices (places x users, summed over models) are
larger (about 1 s of Lambert W and assignment at this size)."""
LP_START_HORIZONS = (0.1, 0.15, 0.2)
"""Batching windows of the LP start (:meth:`_Search.lp_start`), as fractions of the horizon."""
BATCH_SHARE = 0.25
"""Share of ``time_limit`` left to the batch-structure search (sequential timeline)."""
WINDOW_EVERY = 20
"""Every this many LNS steps (sequential timeline), one step is the exact window
re-optimisation of :meth:`_Search.window`."""
WINDOW_USERS = 20
"""Most users a window search takes: the window's served users and unserved candidates."""
WINDOW_NODES = 30_000
"""Search nodes per window step (a deterministic work budget; 0.01-0.06 s at 0.5-1 M nodes per second)."""
WINDOW_MEMO_MB = 8.0
"""Dominance memo of a window search (MB; its pages are touched only as states are stored)."""


class BatchState:
    """A schedule as batches with the arrays of the module docstring (kept up to date by
    :meth:`refresh` after every change)."""

    def __init__(self, arr: ProblemArrays, rank: np.ndarray):
        self.arr = arr
        self.seq = arr.overlap == "sequential"
        self.rank = rank  # within-batch sort key of each user (deadline order)
        self.models: list[int] = []
        self.users: list[list[int]] = []
        self.bw_lo = 0.0  # lower bound on the exact total least bandwidth (exact after reset_budget)
        self.ub = 0.0  # upper bound on it, valid while users are only added
        self.optimistic = False  # skip the exact budget test (the caller checks afterwards)
        self.flat_valid = False  # whether flat/P/G/M/b/total describe the current order
        # the flat order and its latest-start data (SPEC §5), see _insert_delta / reset_budget
        self.flat: np.ndarray = np.zeros(0, dtype=np.int64)
        self.P: np.ndarray = np.zeros(0)
        self.G: np.ndarray = np.zeros(0)
        self.M: np.ndarray = np.zeros(0)
        self.b: np.ndarray = np.zeros(0)
        self.total = 0.0
        self.tries = 1000  # places tried per user, cheapest first
        self.scan = SCAN  # places compared by added bandwidth where the budget binds
        self.refresh()

    # -- derived arrays ----------------------------------------------------------------------
    def refresh(self, changed: list[int] | None = None) -> None:
        """Recompute starts, finishes, lambdas and slacks (lambda only for ``changed`` batches,
        or all when None)."""
        arr, r = self.arr, len(self.models)
        if changed is None or len(getattr(self, "lam", [])) != r:
            self.lam = [0.0] * r
            self.pre: list[np.ndarray] = [np.zeros(0)] * r
            self.suf: list[np.ndarray] = [np.zeros(0)] * r
            self.Tlist: list[list[float]] = [[]] * r
            changed = list(range(r))
        for b in changed:
            u = self.users[b]
            T = arr.T[u]
            a = T - arr.e_model[self.models[b]] * np.arange(1, len(u) + 1)
            self.pre[b] = np.minimum.accumulate(a)
            self.suf[b] = np.minimum.accumulate(a[::-1])[::-1]
            self.lam[b] = float(a.min())
            self.Tlist[b] = T.tolist()
        self.S = [0.0] * r
        self.F = [0.0] * r
        self.E = [0.0] * r
        F = E = 0.0
        prev = arr.initial
        for b in range(r):
            m = self.models[b]
            load = float(arr.tL0[m]) if b == 0 else float(arr.tL[prev, m])
            if self.seq:
                S = F + load
            else:
                E = E + load
                S = max(E, F)
            self.E[b] = E
            self.S[b] = S
            F = S + len(self.users[b]) * float(arr.e_model[m])
            self.F[b] = F
            prev = m
        slack = [self.lam[b] - self.S[b] for b in range(r)]
        self.SS = [math.inf] * (r + 1)
        for b in range(r - 1, -1, -1):
            self.SS[b] = min(slack[b], self.SS[b + 1])
        self.offsets = [0] * (r + 1)
        for b in range(r):
            self.offsets[b + 1] = self.offsets[b] + len(self.users[b])
        self.of_model: dict[int, list[int]] = {}
        for b, m in enumerate(self.models):
            self.of_model.setdefault(m, []).append(b)
        self.count = sum(len(u) for u in self.users)

    @property
    def busy(self) -> float:
        return self.F[-1] if self.F else 0.0

    def order(self) -> list[int]:
        return [k for u in self.users for k in u]

    def copy_lists(self) -> tuple[list[int], list[list[int]], float, float]:
        return list(self.models), [list(u) for u in self.users], self.bw_lo, self.ub

    def restore(self, saved: tuple[list[int], list[list[int]], float, float]) -> None:
        self.models, self.users, self.bw_lo, self.ub = saved
        self.flat_valid = False
        self.refresh()

    # -- checks ------------------------------------------------------------------------------
    def _pipelined_ok(self, b0: int, models: list[int], users: list[list[int]]) -> bool:
        """Full check of (i) for the pipelined timeline from batch ``b0`` of a candidate."""
        arr = self.arr
        F = self.F[b0 - 1] if b0 > 0 else 0.0
        E = self.E[b0 - 1] if b0 > 0 else 0.0
        prev = models[b0 - 1] if b0 > 0 else arr.initial
        for b in range(b0, len(models)):
            m = models[b]
            E = E + (float(arr.tL0[m]) if b == 0 else float(arr.tL[prev, m]))
            S = max(E, F)
            u = users[b]
            T = arr.T[u]
            if np.any(S + arr.e_model[m] * np.arange(1, len(u) + 1) > T):
                return False
            F = S + len(u) * float(arr.e_model[m])
            prev = m
        return True

    def insertion_options(self, u: int) -> list[tuple[float, int, int]]:
        """Feasible places for unserved user u as ``(added busy time, kind, batch)``: kind 0 =
        into batch b, kind 1 = a new batch in front of batch b (b = r: at the end). Condition (i)
        only (sequential: O(1) each with the suffix minima; pipelined: propagated)."""
        arr = self.arr
        m = int(arr.model[u])
        e = float(arr.e_model[m])
        Tu = float(arr.T[u])
        r = len(self.models)
        out: list[tuple[float, int, int]] = []
        for b in self.of_model.get(m, []):
            j = bisect.bisect_right(self.Tlist[b], Tu)
            lam = Tu - (j + 1) * e
            if j > 0:
                lam = min(lam, float(self.pre[b][j - 1]))
            if j < len(self.Tlist[b]):
                lam = min(lam, float(self.suf[b][j]) - e)
            if self.S[b] > lam:
                continue
            if self.seq:
                if e <= self.SS[b + 1]:
                    out.append((e, 0, b))
            else:
                users = list(self.users)
                users[b] = self.users[b][:j] + [u] + self.users[b][j:]
                if self._pipelined_ok(b, self.models, users):
                    out.append((e, 0, b))
        # a new batch in front of batch b: only where it can still finish by T_u
        for b in range(r + 1):
            Fp = self.F[b - 1] if b > 0 else 0.0
            prev = self.models[b - 1] if b > 0 else -1
            if Fp + e > Tu:
                break
            if b < r and self.models[b] == m or b > 0 and prev == m:
                continue  # same model next to it: that is "into batch"
            into = float(arr.tL0[m]) if prev < 0 else float(arr.tL[prev, m])
            if self.seq:
                S = Fp + into
                if S + e > Tu:
                    continue
                if b < r:
                    nxt = self.models[b]
                    before = float(arr.tL0[nxt]) if prev < 0 else float(arr.tL[prev, nxt])
                    delta = into + e + float(arr.tL[m, nxt]) - before
                    if delta > self.SS[b]:
                        continue
                else:
                    delta = into + e
                out.append((delta, 1, b))
            else:
                models = self.models[:b] + [m] + self.models[b:]
                users = self.users[:b] + [[u]] + self.users[b:]
                if self._pipelined_ok(b, models, users):
                    out.append((into + e, 1, b))
        out.sort()
        return out

    def candidate(self, u: int, kind: int, b: int) -> tuple[list[int], list[list[int]]]:
        """The batches after placing u (kind/batch of :meth:`insertion_options`)."""
        if kind == 0:
            users = list(self.users)
            j = bisect.bisect_right(self.Tlist[b], float(self.arr.T[u]))
            users[b] = self.users[b][:j] + [u] + self.users[b][j:]
            return self.models, users
        m = int(self.arr.model[u])
        return self.models[:b] + [m] + self.models[b:], self.users[:b] + [[u]] + self.users[b:]

    def apply(self, models: list[int], users: list[list[int]], changed: list[int] | None) -> None:
        self.models, self.users = models, users
        self.refresh(changed)

    def try_insert(self, u: int, need: float) -> bool:
        """Place u at its cheapest feasible place (least added busy time; a place that breaks
        the budget is passed over for the next one, three at most).

        Budget test, cheapest first: ``bw_lo`` is a lower bound on the exact total and ``ub`` an
        upper bound, both valid while users are only added (latest starts only fall, zero-upload
        starts only rise, and ``S_n <= L_n``, so ``beta(L_n) <= beta(S_n)``): reject when
        ``bw_lo + need_u > B``, accept when ``ub + beta_u(S_u) <= B``, else the exact change of
        the total (:meth:`_insert_delta`)."""
        arr = self.arr
        if self.bw_lo + need > arr.B:
            return False
        for _, kind, b in self.insertion_options(u)[: self.tries]:
            if self.optimistic:  # checked once after the sweep (see _Search.sweep)
                self._place(u, kind, b)
                self.bw_lo += need
                return True
            b_u = self._beta_at_start(u, kind, b)
            if self.ub + b_u <= arr.B:
                self._place(u, kind, b)
                self.bw_lo += need
                self.ub += b_u
                return True
            if not self.flat_valid:
                self.reset_budget()
            if self.scan > 1 and self.total > 0.5 * arr.B:
                return self._insert_least_bandwidth(u)
            p = self._flat_position(u, kind, b)
            delta, update = self._insert_delta(u, p)
            if self.total + delta <= arr.B:
                self._place_exact(u, kind, b, p, delta, update, b_u)
                return True
        return False

    def _insert_least_bandwidth(self, u: int) -> bool:
        """Where the budget binds: of the ``scan`` cheapest places in time, the one that adds the
        least bandwidth (exact, :meth:`_insert_delta`)."""
        arr = self.arr
        best = None
        for _, kind, b in self.insertion_options(u)[: self.scan]:
            p = self._flat_position(u, kind, b)
            delta, update = self._insert_delta(u, p)
            if self.total + delta <= arr.B and (best is None or delta < best[0]):
                best = (delta, kind, b, p, update)
        if best is None:
            return False
        delta, kind, b, p, update = best
        self._place_exact(u, kind, b, p, delta, update, self._beta_at_start(u, kind, b))
        return True

    def _beta_at_start(self, u: int, kind: int, b: int) -> float:
        """``beta_u(S_u)`` at u's zero-upload start once placed: what ``ub`` may add for u
        (later insertions only delay S_u, and ``L_u >= S_u``; ``beta_u(L_u)`` would not do, as
        later insertions move ``L_u`` earlier)."""
        start = self._start_of(u, kind, b)
        if start > 0:
            return self.arr.beta_one(u, start)
        return 0.0 if self.arr.D[u] <= 0 else math.inf

    def _flat_position(self, u: int, kind: int, b: int) -> int:
        """Index in the flat order at which u lands (kind 0: into batch b by deadline; else a
        new batch in front of batch b)."""
        return self.offsets[b] + (bisect.bisect_right(self.Tlist[b], float(self.arr.T[u])) if kind == 0 else 0)

    def _place_exact(self, u: int, kind: int, b: int, p: int, delta: float, update: tuple, b_s: float) -> None:
        """Place u and keep the flat arrays, the exact total (``delta`` from
        :meth:`_insert_delta`) and ``ub`` (``b_s`` from :meth:`_beta_at_start`)."""
        self._place(u, kind, b)
        self._flat_insert(u, p, update)
        self.total += delta
        self.bw_lo = self.total
        self.ub += b_s

    def _place(self, u: int, kind: int, b: int) -> None:
        models, users = self.candidate(u, kind, b)
        self.flat_valid = False
        self.apply(models, users, [b] if kind == 0 else None)

    def _gap(self, k: int, nxt: int) -> float:
        """Start-to-start gap from user k to user nxt (``e_k + tL`` sequential, ``e_k`` pipelined)."""
        arr = self.arr
        g = float(arr.e[k])
        return g + float(arr.tL[arr.model[k], arr.model[nxt]]) if self.seq else g

    def _insert_delta(self, u: int, p: int) -> tuple[float, tuple]:
        """Exact change of ``sum_n beta(L_n)`` when u enters the flat order at position p.

        With offsets ``P`` (``P_{n+1} = P_n + gap_n``), ``G_n = T_n - e_n - P_n`` and
        ``M_n = min_{j >= n} G_j`` (so ``L_n = P_n + M_n``, SPEC §5): the users after p shift by
        ``d = P'_{p+1} - P_p >= 0`` in P and by ``-d`` in G and M, so their L is unchanged; u gets
        ``M_u = min(G_u, M_p - d)``; before p, ``M'_n = min(M_n, M_u)``, which changes only on the
        run ``[cut, p)`` where ``M_n > M_u`` (M is non-decreasing): O(p - cut) evaluations of beta."""
        arr = self.arr
        N = len(self.flat)
        P_u = float(self.P[p - 1]) + self._gap(int(self.flat[p - 1]), u) if p > 0 else 0.0
        G_u = float(arr.T[u] - arr.e[u]) - P_u
        if p < N:
            d = P_u + self._gap(u, int(self.flat[p])) - float(self.P[p])
            M_u = min(G_u, float(self.M[p]) - d)
        else:
            d = 0.0
            M_u = G_u
        b_u = arr.beta_one(u, P_u + M_u)
        if not self.total + b_u <= arr.B:  # the others' needs only grow: no need to look
            return math.inf, ()
        cut = int(np.searchsorted(self.M[:p], M_u, side="right"))
        if p - cut <= 8:  # short runs: plain floats beat numpy's per-call overhead
            nb = np.array([arr.beta_one(int(k), float(x) + M_u) for k, x in zip(self.flat[cut:p], self.P[cut:p])])
        else:
            nb = arr.beta(self.flat[cut:p], self.P[cut:p] + M_u)
        delta = float(nb.sum() - self.b[cut:p].sum()) + b_u
        return delta, (P_u, G_u, M_u, d, cut, nb, b_u)

    def _flat_insert(self, u: int, p: int, update: tuple) -> None:
        P_u, G_u, M_u, d, cut, nb, b_u = update
        self.P[p:] += d
        self.G[p:] -= d
        self.M[p:] -= d
        self.M[cut:p] = M_u
        self.b[cut:p] = nb
        self.flat = np.insert(self.flat, p, u)
        self.P = np.insert(self.P, p, P_u)
        self.G = np.insert(self.G, p, G_u)
        self.M = np.insert(self.M, p, M_u)
        self.b = np.insert(self.b, p, b_u)
        self.flat_valid = True

    def _start_of(self, u: int, kind: int, b: int) -> float:
        """Zero-upload start of u once placed (kind/batch of :meth:`insertion_options`)."""
        arr = self.arr
        m = int(arr.model[u])
        if kind == 0:
            j = bisect.bisect_right(self.Tlist[b], float(arr.T[u]))
            return self.S[b] + j * float(arr.e_model[m])
        Fp = self.F[b - 1] if b > 0 else 0.0
        prev = self.models[b - 1] if b > 0 else -1
        into = float(arr.tL0[m]) if prev < 0 else float(arr.tL[prev, m])
        if self.seq:
            return Fp + into
        return max((self.E[b - 1] if b > 0 else 0.0) + into, Fp)

    def reset_budget(self) -> None:
        """The flat arrays of :meth:`_insert_delta` and the exact total (``total = bw_lo``) from
        scratch, and the upper bound ``ub = sum_n beta(S_n)``."""
        arr = self.arr
        flat = np.array(self.order(), dtype=np.int64)
        self.flat = flat
        _, gap = order_gaps(arr, flat)
        self.P = np.zeros(len(flat))
        if len(flat) > 1:
            self.P[1:] = np.cumsum(gap[:-1])
        self.G = arr.T[flat] - arr.e[flat] - self.P
        self.M = np.minimum.accumulate(self.G[::-1])[::-1] if len(flat) else np.zeros(0)
        self.b = arr.beta(flat, self.P + self.M) if len(flat) else np.zeros(0)
        self.total = self.bw_lo = float(self.b.sum())
        self.flat_valid = True
        if not len(flat):
            self.ub = 0.0
            return
        starts = np.concatenate(
            [
                self.S[b] + float(arr.e_model[m]) * np.arange(len(u))
                for b, (m, u) in enumerate(zip(self.models, self.users))
            ]
        )
        with np.errstate(divide="ignore"):
            self.ub = float(arr.beta(flat, starts).sum())

    def remove(self, victims: set[int]) -> list[int]:
        """Drop the users in ``victims`` (empty batches vanish, neighbours of one model merge)."""
        removed: list[int] = []
        models: list[int] = []
        users: list[list[int]] = []
        for m, u in zip(self.models, self.users):
            keep = [k for k in u if k not in victims]
            removed.extend(k for k in u if k in victims)
            if not keep:
                continue
            if models and models[-1] == m:
                users[-1] = sorted(users[-1] + keep, key=lambda k: self.rank[k])
            else:
                models.append(m)
                users.append(keep)
        self.models, self.users = models, users
        self.refresh()
        self.reset_budget()
        return removed


def _key(state: BatchState) -> tuple[int, float]:
    return (state.count, -state.busy)


def lns(
    instance: Instance,
    seed: int = 0,
    time_limit: float = 10.0,
    iterations: int = 2000,
    starts: tuple[str, ...] | list[str] = STARTS,
    patience: int | None = 500,
    batch_evals: int = 2000,
) -> Result:
    """Large-neighbourhood search over model batches (module docstring): never worse than the
    best of ``starts``; deterministic for a seed when ``iterations`` or ``patience`` ends it
    before ``time_limit``.

    Statuses: ``optimal`` when it serves ``bound`` users; ``time_limit`` when the clock stopped it
    (the search or its polish: the schedule then depends on the machine's speed); ``interrupted``
    on Ctrl-C with the best schedule found; else ``feasible`` (``stats["stopped"]`` says why it
    ended: ``iterations``, ``patience``, ``bound_met``, ``time_limit``, ``interrupted``).

    The result carries the least of the ``bound`` method's bounds without its LP
    (:func:`partialopt.bounds.all_bounds`, O(K log K) plus the DP over counts) as ``bound``: the
    search stops as soon as it serves that many users, and the status is then ``optimal``.

    Parameters
    ----------
    instance : Instance
        The scheduling instance (any class, both timelines).
    seed : int
        Seed of the destroy choices, the budget weight and the noise on insertion orders.
    time_limit : float
        Wall-clock seconds for the whole call. The starts and the bounds always run to the end
        (about 1 s at K = 10,000), the search stops within ``CHECK_EVERY`` insertions of it.
    iterations : int
        LNS steps at most (a deterministic work budget).
    starts : tuple of str
        Methods whose best result starts the search.
    patience : int or None
        Stop after this many LNS steps in a row without a better schedule (None: never).
    batch_evals : int
        Evaluations of the batch-structure search that follows the LNS steps on schedules of
        more than ``POLISH_MAX`` users (sequential timeline, where its assignments fit in
        ``batch_search.MAX_CELLS`` cells; :mod:`.batch_search`); 0 leaves it out. The LNS steps
        then stop at ``1 - BATCH_SHARE`` of ``time_limit``.
    """
    from ..solve import solve

    if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) or iterations < 0:
        raise OptionError(f"iterations: must be an integer >= 0, got {iterations!r}")
    if isinstance(batch_evals, bool) or not isinstance(batch_evals, (int, np.integer)) or batch_evals < 0:
        raise OptionError(f"batch_evals: must be an integer >= 0, got {batch_evals!r}")
    check_time_limit(time_limit)
    if isinstance(starts, str) or not all(isinstance(s, str) for s in starts) or not starts:
        raise OptionError(f"starts: expected a non-empty list of method names, got {starts!r}")
    if patience is not None and (
        isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 1
    ):
        raise OptionError(f"patience: must be an integer >= 1 or None, got {patience!r}")
    from ..bounds import all_bounds

    t0 = time.perf_counter()
    with interrupt.interruptible():
        best_order: list[int] = []
        best_key: tuple[int, float] = (0, 0.0)
        start_method = None
        for name in starts:
            r = solve(instance, method=name)
            key = (r.objective, -gpu_finish(instance, r.order))
            if start_method is None or key > best_key:
                best_order = [instance.user_index[u] for u in r.order]
                best_key, start_method = key, name
        start_key = best_key
        stats: dict[str, Any] = {"start_method": start_method, "start_objective": start_key[0], "seed": seed}
        bounds = {k: v for k, v in all_bounds(instance, levels=4, lp=False).items() if not k.endswith("_s")}
        upper = min(v for v in bounds.values() if v is not None)
        stats["bound_name"] = min((v, k) for k, v in bounds.items() if v is not None)[1]
        search = _Search(instance, seed)
        search.load(best_order)
        from .batch_search import fits

        # the search needs more than POLISH_MAX users and assignments that fit: else the LNS
        # steps keep the whole time
        shaped = (
            search.state.seq and batch_evals > 0 and upper > POLISH_MAX and fits(instance.arrays, search.cand, upper)
        )
        run_limit = time_limit * (1.0 - BATCH_SHARE) if shaped else time_limit
        stopped = search.run(t0, run_limit, iterations, patience, upper)
        order = search.best_order
        key = (len(order), -gpu_finish(instance, order)) if order else (0, 0.0)
        if key > best_key:
            best_order, best_key = order, key
        stats.update(search.stats, stopped=stopped)
        if shaped and stopped not in ("interrupted", "bound_met") and len(best_order) > POLISH_MAX:
            # the batch-structure search: shapes filled by least-cost assignments (.batch_search)
            from .batch_search import passes, timed_stop
            from .batch_search import search as shape_search

            rng = np.random.default_rng([seed, 1])
            stop = timed_stop(t0 + time_limit, lambda: interrupt.requested())
            order, counts = shape_search(instance.arrays, search.cand, best_order, rng, batch_evals, stop)
            stats["batch_evals"], stats["batch_stopped"] = counts["evals"], counts["stopped"]
            stats["batch_gain"] = 0
            if len(order) > len(best_order):
                if passes(instance.arrays, order):
                    stats["batch_gain"] = len(order) - len(best_order)
                    best_order, best_key = order, (len(order), -gpu_finish(instance, order))
                else:  # within rounding of B: the exact check has the last word
                    stats["batch_stopped"] += ", best rejected by the exact check"
            if interrupt.requested():
                stopped = stats["stopped"] = "interrupted"
            elif counts["stopped"] == "stop" and best_key[0] < upper:
                stopped = stats["stopped"] = "time_limit"  # the clock ended the shapes' search
            elif best_key[0] >= upper:
                stopped = stats["stopped"] = "bound_met"
        polish = stopped in ("iterations", "patience") and len(best_order) <= POLISH_MAX
        if polish and time.perf_counter() - t0 >= time_limit:  # the clock took the polish's turn
            stopped = stats["stopped"] = "time_limit"
        elif polish:
            # small schedules: the user-level moves of local_search (orders the batches cannot
            # express, e.g. a batch out of deadline order) under a deterministic work budget
            from .local_search import local_search

            left = time_limit - (time.perf_counter() - t0)
            polished = local_search(instance, start=best_order, seed=seed, time_limit=left, max_evals=POLISH_EVALS)
            order = [instance.user_index[u] for u in polished.order]
            key = (len(order), -gpu_finish(instance, order))
            stats["polish_gain"] = len(order) - best_key[0]
            if key > best_key:
                best_order, best_key = order, key
            if polished.stats["stopped"] == "time_limit":  # the clock ended the polish
                stopped = stats["stopped"] = "time_limit"
    assert best_key >= start_key
    status = None  # optimal when the bound is met, else feasible
    if stopped == "interrupted":
        status = "interrupted"
    elif stopped == "time_limit" and len(best_order) < upper:
        status, stats["limit"] = "time_limit", "time_limit"
    return Result.from_order(
        instance,
        best_order,
        "lns",
        bound=upper,
        status=status,
        wall_time=time.perf_counter() - t0,
        stats=stats,
    )


class _Search:
    def __init__(self, instance: Instance, seed: int):
        from ..bounds import _spread_setups, least_setups

        arr = instance.arrays
        self.arr = arr
        self.rng = np.random.default_rng(seed)
        cand = arr.servable()
        self.need = np.full(arr.K, np.inf)
        self.need[cand] = arr.beta(cand, arr.T[cand] - arr.e[cand])
        ok = cand[np.isfinite(self.need[cand]) & (self.need[cand] <= arr.B)]
        self.cand = ok
        self.p = np.zeros(arr.K)
        self.setups = least_setups(instance)
        if len(ok):
            self.p[ok] = arr.e[ok] + _spread_setups(arr, ok, *self.setups)
        horizon = float(arr.T[ok].max()) if len(ok) else 1.0
        self.horizon = horizon
        self.time_use = self.p / horizon
        # bandwidth use at the user's own latest start, and as if it ran at a half or a quarter of
        # the horizon (early places cost more: the variants steer which users take them)
        self.bw_uses = []
        for frac in (1.0, 0.5, 0.25):
            t = np.minimum(arr.T - arr.e, frac * horizon)
            with np.errstate(divide="ignore", invalid="ignore"):
                b = arr.beta(np.arange(arr.K), t) / arr.B if arr.B > 0 else np.zeros(arr.K)
            self.bw_uses.append(np.where(np.isfinite(b), b, 10.0))
        self.bw_use = self.bw_uses[0]
        rank = np.empty(arr.K, dtype=np.int64)
        rank[np.lexsort((np.arange(arr.K), self.need, arr.T))] = np.arange(arr.K)
        self.state = BatchState(arr, rank)
        self.stats: dict[str, Any] = {
            "iterations": 0,
            "improvements": 0,
            "sweep_insertions": 0,
            "reassign_moves": 0,
            "reassign_gain": 0,
            "window_steps": 0,
            "window_gain": 0,
        }
        self.deadline = math.inf  # perf_counter() time at which the sweeps stop (set by run)

    def load(self, order: list[int]) -> None:
        """Build the batches of ``order`` (consecutive users of one model form a batch, sorted by
        deadline), keeping users while they pass the internal checks."""
        st = self.state
        models: list[int] = []
        users: list[list[int]] = []
        for k in order:
            m = int(self.arr.model[k])
            if models and models[-1] == m:
                users[-1].append(k)
            else:
                models.append(m)
                users.append([k])
        users = [sorted(u, key=lambda k: st.rank[k]) for u in users]
        st.apply(models, users, None)
        st.reset_budget()
        if st.SS and st.SS[0] < 0 or st.bw_lo > self.arr.B:  # too tight for the internal margins
            st.apply([], [], None)
            st.reset_budget()
            for k in order:
                st.try_insert(int(k), float(self.need[k]))
        self.best_order = st.order()
        self.best_key = _key(st)

    def sweep(self, users: np.ndarray, weight: float, noise: float) -> int:
        """Offer ``users`` in order of ``time_use + weight * bw_use`` (times a noise factor).

        While the exact total bandwidth is at most half the budget, the sweep first runs
        optimistically (condition (i) and the lower-bound filter only) and checks the budget
        exactly once at the end; if that fails it is undone and run again with every test."""
        if not len(users):
            return 0
        prio = self.time_use[users] + weight * self.bw_use[users]
        if noise > 0:
            prio = prio * self.rng.uniform(1 - noise, 1 + noise, len(users))
        ordered = users[np.lexsort((users, self.arr.T[users], prio))]
        st = self.state
        st.reset_budget()
        if st.bw_lo <= 0.5 * self.arr.B:
            saved = st.copy_lists()
            st.optimistic = True
            try:
                added = self._offer(ordered)
            finally:
                st.optimistic = False
            st.reset_budget()
            if st.bw_lo <= self.arr.B:
                return added
            self.stats["optimistic_undone"] = self.stats.get("optimistic_undone", 0) + 1
            st.restore(saved)
            st.reset_budget()
        return self._offer(ordered)

    def _offer(self, ordered: np.ndarray) -> int:
        """Offer the users in order; stop early (a valid, smaller schedule) once the time limit
        is past or Ctrl-C was pressed, checked every ``CHECK_EVERY`` users."""
        st, need = self.state, self.need
        added = 0
        for i, k in enumerate(ordered):
            if i % CHECK_EVERY == 0 and self.stopping():
                break
            added += st.try_insert(int(k), float(need[k]))
        return added

    def stopping(self) -> bool:
        """Past the time limit, or Ctrl-C pressed."""
        return time.perf_counter() > self.deadline or interrupt.requested()

    def unserved(self) -> np.ndarray:
        served = np.zeros(self.arr.K, dtype=bool)
        served[self.state.order()] = True
        return self.cand[~served[self.cand]]

    def construct(self) -> None:
        """Density starts: from an empty schedule, sweep every candidate in order of resource
        use for a few budget weights; keep the best if it beats the loaded start."""
        st = self.state
        saved = st.copy_lists()
        best = (_key(st), saved)
        for weight, variant, scan in ((0.0, 0, 1), (1.0, 0, 1), (4.0, 0, 1), (1.0, 1, 1), (1.0, 2, 1), (1.0, 0, SCAN)):
            if self.stopping():
                break
            self.bw_use = self.bw_uses[variant]
            st.scan = scan
            st.apply([], [], None)
            st.reset_budget()
            self.sweep(self.cand, weight, 0.0)
            if _key(st) > best[0]:
                best = (_key(st), st.copy_lists())
        self.bw_use = self.bw_uses[0]
        st.restore(best[1])
        st.reset_budget()

    def repair_pool(self, removed: list[int]) -> np.ndarray:
        """Users offered after a destroy step: the removed ones, the unserved users of their
        models, and the ``POOL`` unserved users of least resource use (with noise)."""
        un = self.unserved()
        if len(un) <= POOL:
            return un
        models = {int(self.arr.model[k]) for k in removed}
        same = un[np.isin(self.arr.model[un], list(models))] if models else un[:0]
        score = (self.time_use[un] + self.bw_use[un]) * self.rng.uniform(0.7, 1.3, len(un))
        cheap = un[np.argsort(score, kind="stable")[:POOL]]
        return np.unique(np.concatenate([np.array(removed, dtype=np.int64), same, cheap]))

    def run(self, t0: float, time_limit: float, iterations: int, patience: int | None, upper: float) -> str:
        """The search of the module docstring; returns why it stopped."""
        st = self.state
        self.deadline = t0 + time_limit

        def why_stop() -> str | None:
            if self.best_key[0] >= upper:
                return "bound_met"
            if interrupt.requested():
                return "interrupted"
            if time.perf_counter() > self.deadline:
                return "time_limit"
            return None

        if self.best_key[0] >= upper:
            return "bound_met"
        if self.state.seq and iterations > WINDOW_EVERY // 2:
            self._load_window_kernel()  # first: the phases after it watch the clock
        self.lp_start()
        self.construct()
        self.stats["sweep_insertions"] += self.sweep(self.unserved(), 1.0, 0.0)
        self._keep_if_better()
        since = 0
        for it in range(iterations):
            if patience is not None and since >= patience and self.best_key[0] < upper:
                return "patience"
            why = why_stop()
            if why:
                return why
            self.stats["iterations"] = it + 1
            best_before = self.best_key
            saved = st.copy_lists()
            old = _key(st)
            if it % WINDOW_EVERY == WINDOW_EVERY // 2 and st.seq:
                gained = self.window()
                self.stats["window_steps"] += 1
                self.stats["window_gain"] += gained
                since = 0 if self.best_key > best_before else since + 1
                continue
            if it % REASSIGN_EVERY == REASSIGN_EVERY - 1:
                if self.reassign():
                    self.stats["reassign_moves"] += 1
                    self.sweep(self.unserved(), 1.0, 0.0)
                    self.stats["reassign_gain"] += _key(st)[0] - old[0]
                    self._keep_if_better()
                since = 0 if self.best_key > best_before else since + 1
                continue
            removed = self._destroy()
            weight = float(self.rng.choice([0.0, 0.5, 1.0, 2.0, 4.0]))
            self.bw_use = self.bw_uses[int(self.rng.integers(len(self.bw_uses)))]
            st.scan = SCAN if self.rng.random() < 0.75 else 1
            self.sweep(self.repair_pool(removed), weight, 0.3)
            new = _key(st)
            if new >= old:
                if new[0] > old[0]:
                    self.stats["improvements"] += 1
                self._keep_if_better()
            else:
                st.restore(saved)
            since = 0 if self.best_key > best_before else since + 1
        return why_stop() or "iterations"

    def reassign(self) -> bool:
        """Re-choose the users of every model's places at once (an exact move on an exponential
        neighbourhood: :meth:`least_assignment`). Batches are then put back in deadline order
        (the state's form) and the move is kept only if it passes the exact checks and its exact
        total bandwidth is below the current one; True if it changed the schedule."""
        st, arr = self.state, self.arr
        found = self.least_assignment()
        if found is None:
            return False
        new, _ = found
        if np.array_equal(new, st.flat):
            return False
        before = st.total
        saved = st.copy_lists()
        users = [
            sorted(new[st.offsets[b] : st.offsets[b + 1]].tolist(), key=lambda k: st.rank[k])
            for b in range(len(st.models))
        ]
        st.apply(list(st.models), users, None)
        st.reset_budget()
        if st.SS[0] < 0 or st.bw_lo > arr.B or not st.bw_lo < before:  # deadline order may cost more
            st.restore(saved)
            st.reset_budget()
            return False
        return True

    def least_assignment(self) -> tuple[np.ndarray, float] | None:
        """The current flat order with each model's places given to the users of least total
        bandwidth, and that least cost: with the order's latest starts ``tau_n`` fixed (SPEC §5),
        user k may take a place n of its own model when ``T_k - e_k >= tau_n``, at cost
        ``beta_k(tau_n)``; per model, a least-cost assignment of its places to its candidates
        (scipy's ``linear_sum_assignment``).

        Why the new order is feasible and costs at most that: the places keep their models, so the
        zero-upload timeline is unchanged and each new user finishes by ``S_n + e <= tau_n + e <=
        T_k`` (``tau_n >= S_n``, condition (i)); its latest starts are at least ``tau`` (from the
        end: ``L'_n = min(T'_n - e_n, L'_{n+1} - gap_n) >= min(tau_n, tau_{n+1} - gap_n) =
        tau_n``), so its total is at most the assignment's cost, at most the current total (the
        current users are one assignment). None for an empty schedule or above
        :data:`REASSIGN_MAX_CELLS`."""
        from scipy.optimize import linear_sum_assignment

        st, arr = self.state, self.arr
        if not st.count:
            return None
        if not st.flat_valid:
            st.reset_budget()
        flat = st.flat
        tau = st.P + st.M
        of_flat = arr.model[flat]
        groups = []
        for m in np.unique(of_flat):
            groups.append((np.flatnonzero(of_flat == m), self.cand[arr.model[self.cand] == m]))
        if sum(len(pos) * len(us) for pos, us in groups) > REASSIGN_MAX_CELLS:
            return None
        new = flat.copy()
        total = 0.0
        for pos, us in groups:
            with np.errstate(divide="ignore", invalid="ignore"):
                cost = arr.beta(np.tile(us, len(pos)), np.repeat(tau[pos], len(us))).reshape(len(pos), len(us))
            eligible = (arr.T[us] - arr.e[us])[None, :] >= tau[pos][:, None]
            eligible |= us[None, :] == flat[pos][:, None]  # tau_n = P_n + M_n may round above T_n - e_n
            cost[~eligible | ~np.isfinite(cost)] = np.inf
            try:
                rows, cols = linear_sum_assignment(cost)
            except ValueError:  # no full assignment (a served user outside the candidates)
                return None
            new[pos[rows]] = us[cols]
            total += float(cost[rows, cols].sum())
        return new, total

    def lp_start(self) -> None:
        """Start from the time-indexed LP's choice of users (:func:`partialopt.bounds.time_lp_choice`:
        the budget and the GPU's capacity over time, loads left out), sequential timeline only:
        the chosen users are put in batches (repeatedly, the earliest-deadline user left and every
        user left of its model due within a window of it, windows :data:`LP_START_HORIZONS`
        of the horizon), then the first late user, and while the budget is exceeded the user of
        largest ``beta(L_n)``, are dropped. The best of them is kept if it beats the current
        state (``stats["lp_start_objective"]``: how many it serves). Skipped above
        ``TIME_LP_MAX_USERS`` candidates; the LP gets half the time left."""
        from ..bounds import TIME_LP_MAX_USERS, time_lp_choice

        arr = self.arr
        if arr.overlap != "sequential" or len(self.cand) > TIME_LP_MAX_USERS or self.stopping():
            return
        try:
            chosen = time_lp_choice(arr, self.cand, self.setups, time_limit=0.5 * (self.deadline - time.perf_counter()))
        except KeyboardInterrupt:  # Ctrl-C during the LP: run() stops with "interrupted"
            return
        if not len(chosen):  # not built, or HiGHS gave no optimal LP (e.g. out of time)
            self.stats["lp_start_objective"] = None
            return
        best: list[int] = []
        for frac in LP_START_HORIZONS:
            if self.stopping():
                return
            order = self._drop_to_feasible(self._batched(chosen, frac * self.horizon))
            if len(order) > len(best):
                best = order
        self.stats["lp_start_objective"] = len(best)
        if len(best) > self.best_key[0]:
            self._load_if_better(best)

    def _load_if_better(self, order: list[int]) -> bool:
        """Load ``order`` (:meth:`load`: its batches, through the internal checks) and keep it if
        it beats the current state (``_key``), else put the state back; True if kept."""
        st = self.state
        saved, old, best = st.copy_lists(), _key(st), (self.best_order, self.best_key)
        self.load(order)
        self.best_order, self.best_key = best
        if _key(st) > old:
            self._keep_if_better()
            return True
        st.restore(saved)
        st.reset_budget()
        return False

    def _load_window_kernel(self) -> None:
        """Load the compiled search of :mod:`.bnb_kernel` (numba's cache: 0.2-0.5 s in a fresh
        process) before the search's phases, on a one-user problem, so that no window step spends
        it between two checks of the clock."""
        from .bnb import Frame, SuffixProblem, TargetSearch

        if not len(self.cand):
            return
        frame = Frame(before=-1, ready=0.0, after=-1, after_start=math.inf, budget=float(self.arr.B))
        TargetSearch(SuffixProblem.build(self.arr, self.cand[:1], self.setups, frame), 1, 1.0).step(1)

    def window(self) -> int:
        """The exact window step (sequential timeline): free a window of consecutive places of
        the flat order (seeded start, at most ``WINDOW_USERS - 1`` served users) and look for an
        order of more users there, exactly, with :mod:`.bnb`'s search under the boundary
        conditions of :class:`.bnb.Frame` (the prefix keeps its latest starts and bandwidth, the
        suffix its latest starts): the window's users and the unserved users that could fit
        between the prefix and the suffix (least resource use first, seeded noise) are the
        candidates; targets ``c + 1, c + 2, ...`` for the window's ``c`` users are searched within
        ``WINDOW_NODES`` nodes. Every order found is loaded through the internal checks and kept
        only if it serves more. Returns how many users the step added."""
        from .bnb import CHUNK, TargetSearch

        st, rng = self.state, self.rng
        N = st.count
        width = int(rng.integers(WINDOW_USERS // 2, WINDOW_USERS))
        i0 = int(rng.integers(max(N - width, 0) + 1))
        framed = self.window_problem(i0, min(N, i0 + width), rng.uniform(0.8, 1.2, self.arr.K))
        if framed is None:
            return 0
        problem, head, tail, inside = framed
        nodes, gained, target = WINDOW_NODES, 0, inside + 1
        while nodes > 0 and target <= problem.n and not self.stopping():
            run = TargetSearch(problem, target, WINDOW_MEMO_MB)
            code = 2
            while code == 2 and nodes > 0 and not self.stopping():
                done = run.nodes
                code = run.step(min(CHUNK, nodes))
                nodes -= max(run.nodes - done, 1)
            if code != 1:
                break
            old = st.count
            if not self._load_if_better(head + run.found() + tail):
                break
            gained += st.count - old
            target += 1
        return gained

    def window_problem(self, i0: int, i1: int, noise: np.ndarray) -> tuple[Any, list[int], list[int], int] | None:
        """The search problem of :meth:`window` for places ``i0:i1`` of the flat order:
        ``(problem, head, tail, c)`` with :class:`.bnb.SuffixProblem` over the window's ``c`` users
        and up to ``WINDOW_USERS - c`` unserved users that could fit (latest start
        ``min(T_u - e_u, after_start - e_u - tL(m_u -> after))`` at least the earliest load
        ``ready + tL(before -> m_u)``, and ``beta_u(T_u - e_u)`` within the frame's budget; least
        ``p_u`` (``e_u`` for a model next to or in the window) over the horizon plus the bandwidth
        use first, each score times ``noise[u]``), with the boundary conditions of
        :class:`.bnb.Frame`; None when no unserved user could fit or the window is full."""
        from .bnb import Frame, SuffixProblem

        st, arr = self.state, self.arr
        if not st.flat_valid:
            st.reset_budget()
        flat, N = st.flat, len(st.flat)
        tau = st.P + st.M
        if i0 > 0:
            p = int(flat[i0 - 1])
            before, ready = int(arr.model[p]), float(tau[i0 - 1] + arr.e[p])
            first = ready + arr.tL[before]
        else:
            before, ready, first = -1, 0.0, arr.tL0
        if i1 < N:
            after, after_start = int(arr.model[flat[i1]]), float(tau[i1])
        else:
            after, after_start = -1, math.inf
        budget = float(arr.B - st.b[:i0].sum() - st.b[i1:].sum())
        inside = flat[i0:i1]
        un = self.unserved()
        hi = arr.T[un] - arr.e[un]
        if after >= 0:
            hi = np.minimum(hi, after_start - arr.e[un] - arr.tL[arr.model[un], after])
        un = un[(hi >= first[arr.model[un]]) & (self.need[un] <= budget)]
        room = WINDOW_USERS - len(inside)
        if not len(un) or room < 1:
            return None
        near = np.isin(arr.model[un], [*arr.model[inside].tolist(), before, after])
        score = (np.where(near, arr.e[un], self.p[un]) / self.horizon + self.bw_use[un]) * noise[un]
        extra = un[np.argsort(score, kind="stable")[:room]]
        frame = Frame(before=before, ready=ready, after=after, after_start=after_start, budget=budget)
        problem = SuffixProblem.build(arr, np.concatenate([inside, extra]), self.setups, frame)
        return problem, flat[:i0].tolist(), flat[i1:].tolist(), len(inside)

    def _batched(self, users: np.ndarray, window: float) -> np.ndarray:
        """``users`` in batches: repeatedly the earliest-deadline user left, with every user left of
        its model due by its deadline plus ``window`` (each batch in deadline order)."""
        arr = self.arr
        order = users[np.lexsort((users, arr.T[users]))]
        queues = {int(m): order[arr.model[order] == m] for m in np.unique(arr.model[order])}
        head = dict.fromkeys(queues, 0)
        out: list[np.ndarray] = []
        while head:
            m = min(head, key=lambda m: (arr.T[queues[m][head[m]]], queues[m][head[m]]))
            q, h = queues[m], head[m]
            end = int(np.searchsorted(arr.T[q], arr.T[q[h]] + window, side="right"))
            out.append(q[h:end])
            if end >= len(q):
                del head[m]
            else:
                head[m] = end
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)

    def _drop_to_feasible(self, order: np.ndarray) -> list[int]:
        """Drop users from ``order`` until it passes both conditions of SPEC §5 on the sequential
        timeline with the exact ``T`` and ``B``: the first late user (zero-upload finish above its
        deadline), else, while ``sum_n beta(L_n) > B``, the user of largest ``beta(L_n)``."""
        arr = self.arr
        order = np.asarray(order, dtype=np.int64)
        while len(order):
            if self.stopping():
                return []
            late, b = exact_check(arr, order)
            if b is None:
                order = np.delete(order, late)
                continue
            if b.sum() <= arr.B:
                break
            order = np.delete(order, int(np.argmax(b)))
        return order.tolist()

    def _keep_if_better(self) -> None:
        key = _key(self.state)
        if key > self.best_key:
            self.best_key = key
            self.best_order = self.state.order()

    def _destroy(self) -> list[int]:
        st, rng = self.state, self.rng
        r = len(st.models)
        if not r:
            return []
        kind = rng.integers(4)
        if kind == 0:  # a window of consecutive batches
            b = int(rng.integers(r))
            w = int(rng.integers(1, 4))
            victims = {k for u in st.users[b : b + w] for k in u}
        elif kind == 1:  # every batch of one model
            m = st.models[int(rng.integers(r))]
            victims = {k for b in st.of_model[m] for k in st.users[b]}
        elif kind == 2:  # the users that take the most time
            order = np.array(st.order())
            q = max(1, min(len(order), int(rng.integers(1, 6))))
            score = self.p[order] * rng.uniform(0.8, 1.2, len(order))
            victims = set(order[np.argsort(-score)[:q]].tolist())
        else:  # the users that take the most bandwidth where they are now (exact beta(L_n))
            if not st.flat_valid:
                st.reset_budget()
            order = st.flat
            q = max(1, min(len(order), int(rng.integers(1, 6))))
            score = np.where(np.isfinite(st.b), st.b, 0.0) * rng.uniform(0.8, 1.2, len(order))
            victims = set(order[np.argsort(-score)[:q]].tolist())
        return st.remove(victims)
