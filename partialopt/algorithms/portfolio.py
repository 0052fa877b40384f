"""The exact portfolio (``method="exact"``): the ground truth researchers call by default.

It picks the exact methods by the instance and shares what each learns:

1. ``dp`` on its class (backbone sharing, one common deadline, sequential): polynomial and
   exact unless the budget binds (then its value is still a bound and its schedule an incumbent).
2. ``edd_dp`` (sequential timeline, a few models: while its table fits in ``memory_limit``, freed
   before the next stage, and its estimated time in half the time left): the exact optimum with the
   budget relaxed, a bound on every instance; when its schedule also passes the budget it is
   the optimum (``vision-mixed`` and the loose budgets of the library up to K = 50 in seconds).
   Only schedules beating the incumbent are searched, so it proves the incumbent optimal or
   gives a better bound; where its table is too large it is tried again after ``lns`` (a
   better incumbent cuts the table).
3. With at most 64 servable users: the Benders master without cuts (:func:`.benders.master_bound`:
   knapsack plus deadline levels with setups, a HiGHS MIP, at most :data:`MASTER_SHARE` of the
   time) gives a bound, and ``bnb`` starts its top-down search there with the incumbent so far,
   for the rest of the time. On the frozen library and the presets at K = 20-30 ``bnb`` proved
   every instance that ``benders`` or ``milp`` proved, faster (benchmarks/README.md), so it gets
   the time; ``benders``'s strength, its master's bound, is what it takes from it.
4. Above 64 servable users (or if ``bnb`` stopped early without a proof): ``milp`` (the arc
   formulation) with the time left.

Above :data:`LNS_FROM` servable users an ``lns`` run first improves the warm start (a few
seconds), so a time-limited result reports a good schedule beside the bound.

The final bound is the least any stage proved, the schedule the best any stage found (every one
judged by the evaluator). ``stats["proved_by"]`` names the stage that closed the gap (``cheap
bound``, ``dp``, ``edd_dp``, ``benders_master``, ``bnb``, ``milp``), or is None; ``stats["stages"]`` lists
each stage's status, objective, bound and seconds.
"""

from __future__ import annotations

import math
from typing import Any

from ..core import interrupt
from ..core.errors import NotApplicable
from ..core.highs import MEMORY_LIMIT_MB
from ..core.status import Status
from ..instance import Instance
from ..result import Result

LNS_FROM = 20
"""Above this many servable users an ``lns`` run (at most :data:`LNS_SECONDS` and a tenth of the
time) improves the warm start: where no stage finishes, the reported schedule is then ``lns``'s."""
LNS_SECONDS = 5.0
EDD_DP_RATE = 4e8
"""Inner-loop steps per second assumed for ``edd_dp`` (:func:`.edd_dp.operations`; 4e8-6e8
measured on one core of the development machine): it runs only when its estimate is at most
half the time left (it stops at the limit anyway)."""
MASTER_SHARE = 0.1
"""Share of the time left that the Benders master's bound may take."""


def exact(
    instance: Instance,
    time_limit: float = 60.0,
    warm_start: Any = "greedy",
    threads: int | None = None,
    memory_limit: float = MEMORY_LIMIT_MB,
) -> Result:
    """Proven optimum (or the best incumbent and the least bound of its stages, with the gap) by
    the portfolio of :mod:`partialopt.algorithms.portfolio`, stages in this order where they
    apply: ``dp``, ``edd_dp``, ``lns`` (a better incumbent), the Benders master's bound, ``bnb``,
    ``milp``. Each stage's outcome (and, for a skipped one, why) is in ``stats["stages"]``.

    Statuses: ``optimal`` (some stage proved it: ``stats["proved_by"]``), ``time_limit``,
    ``interrupted`` (Ctrl-C), ``error`` (a stage failed and none proved optimality; the stage's
    reason is in ``stats["stages"]``; incumbent and bound stay valid).

    Parameters
    ----------
    instance : Instance
        The scheduling instance (any class, both timelines, both rate models).
    time_limit : float
        Seconds for all stages together.
    warm_start : str, Result or list
        The first incumbent: a method name, a Result or an order of user ids (above 64 servable
        users ``lns`` is added).
    threads : int or None
        HiGHS threads for the master and ``milp`` (None: 1, reproducible).
    memory_limit : float
        MB for ``edd_dp``'s table, ``bnb``'s memo and ``milp``'s model (one stage at a time).
    """
    from ..core.highs import Budget, check_time_limit
    from ..exact import _check_common, _warm_order

    check_time_limit(time_limit)  # a limit is required (milp's _check_common takes None)
    budget: Budget = _check_common(time_limit, threads, memory_limit)
    with interrupt.interruptible():
        return _exact(instance, budget, _warm_order(instance, warm_start), threads, memory_limit)


def _exact(instance: Instance, budget, incumbent: list[int], threads, memory_limit) -> Result:
    from ..bounds import cheap_bound
    from ..solve import solve
    from . import bnb as bnb_module
    from . import dp as dp_module
    from .benders import master_bound

    arr = instance.arrays
    bound, _ = cheap_bound(arr)
    stages: list[dict[str, Any]] = []
    stats: dict[str, Any] = {"stages": stages, "proved_by": None}
    errors: list[str] = []

    def absorb(name: str, r: Result) -> bool:
        """Take a stage's schedule and bound; True when the gap is closed."""
        nonlocal incumbent, bound
        stages.append(
            {"method": name, "status": str(r.status), "objective": r.objective, "bound": r.bound,
             "seconds": round(r.wall_time, 4), **({"note": r.stats["note"]} if "note" in r.stats else {})}
        )  # fmt: skip
        if str(r.status) == "error":
            errors.append(f"{name}: {r.stats.get('error', 'error')}")
        if r.objective > len(incumbent):
            incumbent = [instance.user_index[u] for u in r.order]
        if r.bound is not None and str(r.status) != "error":
            bound = min(bound, int(math.floor(r.bound + 1e-9)))
        if len(incumbent) >= bound:
            stats["proved_by"] = stats["proved_by"] or name
            return True
        return False

    def done(status: Status) -> Result:
        if len(incumbent) >= bound:
            status = Status.OPTIMAL
        elif errors and status == Status.FEASIBLE:
            status = Status.ERROR
            stats["error"] = "; ".join(errors)
        elif status == Status.TIME_LIMIT:
            stats["limit"] = "time_limit"
        return Result.from_order(
            instance, incumbent, "exact", bound=bound, status=str(status), wall_time=budget.elapsed(), stats=stats
        )

    def stopped() -> Status | None:
        if interrupt.requested():
            return Status.INTERRUPTED
        if budget.spent():
            return Status.TIME_LIMIT
        return None

    if len(incumbent) >= bound:
        stats["proved_by"] = "cheap bound"
        return done(Status.OPTIMAL)
    if not dp_module.supports(instance):
        if absorb("dp", solve(instance, "dp")):
            return done(Status.OPTIMAL)
    r_edd = _edd_dp_stage(instance, incumbent, budget, memory_limit, stages)
    if r_edd is not None and absorb("edd_dp", r_edd):
        return done(Status.OPTIMAL)
    small = not bnb_module.supports(instance)
    if len(arr.servable()) > LNS_FROM:  # a better incumbent for a time-limited proof
        floor = len(incumbent)
        if absorb("lns", solve(instance, "lns", time_limit=max(min(LNS_SECONDS, budget.left() * 0.1), 1e-3))):
            return done(Status.OPTIMAL)
        if r_edd is None and len(incumbent) > floor:  # the DP's table shrinks with a better incumbent
            r_edd = _edd_dp_stage(instance, incumbent, budget, memory_limit, stages)
            if r_edd is not None and absorb("edd_dp", r_edd):
                return done(Status.OPTIMAL)
    if small:
        t = budget.elapsed()
        mb, mstatus = master_bound(instance, max(budget.left() * MASTER_SHARE, 1e-3), threads)
        stages.append({"method": "benders_master", "status": mstatus, "objective": None, "bound": mb,
                       "seconds": round(budget.elapsed() - t, 4)})  # fmt: skip
        if mstatus == "error":
            errors.append("benders_master: HiGHS failed on the master")
        if mb is not None and mb < bound:
            bound = max(mb, len(incumbent))
            if len(incumbent) >= bound:
                stats["proved_by"] = "benders_master"
                return done(Status.OPTIMAL)
        why = stopped()
        if why is not None:
            return done(why)
        r = solve(instance, "bnb", time_limit=max(budget.left(), 1e-3), warm_start=list(incumbent),
                  memory_limit=memory_limit, upper_bound=int(bound))  # fmt: skip
        if absorb("bnb", r):
            return done(Status.OPTIMAL)
        if str(r.status) in (Status.TIME_LIMIT, Status.INTERRUPTED):
            return done(Status(str(r.status)))
    why = stopped()
    if why is not None:
        return done(why)
    try:
        r = solve(instance, "milp", time_limit=max(budget.left(), 1e-3), warm_start=list(incumbent), threads=threads,
                  memory_limit=memory_limit)  # fmt: skip
    except NotApplicable as exc:
        stages.append({"method": "milp", "status": "refused", "note": str(exc)})
    else:
        if absorb("milp", r):
            return done(Status.OPTIMAL)
        if str(r.status) in (Status.TIME_LIMIT, Status.INTERRUPTED):
            return done(Status(str(r.status)))
    why = stopped()
    return done(why or Status.FEASIBLE)


def _edd_dp_stage(instance: Instance, incumbent: list[int], budget, memory_limit, stages) -> Result | None:
    """The ``edd_dp`` stage (module docstring, 2): a Result with its bound and, when its schedule
    passes the judge, that schedule; None (with the reason in ``stages``) when it does not run."""
    from ..evaluate import is_feasible_order
    from . import edd_dp as edd

    arr = instance.arrays
    cand = arr.servable()
    floor = len(incumbent)
    why = edd.supports(arr, cand, floor, memory_limit)
    if not why and edd.operations(arr, cand, floor) / EDD_DP_RATE > 0.5 * budget.left():
        why = "edd_dp: its estimated time is more than half the time left"
    if why:
        stages.append({"method": "edd_dp", "status": "skipped", "note": why})
        return None
    t = budget.elapsed()
    try:
        out = edd.edd_dp(arr, cand, floor, memory_limit, stop=lambda: budget.spent() or interrupt.requested())
    except MemoryError:  # the table is within memory_limit but the machine had less free
        stages.append({"method": "edd_dp", "status": "skipped", "note": "edd_dp: out of memory for its table"})
        return None
    if out is None:
        stages.append({"method": "edd_dp", "status": "stopped", "seconds": round(budget.elapsed() - t, 4)})
        return None
    value, order = out
    if not order:
        note = f"no schedule of the relaxation serves more than the incumbent's {floor}: it is optimal"
    elif is_feasible_order(instance, order):
        note = f"its schedule of {value} users passes the budget check: optimal"
    else:
        note = f"its schedule of {value} users fails the budget check: {value} is a bound only"
        order = []
    return Result.from_order(instance, order, "edd_dp", bound=value, wall_time=budget.elapsed() - t,
                             stats={"note": note})  # fmt: skip
