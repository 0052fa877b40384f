"""Exact backward branch and bound (``method="bnb"``): orders built from their last user to their
first, over at most :data:`MAX_USERS` candidate users.

**Why backward.** Placing user k in front of a suffix whose first user f has latest start
``L_f`` gives k its final latest start (SPEC §5's recursion, sequential)
``L_k = min(T_k - e_k, L_f - e_k - tL(m_k -> m_f))``: nothing placed later (further in front)
changes a latest start of the suffix. So ``beta_k(L_k)`` is final when k is placed, and the
suffix's bandwidth ``W = sum beta`` is exact and only grows. A suffix is a complete schedule iff
its first user can be loaded in time, ``tL0(m_f) <= L_f``, and ``W <= B`` (the decoupling
theorem: the zero-upload forward schedule then meets every latest start).

**Pipelined timeline** (SPEC §4 variant; derived here). There the model-ready times form their
own chain ``E_n = E_{n-1} + tL(n-1 -> n)`` and ``S_n = max(E_n, F_{n-1}, tU_n)``. The latest
starts are ``L_k = min(T_k - e_k, L_f - e_k)`` (the inference of k must end before f starts) and
the latest model-ready times ``Lp_k = min(L_k, Lp_f - tL(m_k -> m_f))`` (``E_f = E_k + tL``
must not pass ``Lp_f``; ``E_k <= S_k <= L_k``). A suffix is complete iff ``tL0(m_f) <= Lp_f``
and ``W <= B``: by induction the zero-upload schedule has ``E_n <= Lp_n`` and
``S_n = max(E_n, F_{n-1}) <= L_n`` (``F_{n-1} = S_{n-1} + e_{n-1} <= L_{n-1} + e_{n-1} <= L_n``).
The sequential timeline is the case ``Lp = L`` with the load in ``L``'s recursion.

**Node state and dominance.** ``(used set, first model, L_f, Lp_f, W)``. Two suffixes of the same
used set and first model: one with ``L >=``, ``Lp >=`` and ``W <=`` admits in front everything
the other admits, with no more bandwidth, so the other is dropped (a memo of such states, bounded
by ``memory_limit``). Identical users (same model, inference, deadline, data and channel) are
placed in index order only.

**Bounds** (at every node, :func:`.bnb_kernel._expand`): a user j can only go in front of f with
a latest start at most ``L_j`` above (the triangle inequality of tL covers non-adjacent places),
so with ``need`` more users to find, the ``need`` least ``beta_j(L_j)`` must fit in ``B - W``,
and Moore-Hodgson with due dates ``L_j + e_j`` must serve ``need`` of them, each inference
charged with its share ``ls(m_j) / |R_m|`` of the least load into its model (sequential: every
model used is loaded at least once before its first user's start).

**Search.** Top-down on the objective: from the least of :func:`partialopt.bounds.all_bounds`
down, each target t is a complete depth-first search for a suffix of t users; the first target
that has one is the optimum (every larger one was exhausted), an exhausted target lowers the
proven bound to t - 1. So a time limit always leaves a valid bound (the current target) and the
best schedule met on the way (or the warm start).

**Exactness against the judge.** The compiled search works on a relaxation of the judge
(:mod:`.bnb_kernel`: deadlines ``T_tol (1 + 1e-12)``, budget ``B_tol (1 + 1e-12)``, a beta never
above the closed form), so "no order of t users" there is a proof for the judge. Every order it
finds is re-checked by :func:`partialopt.evaluate.is_feasible_order`; one that fails the judge
(an order within rounding of the limits) is not taken and the search goes on.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..arrays import ProblemArrays
from ..core import interrupt
from ..core.errors import NotApplicable, OptionError
from ..core.highs import MEMORY_LIMIT_MB, check_memory_limit
from ..core.status import Status
from ..evaluate import is_feasible_order
from ..instance import Instance
from ..result import Result

MAX_USERS = 64
"""Most candidate (servable) users the search takes: a used set is one 64-bit word."""
RELAX_RTOL = 1e-12
"""Relative slack of the search's deadlines and budget over the judge's (rounding of the
backward differences against the judge's forward sums)."""
CHUNK = 20_000
"""Nodes per call of the compiled loop between checks of the clock and of Ctrl-C."""


def supports(instance: Instance) -> str:
    """ "" when at most :data:`MAX_USERS` users are servable, else the reason."""
    n = len(instance.arrays.servable())
    if n <= MAX_USERS:
        return ""
    return (
        f"bnb: {n} users are servable; the branch and bound takes at most {MAX_USERS} "
        "(use method='milp', 'lns' or 'bound' for larger instances)"
    )


@dataclass(frozen=True)
class Frame:
    """A window of a sequential schedule between a fixed prefix and a fixed suffix (the LNS
    window step of :mod:`.lns`): the window's users are searched as a suffix problem whose
    boundary conditions hold the fixed parts feasible and within their bandwidth.

    ``before``: the model the prefix ends with (-1: no prefix, the instance's first load);
    ``ready``: no prefix, 0; else ``L_p + e_p`` with ``L_p`` the prefix's last user's latest start
    in the current order. A window whose first user f has ``L_f - tL(before -> m_f) >= ready`` keeps
    every prefix latest start at least where it was (``L'_p = min(T_p - e_p, L_f - e_p - tL) >= L_p``),
    so the prefix's bandwidth cannot grow and its zero-upload timeline (it ends at ``F_p <= ready``)
    reaches the window in time. ``after`` and ``after_start``: the suffix's first model and latest
    start (fixed: nothing before a suffix changes its latest starts), -1 and inf without one; the
    window's last user k then has ``L_k = min(T_k - e_k, after_start - e_k - tL(m_k -> after))``,
    imposed as the deadline ``min(T_k, after_start - tL(m_k -> after))`` on every window user (the
    triangle inequality of tL makes it implied for the others). ``budget``: ``B`` less the current
    bandwidth of the prefix and the suffix.

    ``ready`` and ``after_start`` get a relative slack of :data:`RELAX_RTOL` (the kernel recomputes
    latest starts by backward differences, the caller's by forward sums: the current window sits
    on the boundary and would otherwise be lost to the last bit); the deadlines and the budget are
    exact. The caller re-checks every order it takes."""

    before: int
    ready: float
    after: int
    after_start: float
    budget: float


@dataclass
class SuffixProblem:
    """The relaxed problem of the kernel over ``users`` (instance indices; kernel index i is
    ``users[i]``): see :mod:`.bnb_kernel` for each array's meaning."""

    users: np.ndarray
    args: tuple = field(repr=False)

    @classmethod
    def build(
        cls, arr: ProblemArrays, users: Sequence[int] | np.ndarray, setups: tuple, frame: Frame | None = None
    ) -> SuffixProblem:
        """``setups``: :func:`partialopt.bounds.least_setups` of the instance; ``frame``: the
        window's boundary conditions (:class:`Frame`; sequential timeline only), None for the
        whole instance. In a frame the first load into m costs ``tL(before -> m)`` from ``ready``
        (the completion test ``L_f >= tL0(m_f)`` becomes ``L_f >= ready + tL(before -> m_f)``) and
        the least setups of the bounds count ``before`` as loaded (its cluster's backbone and its
        own part cost nothing, as for an initial model)."""
        if frame is not None and arr.overlap != "sequential":
            raise NotApplicable("bnb: a frame is defined on the sequential timeline only")
        idx = np.asarray(sorted(int(k) for k in users), dtype=np.int64)
        n = len(idx)
        if n > MAX_USERS:
            raise NotApplicable(f"bnb: {n} candidate users, more than {MAX_USERS}")
        models, mdl = np.unique(arr.model[idx], return_inverse=True)
        mdl = np.ascontiguousarray(mdl, dtype=np.int64)
        tL = np.ascontiguousarray(arr.tL[np.ix_(models, models)], dtype=float)
        tL0 = np.ascontiguousarray(arr.tL0[models], dtype=float)
        cluster, bb, own = setups
        if frame is not None:
            ready = frame.ready * (1.0 - RELAX_RTOL)  # the kernel's backward L_f vs the forward sums
            if frame.before >= 0:
                tL0 = np.ascontiguousarray(ready + arr.tL[frame.before, models], dtype=float)
                bb, own = bb.copy(), own.copy()
                bb[cluster[frame.before]] = 0.0
                own[frame.before] = 0.0
            else:
                tL0 = np.ascontiguousarray(ready + tL0, dtype=float)
        cl_ids, cl = np.unique(cluster[models], return_inverse=True)
        setup_arrays = (
            np.ascontiguousarray(own[models] * (1.0 - RELAX_RTOL), dtype=float),
            np.ascontiguousarray(cl, dtype=np.int64),
            np.ascontiguousarray(bb[cl_ids] * (1.0 - RELAX_RTOL), dtype=float),
        )
        e = np.ascontiguousarray(arr.e[idx], dtype=float)
        if frame is None:
            Tr = np.ascontiguousarray(arr.T_tol[idx] * (1.0 + RELAX_RTOL), dtype=float)
        else:
            Tr = np.asarray(arr.T[idx], dtype=float)
            if frame.after >= 0:
                end = frame.after_start * (1.0 + RELAX_RTOL)
                Tr = np.minimum(Tr, end - arr.tL[arr.model[idx], frame.after])
            Tr = np.ascontiguousarray(Tr)
        D = np.ascontiguousarray(arr.D[idx], dtype=float)
        q = np.ascontiguousarray(arr.q[idx], dtype=float)
        succ = np.full(n, -1, dtype=np.int64)
        last: dict[tuple, int] = {}
        for i in range(n - 1, -1, -1):
            key = (int(mdl[i]), e[i], float(arr.T[idx[i]]), D[i], q[i])
            succ[i] = last.get(key, -1)
            last[key] = i
        t0 = float(tL0.min()) if n else 0.0
        Br = float(arr.B_tol * (1.0 + RELAX_RTOL)) if frame is None else float(frame.budget)
        from .bnb_kernel import beta_relaxed

        shannon = arr.rate == "shannon"
        b0 = np.array([beta_relaxed(float(Tr[i] - e[i]), float(D[i]), float(q[i]), shannon) for i in range(n)])
        need = arr.beta(idx, arr.T[idx] - arr.e[idx])
        # time bounds before betas (kernel)
        loose = bool(np.sum(need[np.isfinite(need)]) < (arr.B if frame is None else Br))
        args = (
            n,
            mdl,
            e,
            Tr,
            D,
            q,
            b0,
            arr.rate == "shannon",
            arr.overlap == "sequential",
            loose,
            tL,
            tL0,
            setup_arrays,
            t0,
            Br,
            succ,
        )
        return cls(users=idx, args=args)

    @property
    def n(self) -> int:
        return len(self.users)


class TargetSearch:
    """One resumable search of the kernel for a suffix of at least ``target`` users."""

    def __init__(self, problem: SuffixProblem, target: int, memo_mb: float):
        from . import bnb_kernel as kernel

        self.problem = problem
        self.target = int(target)
        self.kernel = kernel
        self.memo = kernel.new_memo(memo_mb, problem.n)  # lazily touched: free until used
        self.state = kernel.new_state(problem.n, len(problem.args[11]))

    def step(self, nodes: int) -> int:
        """Up to ``nodes`` nodes: 1 found (:meth:`found` holds it; call again to go on), 0
        exhausted, 2 not done."""
        a = self.problem.args
        search: Any = self.kernel.search  # a numba dispatcher
        return int(search(self.target, int(nodes), *a, self.state, self.memo))

    @property
    def nodes(self) -> int:
        return int(self.state[1][0])

    def found(self) -> list[int]:
        """The complete suffix on top of the stack, in service order (instance indices)."""
        d = int(self.state[0][0])
        st_user = self.state[2]
        return [int(self.problem.users[st_user[d - a]]) for a in range(d)]

    def best(self) -> list[int]:
        """The largest complete suffix met so far (service order, instance indices)."""
        c = int(self.state[10][0])
        return [int(self.problem.users[i]) for i in self.state[11][:c]]


def memo_megabytes(memory_limit: float) -> float:
    """The dominance memo's share of ``memory_limit`` MB: a half, at most 4 GB (the rest of the
    search takes kilobytes; the memo's pages are touched only as states are stored). A memo that
    fills stops storing and the search then prunes far less: on
    ``backbone-deadlines-preset-K30-s1`` target 22 stores 6.6 M states; with room for 6 M it was
    not exhausted in 90 s, with room for 8 M (1 GB) the optimum was proved in 34 s."""
    return min(memory_limit / 2.0, 4096.0)


def bnb(
    instance: Instance,
    time_limit: float = 60.0,
    warm_start: Any = "greedy",
    memory_limit: float = MEMORY_LIMIT_MB,
    upper_bound: int | None = None,
) -> Result:
    """Proven optimum (or incumbent + bound + gap) by the backward branch and bound of the module
    docstring; both rate models, both timelines, at most :data:`MAX_USERS` servable users.

    Statuses: ``optimal`` (a target was reached after every larger one was exhausted, or the
    incumbent meets a bound), ``time_limit`` (incumbent, the current target as ``bound``, gap),
    ``interrupted`` (Ctrl-C, same content). ``stats``: ``nodes``, ``targets`` (per target tried:
    nodes, seconds, outcome), ``proved_by``, ``judge_rejected`` (orders the relaxed search found
    that the judge refused; at the limits' last bits only).

    Parameters
    ----------
    instance : Instance
        The scheduling instance (any sharing structure, per-user deadlines, both timelines).
    time_limit : float
        Seconds for everything (warm start and bounds included).
    warm_start : str, Result or list
        A method name, a Result or an order of user ids: the first incumbent (None: none).
    memory_limit : float
        MB the search may take; a half (at most 4 GB) goes to the dominance memo (when full, no
        new states are stored: the search stays exact, it prunes less).
    upper_bound : int or None
        A proven upper bound from elsewhere (e.g. another exact method): the search starts there
        if it is below its own.
    """
    from ..bounds import all_bounds
    from ..core.highs import Budget, check_time_limit
    from ..exact import _warm_order

    check_time_limit(time_limit)  # a limit is required (Budget alone would take None)
    budget = Budget(time_limit)
    check_memory_limit(memory_limit)
    if upper_bound is not None and (isinstance(upper_bound, bool) or not isinstance(upper_bound, (int, np.integer))):
        raise OptionError(f"upper_bound: expected an integer or None, got {upper_bound!r}")
    reason = supports(instance)
    if reason:
        raise NotApplicable(reason)
    with interrupt.interruptible():
        arr = instance.arrays
        incumbent = _warm_order(instance, warm_start)
        try:
            values = all_bounds(instance, levels=8, lp=True)
        except KeyboardInterrupt:  # first Ctrl-C inside an LP: the search is skipped, not lost
            if not interrupt.requested():
                raise
            values = all_bounds(instance, levels=8, lp=False)
        named = {k: int(v) for k, v in values.items() if not k.endswith("_s") and v is not None}
        bound = min(named.values())
        stats: dict[str, Any] = {
            "nodes": 0,
            "targets": [],
            "start_bound": bound,
            "judge_rejected": 0,
            "warm_start": len(incumbent),
        }
        if upper_bound is not None and int(upper_bound) < len(incumbent):
            raise OptionError(
                f"upper_bound: {upper_bound} is below the warm start's {len(incumbent)} served users: not a bound"
            )
        if upper_bound is not None and int(upper_bound) < bound:
            bound = int(upper_bound)
            stats["start_bound"] = bound
        return _search(instance, arr, incumbent, bound, budget, memory_limit, stats)


def _search(instance, arr, incumbent, bound, budget, memory_limit, stats) -> Result:
    def done(status: Status, **extra: Any) -> Result:
        stats.update(extra)
        if len(incumbent) >= bound:
            status = Status.OPTIMAL
        elif status == Status.TIME_LIMIT:
            stats["limit"] = "time_limit"  # the clock: the only limit that stops the search
        return Result.from_order(
            instance, incumbent, "bnb", bound=bound, status=str(status), wall_time=budget.elapsed(), stats=stats
        )

    if len(incumbent) >= bound:
        return done(Status.OPTIMAL, proved_by="bounds" if bound < len(arr.servable()) or bound == 0 else "servable")
    from ..bounds import least_setups

    problem = SuffixProblem.build(arr, arr.servable(), least_setups(instance))
    memo_mb = memo_megabytes(memory_limit)

    def take(order: list[int]) -> bool:
        nonlocal incumbent
        if len(order) > len(incumbent):
            if is_feasible_order(instance, order):
                incumbent = order
                return True
            stats["judge_rejected"] += 1
        return False

    while bound > len(incumbent):
        target = bound
        run = TargetSearch(problem, target, memo_mb)
        t_start = time.perf_counter()
        outcome = None
        while outcome is None:
            if budget.spent() or interrupt.requested():
                break
            code = run.step(CHUNK)
            if code == 1:
                if take(run.found()):
                    outcome = "found"
            elif code == 0:
                outcome = "exhausted"
            take(run.best())
        stats["nodes"] += run.nodes
        stats["targets"].append(
            {"target": target, "nodes": run.nodes, "seconds": time.perf_counter() - t_start, "outcome": outcome}
        )
        stats["memo_states"] = int(run.memo[5][0])
        if outcome is None:
            return done(Status.INTERRUPTED if interrupt.requested() else Status.TIME_LIMIT)
        if outcome == "found":
            stats["proved_by"] = "bnb"
            return done(Status.OPTIMAL)
        bound = target - 1
    stats["proved_by"] = "bnb"
    return done(Status.OPTIMAL)
