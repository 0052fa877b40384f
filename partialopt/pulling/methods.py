"""Methods for the pulling model: ``ilp``, ``randomized_rounding``, ``most_popular``, ``no_sharing``
(the online method is :mod:`.online`). Each returns a :class:`PullingResult` whose objective is
the independent evaluator's total delay (:func:`.evaluate.evaluate_pulling`, the NLIP objective),
never the solver's number.

All solves go through the one HiGHS runner (:class:`partialopt.core.highs.HighsRunner`), as the
scheduling MILP does. ``ilp`` never fails silently: a time limit, an interrupt or a solver error
returns the best checked incumbent (at worst the always-feasible placement of nothing, every
request served by the data center) with a valid lower bound and the status; the LPs inside the
heuristics raise :class:`~partialopt.core.errors.SolverError` when HiGHS fails.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pyomo.environ as pyo

from formulations import pulling as form

from ..core import interrupt
from ..core.errors import InstanceError
from ..core.highs import MEMORY_LIMIT_MB, Budget, SizeEstimate, check_memory_limit, lp_value, solve_lp, solve_once
from ..core.result import ResultBase, gap
from ..core.status import Status
from ..core.validation import finite_number, flag
from .evaluate import PullingEvaluation, PullingSolution, evaluate_pulling, pull_bytes
from .instance import PullingInstance


@dataclass
class PullingResult(ResultBase):
    """The pulling family's result (a minimisation; the common part is :class:`ResultBase`):
    ``objective`` = total delay (s per frame) by the evaluator in the system the result is judged
    in (``sharing``: with parameter sharing, the real system; ``False`` only for ``ilp(sharing=False)``,
    which solves the system without sharing); ``bound`` = a proven lower bound or None;
    ``gap = (objective - bound) / objective``; ``status`` from the shared vocabulary."""

    method: str
    status: str
    solution: PullingSolution
    objective: float
    bound: float | None = None
    gap: float | None = None
    wall_time: float = 0.0
    sharing: bool = True
    stats: dict[str, Any] = field(default_factory=dict)

    SCHEMA: ClassVar[str] = "partialopt/pulling-result@1"
    SENSE: ClassVar[str] = "min"

    def evaluate(self, inst: PullingInstance) -> PullingEvaluation:
        """The independent judge's verdict (:func:`evaluate_pulling`) in this result's system."""
        return evaluate_pulling(inst, self.solution, sharing=self.sharing)

    def payload(self) -> dict[str, Any]:
        return {**self.common_payload(), "sharing": self.sharing, **self.solution.to_dict()}

    @classmethod
    def from_payload(cls, d: Mapping[str, Any]) -> PullingResult:
        kw = cls.common_fields(d, own=("sharing", "placement", "assignment"), required=("placement", "objective"))
        return cls(
            **kw,
            solution=_solution(d["placement"], d.get("assignment", [])),
            sharing=flag("sharing", d.get("sharing", True)),
        )


def _solution(placement: Any, assignment: Any) -> PullingSolution:
    """The JSON form of :meth:`PullingSolution.to_dict` back (field-named errors)."""
    if not isinstance(placement, Mapping):
        raise InstanceError(f"placement: expected an object cloudlet id -> model ids, got {type(placement).__name__}")
    place: dict[str, tuple[str, ...]] = {}
    for c, models in placement.items():
        if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
            raise InstanceError(f"placement[{c}]: expected a list of model ids, got {models!r}")
        place[str(c)] = tuple(models)
    if not isinstance(assignment, list):
        raise InstanceError(f"assignment: expected a list, got {type(assignment).__name__}")
    assign_: dict[tuple[str, str, str], float] = {}
    for i, row in enumerate(assignment):
        if not isinstance(row, Mapping) or set(row) != {"group", "cloudlet", "model", "fraction"}:
            raise InstanceError(f"assignment[{i}]: expected an object with group, cloudlet, model and fraction")
        assign_[(str(row["group"]), str(row["cloudlet"]), str(row["model"]))] = finite_number(
            f"assignment[{i}].fraction", row["fraction"]
        )
    return PullingSolution(place, assign_)


def _result(
    inst: PullingInstance,
    method: str,
    sol: PullingSolution,
    t0: float,
    *,
    status: str = "feasible",
    bound: float | None = None,
    sharing: bool = True,
    stats: dict | None = None,
) -> PullingResult:
    ev = evaluate_pulling(inst, sol, sharing=sharing)
    if not ev.feasible:
        raise RuntimeError(f"{method} returned a solution the evaluator rejects ({ev.violations[0]}); this is a bug")
    return PullingResult(
        method,
        status,
        sol,
        ev.total,
        bound,
        gap(ev.total, bound, "min"),
        time.perf_counter() - t0,
        sharing,
        stats or {},
    )


def trivial_solution(inst: PullingInstance) -> PullingSolution:
    """Nothing pulled, every request served by the data center: always feasible."""
    return PullingSolution({cl.id: () for cl in inst.cloudlets}, {})


def cheap_lower_bound(inst: PullingInstance) -> float:
    """``sum_r rho_r min(P_r, min_{eligible (c, m)} (D_r h_{o_r,c} + e_m))``: pulling costs >= 0 and
    each group pays at least its cheapest option."""
    total = 0.0
    for r, g in enumerate(inst.groups):
        best = g.penalty
        for k in inst.eligible[r]:
            for c in range(len(inst.cloudlets)):
                best = min(best, inst.unit_cost(r, c, k))
        total += g.demand * best
    return total


def assign(inst: PullingInstance, placement: Mapping[str, Sequence[str]], sharing: bool = True) -> PullingSolution:
    """The least-delay assignment for a fixed placement: the ILP with ``x``, ``y`` fixed (an LP;
    always feasible because ``u`` may take every request to the data center)."""
    model = form.build(inst, sharing=sharing, fix=placement)
    solve_lp(model, "assignment LP")
    sol = form.extract(model)
    return PullingSolution({c: tuple(ms) for c, ms in placement.items()}, sol.assignment)


def estimate_size(inst: PullingInstance, sharing: bool = True) -> SizeEstimate:
    """Nonzeros of :mod:`formulations.pulling`'s matrix, counted from the instance: block
    presence ``2 C sum_m |J_m|`` and storage ``C J`` (or ``C M`` without sharing), and per
    eligible triple (r, c, m) one entry in each of compute, serve-only-placed (two) and assign."""
    C = len(inst.cloudlets)
    E = C * sum(len(e) for e in inst.eligible)
    memberships = sum(len(J) for J in inst.model_blocks)
    nnz = (2 * C * memberships + C * len(inst.blocks)) if sharing else C * len(inst.models)
    return SizeEstimate(int(nnz + 4 * E + len(inst.groups)))


def ilp(
    inst: PullingInstance,
    time_limit: float = 60.0,
    mip_gap: float = 0.0,
    sharing: bool = True,
    integral_z: bool = False,
    threads: int | None = None,
    memory_limit: float = MEMORY_LIMIT_MB,
) -> PullingResult:
    """The ILP of :mod:`formulations.pulling` solved by HiGHS. ``status`` is ``optimal`` only when
    HiGHS proves it (relative gap <= ``mip_gap``, and the evaluator's objective meets the bound);
    a time limit (model building included), an interrupt or a solver error returns the best
    checked incumbent (at worst :func:`trivial_solution`), a valid lower bound (HiGHS's, or
    :func:`cheap_lower_bound`) and the status; HiGHS's own status is ``stats["termination"]``.
    A dual bound above the incumbent's checked delay is not believed: the model is solved again
    without presolve, and if that disagrees too the status is ``error``. ``sharing=False`` solves
    the system without parameter sharing. ``memory_limit`` (MB) and the time left are checked
    against the model's estimated size before it is built (:func:`estimate_size`); a model that
    would not fit is not built (status ``time_limit``).

    Parameters
    ----------
    inst : PullingInstance
        The pulling instance.
    time_limit : float
        Seconds, model building included.
    mip_gap : float
        Relative gap at which HiGHS may stop (0 proves optimality).
    sharing : bool
        False solves the system without parameter sharing (every model pulled in full).
    integral_z : bool
        Serve each request group wholly from one model (binary ``z``, ``u``).
    threads : int or None
        HiGHS threads (None: 1).
    memory_limit : float
        MB the model may take, estimated before building.
    """
    budget = Budget(time_limit)
    check_memory_limit(memory_limit)
    name = "ilp" if sharing else "ilp_no_sharing"
    with interrupt.interruptible():
        best = trivial_solution(inst)
        bound = cheap_lower_bound(inst)
        stats: dict[str, Any] = {"termination": None, "cheap_bound": bound}

        def done(status: Status, **extra: Any) -> PullingResult:
            stats.update(extra)
            out = _result(inst, name, best, budget.t0, status=str(status), bound=bound, sharing=sharing, stats=stats)
            if out.status == Status.OPTIMAL and out.gap is not None and out.gap > max(mip_gap, 1e-6):
                out.status = str(Status.FEASIBLE)  # never claim optimality the bound does not show
            return out

        why = estimate_size(inst, sharing).refusal(budget, memory_limit)
        if why:
            return done(Status.TIME_LIMIT, limit=f"model not built: {why}")
        model = form.build(inst, sharing=sharing, integral_z=integral_z)
        if budget.check_build():
            return done(Status.TIME_LIMIT, limit="model building used up time_limit")
        presolve = True
        while True:
            rep = solve_once(model, budget.left(), max(mip_gap, 1e-9), threads, presolve)
            stats["termination"] = rep.termination
            if rep.has_solution:
                sol = form.extract(model)
                if evaluate_pulling(inst, sol, sharing=sharing).feasible:
                    best = sol
                    stats["solver_objective"] = rep.objective
            checked = evaluate_pulling(inst, best, sharing=sharing).total
            if rep.bound is not None and rep.status != Status.ERROR and rep.bound > checked * (1 + 1e-6) + 1e-9:
                reason = f"HiGHS's bound {rep.bound:.9g} is above a checked solution's delay {checked:.9g}"
                if presolve:
                    presolve = False
                    stats["resolved_without_presolve"] = reason
                    continue
                return done(Status.ERROR, error=reason + " (also without presolve)")
            if rep.bound is not None and rep.status != Status.ERROR:
                bound = max(bound, rep.bound)
            if rep.status == Status.INFEASIBLE:  # the trivial solution is feasible: HiGHS is wrong
                return done(Status.ERROR, error=f"HiGHS says infeasible ({rep.termination})")
            if rep.status == Status.ERROR:
                return done(Status.ERROR, error=rep.error)
            if rep.status == Status.TIME_LIMIT:
                return done(rep.status, limit="time_limit")
            return done(rep.status)


def lp_relaxation(inst: PullingInstance, sharing: bool = True) -> tuple[float, np.ndarray, np.ndarray, float]:
    """``(value, x*, y*, pull*)`` of the LP relaxation (x, y in [0, 1]); ``value`` is a lower bound
    on the ILP optimum; ``pull*`` its pulling part. ``y*`` is empty without sharing."""
    model = form.build(inst, sharing=sharing, relax=True)
    value = lp_value(model, "LP relaxation")
    C, M = len(inst.cloudlets), len(inst.models)

    def val(v) -> float:  # a y of a block no model uses appears in no row and keeps no value
        return float(pyo.value(v, exception=False) or 0.0)

    x = np.array([[val(model.x[c, k]) for k in range(M)] for c in range(C)])
    y = (
        np.array([[val(model.y[c, j]) for j in range(len(inst.blocks))] for c in range(C)])
        if sharing
        else np.zeros((C, 0))
    )
    return value, np.clip(x, 0, 1), np.clip(y, 0, 1), float(pyo.value(model.pull))


def sharing_degree(inst: PullingInstance) -> int:
    """``d`` = the most models any one block belongs to."""
    count = np.zeros(len(inst.blocks), dtype=int)
    for J in inst.model_blocks:
        count[J] += 1
    return int(count.max()) if len(count) else 0


def expected_pull_before_repair(inst: PullingInstance, x: np.ndarray) -> float:
    """``E[pull]`` of independent rounding ``Pr[x_{c,m} = 1] = x*_{c,m}``:
    ``sum_c sum_j s_j / W_c (1 - prod_{m ni j} (1 - x*_{c,m}))``."""
    total = 0.0
    for c, cl in enumerate(inst.cloudlets):
        miss = np.ones(len(inst.blocks))
        for k, J in enumerate(inst.model_blocks):
            miss[J] *= 1.0 - x[c, k]
        total += float((inst.sizes * (1.0 - miss)).sum()) / cl.pull_rate
    return total


def randomized_rounding(inst: PullingInstance, seed: int = 0, sharing: bool = True, samples: int = 1) -> PullingResult:
    """Round the LP relaxation, repair, re-assign; keep the best of ``samples`` roundings.

    1. Solve the LP relaxation: value ``LP`` (a lower bound on the optimum), placement ``x*``.
    2. Pull model m to cloudlet c with probability ``x*_{c,m}``, independently (seeded).
    3. Repair storage: while cloudlet c holds more than ``Q_c``, drop its model with the smallest
       ``x*_{c,m}`` (ties: the one freeing the most bytes, then the later index). Dropping only
       removes blocks, so this ends, at worst with nothing placed.
    4. Assign optimally for that placement (:func:`assign`): compute ``F_c`` holds there, since the
       LP may send any request to the data center. The result is always feasible.

    What is proven (``stats`` reports each quantity): the objective is >= the ILP optimum >= ``LP``
    (``bound``), so ``gap`` bounds the distance to the optimum. Before repair,
    ``E[pull] = sum_c sum_j s_j/W_c (1 - prod_{m ni j}(1 - x*_{c,m})) <= d * pull(LP)``, with ``d``
    the most models sharing one block, because ``1 - prod(1 - x_m) <= sum_m x_m <= d max_m x_m
    <= d y*_{c,j}``. Repair and re-assignment can raise the serving part without a bound we can
    prove, so the ratio to the ILP is measured (``benchmarks/pulling.py``), not claimed.

    Parameters
    ----------
    inst : PullingInstance
        The pulling instance.
    seed : int
        Seed of the rounding draws.
    sharing : bool
        False rounds the system without parameter sharing.
    samples : int
        Roundings drawn; the best is kept.
    """
    if samples < 1:
        raise ValueError(f"samples: must be >= 1, got {samples}")
    t0 = time.perf_counter()
    lp, x, _y, lp_pull = lp_relaxation(inst, sharing)
    rng = np.random.default_rng(seed)
    best: tuple[float, PullingSolution, int, int] | None = None
    for _ in range(samples):
        pick = rng.random(x.shape) < x
        placement: dict[str, tuple[str, ...]] = {}
        dropped = 0
        for c, cl in enumerate(inst.cloudlets):
            chosen = [k for k in range(len(inst.models)) if pick[c, k]]
            while chosen and pull_bytes(inst, [inst.models[k].id for k in chosen], sharing) > cl.storage:
                held = pull_bytes(inst, [inst.models[i].id for i in chosen], sharing)

                def freed(k: int, held: float = held, chosen: list[int] = chosen) -> float:
                    return held - pull_bytes(inst, [inst.models[i].id for i in chosen if i != k], sharing)

                chosen.remove(min(chosen, key=lambda k: (x[c, k], -freed(k), -k)))
                dropped += 1
            placement[cl.id] = tuple(inst.models[k].id for k in chosen)
        sol = assign(inst, placement, sharing)
        total = evaluate_pulling(inst, sol, sharing).total
        if best is None or total < best[0]:
            best = (total, sol, int(pick.sum()), dropped)
    assert best is not None  # samples >= 1
    _, sol, pulled, dropped = best
    stats = {
        "seed": seed,
        "samples": samples,
        "lp_value": lp,
        "lp_pull": lp_pull,
        "sharing_degree": sharing_degree(inst),
        "expected_pull_before_repair": expected_pull_before_repair(inst, x) if sharing else None,
        "pulled": pulled,
        "dropped_by_repair": dropped,
    }
    return _result(inst, "randomized_rounding", sol, t0, bound=lp, sharing=sharing, stats=stats)


def most_popular(inst: PullingInstance, sharing: bool = True) -> PullingResult:
    """Baseline: at each cloudlet, pull models in decreasing local popularity
    ``sum_{r: o_r = c, m eligible for r} rho_r`` (ties: smaller model, then index) while they fit
    ``Q_c``; then assign optimally.

    Parameters
    ----------
    inst : PullingInstance
        The pulling instance.
    sharing : bool
        False places in the system without parameter sharing.
    """
    t0 = time.perf_counter()
    placement = {}
    for cl in inst.cloudlets:
        pop = np.zeros(len(inst.models))
        for r, g in enumerate(inst.groups):
            if g.origin == cl.id:
                for k in inst.eligible[r]:
                    pop[k] += g.demand
        chosen: list[str] = []
        for k in sorted(range(len(inst.models)), key=lambda k: (-pop[k], inst.model_sizes[k], k)):
            if pop[k] <= 0:
                break
            if pull_bytes(inst, chosen + [inst.models[k].id], sharing) <= cl.storage:
                chosen.append(inst.models[k].id)
        placement[cl.id] = tuple(chosen)
    return _result(inst, "most_popular", assign(inst, placement, sharing), t0, sharing=sharing)


def no_sharing(
    inst: PullingInstance, time_limit: float = 60.0, threads: int | None = None, memory_limit: float = MEMORY_LIMIT_MB
) -> PullingResult:
    """Baseline: the optimal placement of a system without parameter sharing (every model pulled
    and stored in full), reported on the real system (with sharing), like the scheduling family's
    ``no_sharing``: ``objective`` is that placement's delay when blocks are shared, and
    ``stats["delay_without_sharing"]`` its delay in the system without sharing (the baseline's
    own optimum when ``stats["status_without_sharing"]`` is ``optimal``). Status ``feasible`` (no
    bound on the real problem), unless the solve without sharing stopped early (its status).

    Parameters
    ----------
    inst : PullingInstance
        The pulling instance.
    time_limit : float
        Seconds for the solve without sharing.
    threads : int or None
        HiGHS threads (None: 1).
    memory_limit : float
        MB the model may take, estimated before building.
    """
    alone = ilp(inst, time_limit=time_limit, sharing=False, threads=threads, memory_limit=memory_limit)
    stats = {
        **alone.stats,
        "delay_without_sharing": alone.objective,
        "status_without_sharing": alone.status,
        "bound_without_sharing": alone.bound,
    }
    status = Status.FEASIBLE if alone.status in (Status.OPTIMAL, Status.FEASIBLE) else alone.status
    res = _result(
        inst, "no_sharing", alone.solution, time.perf_counter() - alone.wall_time, status=str(status), stats=stats
    )
    return res


PULLING_METHODS = {
    "ilp": ilp,
    "randomized_rounding": randomized_rounding,
    "most_popular": most_popular,
    "no_sharing": no_sharing,
}


def solve_pulling(inst: PullingInstance, method: str = "ilp", **options: Any) -> PullingResult:
    """Alias of :func:`partialopt.solve` for the pulling family (``online_bandit`` lives in
    :mod:`.online`: it needs a workload)."""
    from ..solve import solve

    return solve(inst, method, **options)
