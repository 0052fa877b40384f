"""Logic-based Benders decomposition (``method="benders"``): HiGHS chooses which users to serve,
the branch and bound of :mod:`.bnb` says whether some order serves them all.

**Master** (a MIP solved by HiGHS, :class:`partialopt.core.highs.ArrayMip`): binaries ``x_k``
(serve k) over the servable users, maximise ``sum x_k`` subject to relaxations of SPEC §4-5 that
every served set satisfies:

- the bandwidth knapsack ``sum_k beta_k(T_k - e_k) x_k <= B`` (latest starts are at most
  ``T_k - e_k`` and beta decreases);
- deadline levels with setups (sequential): for each distinct deadline d, the inferences of the
  served users due by d plus the least loads of what they use fit before d,
  ``sum_{T_k <= d} e_k x_k + sum_m own_m y_{m,d} + sum_c bb_c z_{c,d} <= d`` with
  ``y_{m,d} >= x_k`` (k of model m due by d) and ``z_{c,d} >= y_{m,d}`` (m in cluster c), the
  least setups of :func:`partialopt.bounds.least_setups` (each model used is loaded at least
  ``own_m`` before its first user, each cluster its backbone ``bb_c``; the first load included).
  Pipelined: ``sum_{T_k <= d} e_k x_k <= d - t0`` (inferences run one at a time after the first
  load ``t0``);
- the cuts found so far.

Deadlines and budget are the judge's tolerant ones with the search's slack (:data:`.bnb.RELAX_RTOL`),
and the knapsack's beta is lowered by 1e-9 relative, so the master relaxes the judge: its
dual bound is a valid upper bound at every iteration.

**Subproblem**: for the master's set S, :class:`.bnb.TargetSearch` over S alone with target
``|S|`` (an order serving all of S, checked by the judge). If there is one, it is optimal (it
meets the master's bound). If not, S is infeasible and so is every superset (removing a user from
a feasible order keeps it feasible: triangle inequality, latest starts only rise), so a
**minimal infeasible subset** C of S is found by deletion (drop each user in turn, keep it out
if the rest is still infeasible) and the cut ``sum_{k in C} x_k <= |C| - 1`` is added. Feasible
sets met during the deletion are incumbents. A deletion test that takes more than
:data:`DELETION_NODES` nodes keeps its user in the core (still an infeasible set, a weaker cut).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from ..core import interrupt
from ..core.errors import NotApplicable, OptionError
from ..core.highs import MEMORY_LIMIT_MB, ArrayMip, Budget
from ..core.status import Status
from ..evaluate import is_feasible_order
from ..instance import Instance
from ..result import Result
from .bnb import CHUNK, RELAX_RTOL, SuffixProblem, TargetSearch, memo_megabytes
from .bnb import supports as bnb_supports

DELETION_NODES = 100_000
"""Nodes one deletion test may take; past that the user stays in the core (the cut is then less
sparse but still valid: the core stays infeasible)."""
BETA_RTOL = 1e-9
"""Relative slack taken off the knapsack's beta (the closed form's rounding)."""


def supports(instance: Instance) -> str:
    """ "" when the subproblem's branch and bound covers the instance (:func:`.bnb.supports`)."""
    return bnb_supports(instance).replace("bnb:", "benders:", 1)


def master_model(instance: Instance, users: np.ndarray, threads: int | None = None, seed: int = 0) -> ArrayMip:
    """The master MIP of the module docstring over ``users`` (column i is ``x_{users[i]}``)."""
    from ..bounds import least_setups

    arr = instance.arrays
    cluster, bb, own = least_setups(instance)
    n = len(users)
    seq = arr.overlap == "sequential"
    T = arr.T_tol[users] * (1.0 + RELAX_RTOL)
    e = arr.e[users]
    mdl = arr.model[users]
    levels = np.unique(T)
    extra: list[tuple[str, int, int]] = []  # ("y", model, level) / ("z", cluster, level)
    if seq:
        for li, d in enumerate(levels):
            due = T <= d
            models = np.unique(mdl[due])
            extra += [("y", int(m), li) for m in models]
            extra += [("z", int(c), li) for c in np.unique(cluster[models])]
    col = {key: n + i for i, key in enumerate(extra)}
    mip = ArrayMip.build(
        np.r_[np.ones(n), np.zeros(len(extra))], np.ones(n + len(extra)), np.r_[np.ones(n), np.zeros(len(extra))],
        threads=threads, seed=seed,
    )  # fmt: skip
    need = arr.beta(users, arr.T_tol[users] - e) * (1.0 - BETA_RTOL)
    ok = np.isfinite(need)
    mip.add_row(-np.inf, arr.B_tol * (1.0 + RELAX_RTOL), np.flatnonzero(ok), need[ok])
    for i in np.flatnonzero(~ok):  # no bandwidth meets the deadline (not servable): x = 0
        mip.add_row(-np.inf, 0.0, [i], [1.0])
    t0 = float(arr.tL0[mdl].min()) if n else 0.0
    for li, d in enumerate(levels):
        due = np.flatnonzero(T <= d)
        if not seq:
            mip.add_row(-np.inf, max(d - t0, 0.0), due, e[due])
            continue
        models = np.unique(mdl[due])
        clusters = np.unique(cluster[models])
        cols = list(due) + [col[("y", int(m), li)] for m in models] + [col[("z", int(c), li)] for c in clusters]
        vals = list(e[due]) + [own[m] for m in models] + [bb[c] for c in clusters]
        mip.add_row(-np.inf, d, cols, vals)
        for i in due:
            mip.add_row(-np.inf, 0.0, [i, col[("y", int(mdl[i]), li)]], [1.0, -1.0])
        for m in models:
            mip.add_row(-np.inf, 0.0, [col[("y", int(m), li)], col[("z", int(cluster[m]), li)]], [1.0, -1.0])
    return mip


def benders(
    instance: Instance,
    time_limit: float = 60.0,
    warm_start: Any = "greedy",
    memory_limit: float = MEMORY_LIMIT_MB,
    threads: int | None = None,
    seed: int = 0,
) -> Result:
    """Proven optimum (or incumbent + bound + gap) by the logic-based Benders decomposition of the
    module docstring: HiGHS's master picks the users, the branch and bound orders them.

    Statuses: ``optimal`` (the master's choice has an order, or the incumbent meets the master's
    bound), ``time_limit``, ``interrupted``, ``error`` (HiGHS failed; the incumbent is judged
    and the bound is the last valid one). ``stats``: ``iterations``, ``cuts`` (their sizes),
    ``subproblem_nodes``, ``master_seconds``, ``subproblem_seconds``.

    Parameters
    ----------
    instance : Instance
        The scheduling instance (at most 64 servable users; both timelines, both rate models).
    time_limit : float
        Seconds for everything.
    warm_start : str, Result or list
        A method name, a Result or an order of user ids: the first incumbent (None: none).
    memory_limit : float
        MB for the subproblem's search (its dominance memo takes a half, at most 4 GB).
    threads : int or None
        HiGHS threads for the master (None: 1, reproducible).
    seed : int
        HiGHS's random seed.
    """
    from ..core.highs import check_time_limit
    from ..exact import _check_common, _warm_order

    check_time_limit(time_limit)  # a limit is required (milp's _check_common takes None)
    budget = _check_common(time_limit, threads, memory_limit)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise OptionError(f"seed: must be an integer >= 0, got {seed!r}")
    reason = supports(instance)
    if reason:
        raise NotApplicable(reason)
    with interrupt.interruptible():
        return _benders(instance, budget, _warm_order(instance, warm_start), memory_limit, threads, seed)


def _benders(instance, budget: Budget, incumbent: list[int], memory_limit, threads, seed) -> Result:
    from ..bounds import cheap_bound, least_setups

    arr = instance.arrays
    users = arr.servable()
    bound, _ = cheap_bound(arr)
    stats: dict[str, Any] = {
        "iterations": 0,
        "cuts": [],
        "subproblem_nodes": 0,
        "master_seconds": 0.0,
        "subproblem_seconds": 0.0,
        "judge_rejected": 0,
    }

    def done(status: Status, **extra: Any) -> Result:
        stats.update(extra)
        if status != Status.ERROR and len(incumbent) >= bound:
            status = Status.OPTIMAL
        elif status == Status.TIME_LIMIT:
            stats["limit"] = "time_limit"  # the clock: the only limit that stops the loop
        return Result.from_order(
            instance, incumbent, "benders", bound=bound, status=str(status), wall_time=budget.elapsed(), stats=stats
        )

    if len(incumbent) >= bound:
        return done(Status.OPTIMAL, proved_by="cheap bound")
    setups = least_setups(instance)
    memo_mb = memo_megabytes(memory_limit)
    mip = master_model(instance, users, threads, seed)
    pos = {int(k): i for i, k in enumerate(users)}

    def take(order: list[int]) -> None:
        nonlocal incumbent
        if len(order) > len(incumbent):
            if is_feasible_order(instance, order):
                incumbent = order
            else:
                stats["judge_rejected"] += 1

    def orderable(chosen: list[int], node_cap: int | None = None) -> str:
        """ "yes" (the incumbent then serves them all), "no" (proved), or "unknown" (time, or
        more than ``node_cap`` nodes)."""
        t = time.perf_counter()
        run = TargetSearch(SuffixProblem.build(arr, chosen, setups), len(chosen), memo_mb)
        try:
            while True:
                if budget.spent() or interrupt.requested():
                    return "unknown"
                if node_cap is not None and run.nodes >= node_cap:
                    return "unknown"
                code = run.step(CHUNK if node_cap is None else min(CHUNK, node_cap))
                if code == 1:
                    order = run.found()
                    if is_feasible_order(instance, order):
                        take(order)
                        return "yes"
                    stats["judge_rejected"] += 1
                elif code == 0:
                    take(run.best())
                    return "no"
        finally:
            stats["subproblem_nodes"] += run.nodes
            stats["subproblem_seconds"] += time.perf_counter() - t

    while True:
        if budget.spent() or interrupt.requested():
            return done(Status.INTERRUPTED if interrupt.requested() else Status.TIME_LIMIT)
        rep = mip.solve(budget.left())
        stats["iterations"] += 1
        stats["master_seconds"] += rep.seconds
        stats["termination"] = rep.termination
        if rep.status in (Status.ERROR, Status.INFEASIBLE):  # x = 0 is always feasible
            return done(Status.ERROR, error=rep.error or f"HiGHS says the master is {rep.termination}")
        if rep.bound is not None:
            master_bound = math.floor(rep.bound + 1e-6)
            if master_bound < len(incumbent):
                return done(
                    Status.ERROR,
                    error=f"HiGHS's dual bound {rep.bound:g} is below the judged incumbent ({len(incumbent)} served)",
                )
            bound = min(bound, master_bound)
        if len(incumbent) >= bound:
            return done(Status.OPTIMAL, proved_by="benders")
        if rep.status != Status.OPTIMAL or not rep.has_solution:
            return done(rep.status)
        chosen = [int(users[i]) for i in range(len(users)) if mip.values[i] > 0.5]
        verdict = orderable(chosen)
        if verdict == "yes":
            return done(Status.OPTIMAL, proved_by="benders")
        if verdict == "unknown":
            return done(Status.INTERRUPTED if interrupt.requested() else Status.TIME_LIMIT)
        core = list(chosen)
        for k in list(chosen):  # deletion filter: a minimal infeasible subset
            if len(core) <= 1:
                break
            rest = [u for u in core if u != k]
            verdict = orderable(rest, DELETION_NODES)
            if verdict == "no":
                core = rest
            elif verdict == "unknown" and (budget.spent() or interrupt.requested()):
                break  # (a test over DELETION_NODES keeps k in the core: still infeasible)
        stats["cuts"].append(len(core))
        mip.add_row(-np.inf, len(core) - 1, [pos[k] for k in core], np.ones(len(core)))


def master_bound(instance: Instance, time_limit: float = 10.0, threads: int | None = None) -> tuple[int | None, str]:
    """The master's optimum without cuts (its dual bound when stopped by ``time_limit``), rounded
    down: an upper bound on the optimum that joins the knapsack with the deadline levels and
    their setups; and the solve's status. The bound is None when HiGHS gives none (error,
    interrupt)."""
    users = instance.arrays.servable()
    if not len(users):
        return 0, str(Status.OPTIMAL)
    rep = master_model(instance, users, threads).solve(time_limit)
    if rep.status in (Status.ERROR, Status.INFEASIBLE) or rep.bound is None:
        return None, str(Status.ERROR if rep.status == Status.INFEASIBLE else rep.status)
    return int(math.floor(rep.bound + 1e-6)), str(rep.status)
