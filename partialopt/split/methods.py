"""Methods of the ``split`` variant: ``split_ilp`` (exact, the ILP of :mod:`formulations.split` solved
by the shared HiGHS runner), ``split_lp_sampling`` (the authors' randomized algorithm: sample from
the LP relaxation, repair compute) and ``exhaustive_split`` (enumeration, tiny instances only).
Every returned choice is re-checked by :func:`.evaluate.evaluate_split`; ``objective`` is the
evaluator's total delay, never the solver's number. The online method is :mod:`.online`.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pyomo.environ as pyo

from formulations import split as form

from ..core import interrupt
from ..core.errors import InstanceError
from ..core.highs import MEMORY_LIMIT_MB, Budget, SizeEstimate, check_memory_limit, lp_value, solve_once
from ..core.result import ResultBase, gap
from ..core.status import Status
from ..core.validation import flag
from .evaluate import SplitEvaluation, evaluate_split
from .instance import DC, SplitInstance


@dataclass
class SplitResult(ResultBase):
    """The split family's result (a minimisation; the common part is :class:`ResultBase`):
    ``choice``: request id -> ``(model, shareable source, specific source)``; ``objective``: the
    evaluator's total delay (s) in the system judged (``sharing``: with common knowledge, or not
    for ``split_ilp(sharing=False)``); ``bound``: a proven lower bound or None; ``gap``:
    ``(objective - bound) / objective``; ``status`` from the one vocabulary
    (:class:`~partialopt.core.status.Status`); ``stats["termination"]``: HiGHS's own."""

    method: str
    status: str
    choice: dict[str, tuple[str, str, str]]  # request -> (model, shareable source, specific source)
    objective: float
    bound: float | None = None
    gap: float | None = None
    wall_time: float = 0.0
    sharing: bool = True
    stats: dict[str, Any] = field(default_factory=dict)

    SCHEMA: ClassVar[str] = "partialopt/split-result@1"
    SENSE: ClassVar[str] = "min"

    def __post_init__(self) -> None:
        if self.gap is None and self.bound is not None:
            self.gap = gap(self.objective, self.bound, "min")

    def evaluate(self, inst: SplitInstance) -> SplitEvaluation:
        """The independent judge's verdict (:func:`evaluate_split`) in this result's system."""
        return evaluate_split(inst, self.choice, self.sharing)

    def payload(self) -> dict[str, Any]:
        choice = {r: list(c) for r, c in self.choice.items()}
        return {**self.common_payload(), "sharing": self.sharing, "choice": choice}

    @classmethod
    def from_payload(cls, d: Mapping[str, Any]) -> SplitResult:
        kw = cls.common_fields(d, own=("sharing", "choice"), required=("choice", "objective"))
        choice = d["choice"]
        if not isinstance(choice, Mapping):
            raise InstanceError(
                f"choice: expected an object request id -> [model, source, source], got {type(choice).__name__}"
            )
        parsed: dict[str, tuple[str, str, str]] = {}
        for r, c in choice.items():
            if not (isinstance(c, list) and len(c) == 3 and all(isinstance(x, str) for x in c)):
                raise InstanceError(f"choice[{r}]: expected [model, shareable source, specific source], got {c!r}")
            parsed[str(r)] = (c[0], c[1], c[2])
        return cls(**kw, choice=parsed, sharing=flag("sharing", d.get("sharing", True)))


def split_ilp(
    inst: SplitInstance,
    time_limit: float = 60.0,
    sharing: bool = True,
    threads: int | None = None,
    memory_limit: float = MEMORY_LIMIT_MB,
) -> SplitResult:
    """Exact: one binary per (request, option), one option each, compute per cloudlet.
    ``sharing=False`` solves the system without common knowledge (the baseline).

    A time limit (model building included), an interrupt or a solver error returns the best
    checked choice (at worst every request on the data-center fallback, always feasible), a valid
    lower bound (HiGHS's, or ``sum_q min_o delay_{q,o}``: the problem without compute limits)
    and the status; ``stats["termination"]`` is HiGHS's own status.

    Parameters
    ----------
    inst : SplitInstance
        The split instance.
    time_limit : float
        Seconds, model building included.
    sharing : bool
        False: no common knowledge (the shareable part only from cloudlets holding the model).
    threads : int or None
        HiGHS threads (None: 1).
    memory_limit : float
        MB the model may take, estimated before building.
    """
    budget = Budget(time_limit)
    check_memory_limit(memory_limit)
    name = "split_ilp" if sharing else "split_ilp_no_sharing"
    with interrupt.interruptible():
        opts = [inst.options(q, sharing) for q in range(len(inst.requests))]
        best = {r.id: (DC, DC, DC) for r in inst.requests}
        bound = float(sum(min(o[3] for o in opts[q]) for q in range(len(opts))))
        n_options = sum(len(o) for o in opts)
        stats: dict[str, Any] = {"options": n_options, "termination": None, "cheap_bound": bound}

        def done(status: Status, **extra: Any) -> SplitResult:
            stats.update(extra)
            total, viol = evaluate_split(inst, best, sharing)
            if viol:
                raise RuntimeError(f"{name} returned a choice the evaluator rejects ({viol[0]}); a bug")
            if status == Status.OPTIMAL and total > bound * (1 + 1e-6) + 1e-9:
                status = Status.FEASIBLE  # never claim optimality the bound does not show
            return SplitResult(
                name, str(status), best, total, bound=bound, wall_time=budget.elapsed(), sharing=sharing, stats=stats
            )

        why = SizeEstimate(3 * n_options).refusal(budget, memory_limit)  # objective, choose-one, compute
        if why:
            return done(Status.TIME_LIMIT, limit=f"model not built: {why}")
        m = form.build(inst, relax=False, sharing=sharing)
        opts = m.options
        if budget.check_build():
            return done(Status.TIME_LIMIT, limit="model building used up time_limit")
        rep = solve_once(m, budget.left(), 1e-9, threads)
        stats["termination"] = rep.termination
        if rep.has_solution:
            choice = form.extract(m)
            if len(choice) == len(inst.requests) and not evaluate_split(inst, choice, sharing)[1]:
                best = choice
                stats["solver_objective"] = rep.objective
        if rep.status == Status.ERROR or rep.status == Status.INFEASIBLE:
            return done(Status.ERROR, error=rep.error or f"HiGHS says infeasible ({rep.termination})")
        if rep.bound is not None:
            checked = evaluate_split(inst, best, sharing)[0]
            if rep.bound > checked * (1 + 1e-6) + 1e-9:
                return done(
                    Status.ERROR, error=f"HiGHS's bound {rep.bound:.9g} is above a checked choice's delay {checked:.9g}"
                )
            bound = max(bound, rep.bound)
        if rep.status == Status.TIME_LIMIT:
            return done(rep.status, limit="time_limit")
        return done(rep.status)


def split_lp_sampling(inst: SplitInstance, seed: int = 0) -> SplitResult:
    """Sample each request's option from the LP relaxation's ``w`` (seeded); repair ``F_c`` by
    moving the requests with the longest inference at an overloaded cloudlet to the data center.
    Always feasible (the fallback has no budget or compute use); ``bound`` = the LP value.

    Parameters
    ----------
    inst : SplitInstance
        The split instance.
    seed : int
        Seed of the sampling.
    """
    t0 = time.perf_counter()
    m = form.build(inst, relax=True)
    opts = m.options
    lp = lp_value(m, "split LP relaxation")
    rng = np.random.default_rng(seed)
    choice = {}
    for q, r in enumerate(inst.requests):
        p = np.array([max(0.0, pyo.value(m.w[q, o]) or 0.0) for o in range(len(opts[q]))])
        o = int(rng.choice(len(p), p=p / p.sum()))
        choice[r.id] = opts[q][o][:3]
    e = {mm.id: mm.inference_time for mm in inst.models}
    for c in inst.cloudlets:
        here = sorted(
            (r.id for r in inst.requests if r.home == c.id and choice[r.id][0] != DC),
            key=lambda rid: (-e[choice[rid][0]], rid),
        )
        load = sum(e[choice[rid][0]] for rid in here)
        for rid in here:
            if load <= c.compute * (1 + 1e-12):
                break
            load -= e[choice[rid][0]]
            choice[rid] = (DC, DC, DC)
    total, viol = evaluate_split(inst, choice)
    if viol:
        raise RuntimeError(f"split_lp_sampling returned a choice the evaluator rejects ({viol[0]}); a bug")
    return SplitResult(
        "split_lp_sampling",
        "feasible",
        choice,
        total,
        bound=lp,
        wall_time=time.perf_counter() - t0,
        stats={"seed": seed},
    )


def exhaustive_split(inst: SplitInstance) -> float:
    """Least total delay by enumerating every combination of options (tiny instances only)."""
    opts = [inst.options(q) for q in range(len(inst.requests))]
    e = {m.id: m.inference_time for m in inst.models}
    best = np.inf
    for combo in itertools.product(*opts):
        load: dict[str, float] = {}
        for r, o in zip(inst.requests, combo):
            if o[0] != DC:
                load[r.home] = load.get(r.home, 0.0) + e[o[0]]
        if all(load.get(c.id, 0.0) <= c.compute * (1 + 1e-12) for c in inst.cloudlets):
            best = min(best, sum(o[3] for o in combo))
    return best


__all__ = ["SplitResult", "split_ilp", "split_lp_sampling", "exhaustive_split"]
