"""Exact solving: the scheduling MILPs of ``formulations/`` with HiGHS, and the LP bound.

``milp`` builds the chosen formulation and solves it with the one HiGHS runner
(:class:`partialopt.core.highs.HighsRunner`). The spectrum budget is an outer approximation by
tangent cuts (``formulations.common``); after each solve the incumbent order is judged exactly
(:func:`partialopt.evaluate.is_feasible_order`). If it fails the budget, tangents at its users'
starts and latest starts are added and HiGHS resolves; an exactly feasible incumbent is kept
throughout (the warm start, or the failing order with users dropped until it passes). The
result is exact to the judge's tolerances (:mod:`partialopt.core.tolerances`): ``optimal`` means
the incumbent meets the best proven bound.

Every bound reported is valid: each round's MILP relaxes the true problem (tangents lie below
``beta``, deadlines and budget are the judge's tolerant ones), so HiGHS's dual bound of any
round bounds the true optimum; so do the cheap bounds of :mod:`partialopt.bounds`.

Trust, limits and faults:

- A solver answer is checked before it is believed: a dual bound below the exactly checked
  incumbent is a solver failure; the round is solved again with presolve off, and if that fails
  too the result is ``error`` (never ``optimal``).
- ``time_limit`` covers everything, model building included. Before building, the model's size
  is estimated (nonzeros, from the instance); when building alone would not fit in the time left
  or in ``memory_limit`` MB, nothing is built and the result is ``time_limit`` with the warm-start
  incumbent and the cheap bound.
- Ctrl-C: the result is ``interrupted`` with the incumbent and the bound (a second Ctrl-C raises
  ``KeyboardInterrupt``).
- Numerical range: when the latest deadline exceeds :data:`MAX_TIME_RANGE` times the shortest
  inference time, the big-M rows are unsafe with HiGHS's tolerances: ``milp`` raises
  :class:`NotApplicable` naming the field (unless a cheap bound already proves the warm start
  optimal) and ``lp_bound`` reports the cheap bound only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .bandwidth import latest_starts
from .bounds import cheap_bound
from .core import interrupt
from .core.errors import NotApplicable, OptionError
from .core.highs import MEMORY_LIMIT_MB, Budget, HighsRunner, SizeEstimate, check_memory_limit
from .core.status import Status
from .evaluate import Timeline, is_feasible_order, order_gaps
from .instance import Instance
from .result import Result

FORMULATION_NAMES = ("position", "arc")


def _formulation(name: Any):
    """The formulation to solve: a registered name (``"arc"``, ``"position"``) or any module or
    object following :class:`formulations.protocol.Formulation` (callables ``build``, ``extract``,
    ``set_start``)."""
    if isinstance(name, str):
        import formulations

        if name not in formulations.FORMULATIONS:
            raise OptionError(
                f"formulation: unknown formulation {name!r} (choose from {FORMULATION_NAMES}, "
                "or pass an object with build, extract and set_start)"
            )
        return formulations.FORMULATIONS[name]
    from formulations.protocol import missing_callables

    missing = missing_callables(name)
    if missing:
        raise OptionError(
            f"formulation: expected a name from {FORMULATION_NAMES} or an object with callables "
            f"build, extract and set_start (formulations.protocol.Formulation); "
            f"{type(name).__name__} {name!r} lacks {', '.join(missing)}"
        )
    return name


def _warm_order(instance: Instance, warm_start: Any) -> list[int]:
    """A feasible order (user indices) from a method name, a Result, or an order."""
    from .evaluate import user_indices
    from .solve import solve

    if warm_start is None or warm_start is False:
        return []
    if isinstance(warm_start, str):
        if not warm_start:
            raise OptionError("warm_start: expected a method name, a Result or an order of user ids, got ''")
        warm_start = solve(instance, method=warm_start)
    if isinstance(warm_start, Result):
        order = list(warm_start.order)
    elif isinstance(warm_start, (list, tuple, np.ndarray)):
        order = list(warm_start)
    else:
        raise OptionError(
            f"warm_start: expected a method name, a Result or an order of user ids, got {type(warm_start).__name__} "
            f"{warm_start!r}"
        )
    try:
        idx = user_indices(instance, order).tolist()
    except ValueError as exc:
        raise OptionError(f"warm_start: {exc}") from None
    if not is_feasible_order(instance, idx):
        raise OptionError("warm_start: the given schedule is infeasible")
    return idx


def estimate_size(instance: Instance, formulation: str) -> SizeEstimate:
    """Nonzeros of the constraint matrix of ``formulation`` on ``instance`` (counted from the
    instance, nothing built), and the time and memory building and loading it would take.

    ``arc`` (n candidates): flows ``2 n (n+1)``, precedences ``3 n (n-1)`` (twice pipelined),
    deadline knapsacks ``(n + 1)`` per user per deadline level at or after its deadline.
    ``position`` (n candidates, N = Moore-Hodgson positions, block memberships ``sum_k |J_mk|``):
    assignments ``~5 n N``, block loads ``N (J + 2 sum_k |J_mk|)``, timing ``~4 n N``.
    """
    arr = instance.arrays
    cand = arr.servable()
    n = len(cand)
    T = np.sort(arr.T[cand])
    # users due by each distinct deadline level d: the knapsack rows' sizes
    levels = np.unique(T)
    due = np.searchsorted(T, levels, side="right").astype(float)
    if formulation == "arc":
        nnz = 2.0 * n * (n + 1) + 3.0 * n * (n - 1) * (2 if arr.overlap == "pipelined" else 1)
        nnz += float(due.sum()) * (n + 1) + 12.0 * n
    else:
        from formulations.common import moore_hodgson_bound

        N = max(1, min(n, moore_hodgson_bound(arr, cand))) if n else 0
        blocks = sum(len(instance.models[int(arr.model[k])].blocks) for k in cand)
        J = len(instance.blocks)
        nnz = 9.0 * n * N + N * (J + 2.0 * blocks) + float(due.sum()) + 12.0 * n
    return SizeEstimate(int(nnz))


MAX_TIME_RANGE = 1e5
"""Largest ratio of the latest deadline to the shortest inference time that the big-M rows of
the formulations take safely: HiGHS accepts binaries 1e-6 away from 0/1, which relaxes a big-M
row by about ``1e-6 M``; past this ratio that slack reaches a tenth of the shortest inference
and an "optimal" could be wrong (seen: 5 where brute force proves 6 with deadlines of 0.1 s and
1e9 s). The shipped presets have ratios of 40-320."""


def numerical_range_issue(instance: Instance) -> str:
    """Why the MILPs are numerically unsafe on ``instance`` ("" when they are safe)."""
    arr = instance.arrays
    cand = arr.servable()
    if not len(cand):
        return ""
    k_T = int(cand[np.argmax(arr.T_tol[cand])])
    k_e = int(cand[np.argmin(arr.e[cand])])
    ratio = float(arr.T_tol[k_T] / arr.e[k_e])
    if ratio <= MAX_TIME_RANGE:
        return ""
    return (
        f"users[{k_T}].deadline = {arr.T[k_T]:g} s is {ratio:.1e} times the shortest inference time "
        f"(users[{k_e}]: {arr.e[k_e]:g} s), more than {MAX_TIME_RANGE:.0e}: the big-M rows would be "
        "numerically unsafe with HiGHS's tolerances and could give a wrong optimum; use brute_force "
        "(K <= 8), dp (its class) or deadlines within that range"
    )


def _check_common(time_limit: float, threads: int | None, memory_limit: float) -> Budget:
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise OptionError(f"threads: must be an integer >= 1, got {threads!r}")
    check_memory_limit(memory_limit)
    return Budget(time_limit)


def milp(
    instance: Instance,
    formulation: str = "arc",
    time_limit: float = 60.0,
    mip_gap: float = 0.0,
    warm_start: Any = "greedy",
    threads: int | None = None,
    seed: int = 0,
    memory_limit: float = MEMORY_LIMIT_MB,
    max_cut_rounds: int = 100,
    verbose: bool = False,
    customize: Callable[[Any], None] | None = None,
) -> Result:
    """Proven optimum (or incumbent + bound + gap) of SPEC §4-5 by MILP.

    Statuses: ``optimal`` (the incumbent meets the bound), ``time_limit`` (time, size, memory or
    cut-round limit), ``interrupted`` (Ctrl-C), ``error`` (HiGHS failed; ``stats["error"]`` says
    how; the incumbent is exactly checked and the bound valid). ``stats["termination"]`` is
    HiGHS's own last model status.

    Parameters
    ----------
    instance : Instance
        The scheduling instance (any class; deadlines within :data:`MAX_TIME_RANGE` times the
        shortest inference time, else ``NotApplicable``).
    formulation : str or Formulation
        ``"arc"`` (faster to prove optimality, benchmarks/README.md), ``"position"``, or your own
        object following ``formulations.protocol.Formulation``.
    time_limit : float
        Seconds for everything: model building and all cut rounds.
    mip_gap : float
        Relative gap at which HiGHS may stop (0 proves optimality; an absolute gap below 1 is
        always used, the objective being integral).
    warm_start : str, Result or list
        A method name, a Result or an order of user ids: the first incumbent and a MIP start
        (default ``greedy``; off with ``customize``).
    threads : int or None
        HiGHS threads (None: 1, the same search path for the same input; a run stopped by
        ``time_limit`` may stop at a different point each time).
    seed : int
        HiGHS's random seed.
    memory_limit : float
        MB the model may take, estimated before building; a larger model is not built.
    max_cut_rounds : int
        Tangent-cut rounds before stopping with status ``time_limit``.
    verbose : bool
        Stream HiGHS's log.
    customize : callable or None
        ``fn(model)`` called on the built Pyomo model before solving, to add constraints of your
        own; the optimum is then that of the restricted problem. Schedules found outside the MILP
        could break your constraints, so the default warm start is then off and only MILP
        solutions that pass the exact check become incumbents (an explicit ``warm_start`` must
        satisfy your constraints).
    """
    budget = _check_common(time_limit, threads, memory_limit)
    if not (isinstance(mip_gap, (int, float)) and 0 <= mip_gap <= 1):
        raise OptionError(f"mip_gap: must be in [0, 1], got {mip_gap!r}")
    if not (isinstance(max_cut_rounds, int) and max_cut_rounds >= 1):
        raise OptionError(f"max_cut_rounds: must be an integer >= 1, got {max_cut_rounds!r}")
    form = _formulation(formulation)
    with interrupt.interruptible():
        return _milp(
            instance,
            form,
            formulation,
            budget,
            mip_gap,
            warm_start,
            threads,
            seed,
            memory_limit,
            max_cut_rounds,
            verbose,
            customize,
        )


def _milp(
    instance,
    form,
    formulation,
    budget,
    mip_gap,
    warm_start,
    threads,
    seed,
    memory_limit,
    max_cut_rounds,
    verbose,
    customize,
) -> Result:
    arr = instance.arrays
    if customize is not None and warm_start == "greedy":
        warm_start = None
    incumbent = _warm_order(instance, warm_start)
    bound, parts = cheap_bound(arr)
    from formulations.protocol import formulation_name

    formulation = formulation_name(formulation)
    stats: dict[str, Any] = {
        "formulation": formulation,
        "cheap_bounds": parts,
        "rounds": 0,
        "cuts_added": 0,
        "nodes": 0,
        "candidates": parts["servable"],
        "termination": None,
    }

    def done(status: Status, **extra: Any) -> Result:
        stats.update({k: v for k, v in extra.items() if v is not None})
        if status != Status.ERROR and len(incumbent) >= bound:
            final = Status.OPTIMAL
        elif status == Status.OPTIMAL:  # HiGHS stopped within the user's mip_gap: no proof
            final = Status.FEASIBLE
            stats.setdefault("limit", "mip_gap")
        else:
            final = status
        return Result.from_order(
            instance, incumbent, "milp", bound=bound, status=str(final), wall_time=budget.elapsed(), stats=stats
        )

    if len(incumbent) >= bound:  # proved by a cheap bound: nothing to build
        return done(Status.OPTIMAL, proved_by="cheap bound")
    if interrupt.requested():
        return done(Status.INTERRUPTED)
    unsafe = numerical_range_issue(instance)
    if unsafe:
        raise NotApplicable(f"milp: {unsafe}")
    est = estimate_size(instance, formulation)
    stats["estimated_nonzeros"] = est.nonzeros
    why = est.refusal(budget, memory_limit)
    if why:
        return done(Status.TIME_LIMIT, limit=f"model not built: {why}")
    model = form.build(instance)
    if customize is not None:
        customize(model)
    if budget.check_build():
        return done(Status.TIME_LIMIT, limit="model building used up time_limit")
    if interrupt.requested():
        return done(Status.INTERRUPTED)
    if incumbent:
        form.set_start(model, instance, incumbent)

    def runner(presolve: bool) -> HighsRunner:
        return HighsRunner(
            model, threads=threads, seed=seed, mip_gap=mip_gap, mip_abs_gap=1 - 1e-6, presolve=presolve, verbose=verbose
        )

    solver = runner(True)
    presolve = True
    while True:
        if budget.spent():
            return done(Status.TIME_LIMIT, limit="time_limit")
        rep = solver.solve(budget.left(), warmstart=bool(incumbent))
        stats["rounds"] += 1
        stats["nodes"] += rep.nodes
        stats["termination"] = rep.termination
        if rep.status in (Status.ERROR, Status.INFEASIBLE):  # the empty schedule is always feasible
            reason = rep.error or f"HiGHS says infeasible ({rep.termination}), but the empty schedule is feasible"
            return done(Status.ERROR, error=reason)
        round_bound = math.floor(rep.bound + 1e-6) if rep.bound is not None else None
        if round_bound is not None and round_bound < len(incumbent):
            reason = (
                f"HiGHS's dual bound {rep.bound:g} is below the exactly checked incumbent ({len(incumbent)} served)"
            )
            if presolve:  # do not believe it: solve the same round again without presolve
                presolve = False
                stats["resolved_without_presolve"] = reason
                solver = runner(False)
                continue
            return done(Status.ERROR, error=reason + " (also without presolve)")
        if round_bound is not None:
            bound = min(bound, round_bound)
        order: list[int] = []
        if rep.has_solution:
            solver.load_solution()
            order = form.extract(model)
            if is_feasible_order(instance, order):
                if len(order) > len(incumbent):
                    incumbent = order
                if rep.status == Status.OPTIMAL:
                    return done(Status.OPTIMAL)
                return done(rep.status, limit="time_limit" if rep.status == Status.TIME_LIMIT else None)
        if rep.status != Status.OPTIMAL:  # time limit or interrupt (an order failing the budget or none)
            incumbent = _repaired(instance, order, customize, incumbent)
            return done(rep.status, limit="time_limit" if rep.status == Status.TIME_LIMIT else None)
        # optimal for the outer approximation but the order breaks the budget: cut and repair
        incumbent = _repaired(instance, order, customize, incumbent)
        added = _cut(model, arr, order)
        stats["cuts_added"] += added
        if len(incumbent) >= bound:
            return done(Status.OPTIMAL)
        if added == 0 or stats["rounds"] >= max_cut_rounds:
            return done(Status.TIME_LIMIT, limit="max_cut_rounds" if added else "no new tangent cut")
        form.set_start(model, instance, incumbent)


def _repaired(instance: Instance, order: list[int], customize, incumbent: list[int]) -> list[int]:
    """The users of ``order`` that still fit (exact check) if that beats ``incumbent``, else
    ``incumbent`` (with ``customize`` a repaired order could break the user's constraints)."""
    if customize is not None or not order:
        return incumbent
    repaired = Timeline(instance.arrays, undo=False).push_all(order).order.tolist()
    return repaired if len(repaired) > len(incumbent) else incumbent


def _cut(model, arr, order: list[int]) -> int:
    """Tangent cuts of beta at each user's start and latest start in ``order``."""
    from formulations.common import add_tangent_cut, seconds

    users = np.array(order, dtype=np.int64)
    _, gap = order_gaps(arr, users)
    L = latest_starts(arr.T[users], arr.e[users], gap)
    added = 0
    for k, Lk in zip(order, L):
        added += add_tangent_cut(model, arr, k, seconds(model, model.s[k]))
        added += add_tangent_cut(model, arr, k, float(Lk))
    return added


def lp_bound(
    instance: Instance,
    formulation: str = "position",
    time_limit: float = 60.0,
    threads: int | None = None,
    memory_limit: float = MEMORY_LIMIT_MB,
) -> Result:
    """A quick upper bound: the least of the formulation's LP relaxation (rounded down) and the
    cheap bounds of :mod:`partialopt.bounds`. Returns an empty schedule with that bound.

    Status ``feasible`` when the LP was solved (or was not needed), ``time_limit`` when the time
    or memory limit stopped it (the cheap bound is then reported), ``interrupted`` on Ctrl-C,
    ``error`` when HiGHS failed (cheap bound reported).

    Parameters
    ----------
    instance : Instance
        The scheduling instance.
    formulation : str
        ``"position"`` or ``"arc"``: whose LP relaxation.
    time_limit : float
        Seconds, model building included.
    threads : int or None
        HiGHS threads (None: 1).
    memory_limit : float
        MB the model may take, estimated before building.
    """
    import pyomo.environ as pyo

    budget = _check_common(time_limit, threads, memory_limit)
    form = _formulation(formulation)
    with interrupt.interruptible():
        arr = instance.arrays
        bound, parts = cheap_bound(arr)
        from formulations.protocol import formulation_name

        formulation = formulation_name(formulation)
        stats: dict[str, Any] = {
            "formulation": formulation,
            "cheap_bounds": parts,
            "lp_relaxation": None,
            "termination": None,
        }

        def done(status: Status, **extra: Any) -> Result:
            stats.update(extra)
            return Result.from_order(
                instance, [], "lp_bound", bound=bound, status=str(status), wall_time=budget.elapsed(), stats=stats
            )

        if bound == 0:
            return done(Status.OPTIMAL)
        unsafe = numerical_range_issue(instance)
        if unsafe:  # the cheap bound stays valid; the LP's could be wrong
            return done(Status.FEASIBLE, lp_skipped=unsafe)
        est = estimate_size(instance, formulation)
        why = est.refusal(budget, memory_limit)
        if why:
            return done(Status.TIME_LIMIT, limit=f"model not built: {why}")
        model = form.build(instance)
        pyo.TransformationFactory("core.relax_integer_vars").apply_to(model)
        if budget.check_build():
            return done(Status.TIME_LIMIT, limit="model building used up time_limit")
        rep = HighsRunner(model, threads=threads).solve(budget.left())
        stats["termination"] = rep.termination
        if rep.status == Status.OPTIMAL and rep.bound is not None:
            stats["lp_relaxation"] = rep.bound
            bound = int(min(bound, math.floor(rep.bound + 1e-6)))
            return done(Status.FEASIBLE)
        if rep.status in (Status.TIME_LIMIT, Status.INTERRUPTED):
            return done(rep.status)
        return done(Status.ERROR, error=rep.error or f"LP relaxation ended {rep.termination}")
