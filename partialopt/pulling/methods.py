"""Methods for the pulling model: ``ilp``, ``randomized_rounding``, ``most_popular``, ``no_sharing``
(the online method is :mod:`.online`). Each returns a :class:`PullingResult` whose objective is
the independent evaluator's total delay (:func:`.evaluate.evaluate_pulling`, the NLIP objective),
never the solver's number.

All solves use HiGHS through Pyomo's persistent ``appsi`` interface, as the scheduling MILP does.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.appsi.base import TerminationCondition as TC
from pyomo.contrib.appsi.solvers import Highs

from formulations import pulling as form

from .evaluate import PullingSolution, evaluate_pulling, pull_bytes
from .instance import PullingInstance


@dataclass
class PullingResult:
    """Same fields as the scheduling :class:`~partialopt.result.Result`, for a minimisation:
    ``objective`` = total delay (s) by the evaluator; ``bound`` = a proven lower bound or None;
    ``gap = (objective - bound) / objective``; ``status`` optimal / feasible / time_limit."""

    method: str
    status: str
    solution: PullingSolution
    objective: float
    bound: float | None = None
    gap: float | None = None
    wall_time: float = 0.0
    sharing: bool = True
    stats: dict[str, Any] = field(default_factory=dict)

    def is_feasible(self, inst: PullingInstance) -> bool:
        return evaluate_pulling(inst, self.solution, sharing=self.sharing).feasible

    def to_dict(self) -> dict:
        return {"schema": "partialopt/pulling-result@1", "method": self.method, "status": self.status,
                "objective": self.objective, "bound": self.bound, "gap": self.gap, "wall_time": self.wall_time,
                "sharing": self.sharing, **self.solution.to_dict(), "stats": self.stats}


def _gap(obj: float, bound: float | None) -> float | None:
    if bound is None:
        return None
    return 0.0 if obj <= 0 else max(0.0, (obj - bound) / obj)


def _result(inst: PullingInstance, method: str, sol: PullingSolution, t0: float, *, status: str = "feasible",
            bound: float | None = None, sharing: bool = True, stats: dict | None = None) -> PullingResult:
    ev = evaluate_pulling(inst, sol, sharing=sharing)
    if not ev.feasible:
        raise RuntimeError(f"{method} returned a solution the evaluator rejects ({ev.violations[0]}); this is a bug")
    return PullingResult(method, status, sol, ev.total, bound, _gap(ev.total, bound), time.perf_counter() - t0,
                         sharing, stats or {})


def _solve(model: pyo.ConcreteModel, time_limit: float = 60.0, mip_gap: float = 1e-9):
    opt = Highs()
    opt.config.load_solution = False
    opt.config.time_limit = max(time_limit, 0.01)
    opt.config.mip_gap = mip_gap
    opt.highs_options = {"random_seed": 0, "threads": 1}
    res = opt.solve(model)
    if res.best_feasible_objective is not None:
        res.solution_loader.load_vars()
    return res


def assign(inst: PullingInstance, placement: Mapping[str, Sequence[str]], sharing: bool = True) -> PullingSolution:
    """The least-delay assignment for a fixed placement: the ILP with ``x``, ``y`` fixed (an LP;
    always feasible because ``u`` may take every request to the data center)."""
    model = form.build(inst, sharing=sharing, fix=placement)
    res = _solve(model)
    if res.termination_condition != TC.optimal:
        raise RuntimeError(f"assignment LP: {res.termination_condition}")
    sol = form.extract(model)
    return PullingSolution({c: tuple(ms) for c, ms in placement.items()}, sol.assignment)


def ilp(inst: PullingInstance, time_limit: float = 60.0, mip_gap: float = 0.0, sharing: bool = True,
        integral_z: bool = False) -> PullingResult:
    """The ILP of :mod:`formulations.pulling` solved by HiGHS. ``status`` is ``optimal`` only when
    HiGHS proves it (relative gap <= ``mip_gap``); a time limit returns the incumbent, HiGHS's
    lower bound and the gap. ``sharing=False`` solves the system without parameter sharing."""
    t0 = time.perf_counter()
    model = form.build(inst, sharing=sharing, integral_z=integral_z)
    res = _solve(model, time_limit, max(mip_gap, 1e-9))
    bound = res.best_objective_bound
    bound = float(bound) if bound is not None and np.isfinite(bound) else None
    if res.best_feasible_objective is None:
        raise RuntimeError(f"ilp: HiGHS found no solution ({res.termination_condition}) within {time_limit} s")
    sol = form.extract(model)
    status = "optimal" if res.termination_condition == TC.optimal else (
        "time_limit" if res.termination_condition == TC.maxTimeLimit else "feasible")
    out = _result(inst, "ilp" if sharing else "ilp_no_sharing", sol, t0, status=status, bound=bound, sharing=sharing,
                  stats={"solver_objective": float(res.best_feasible_objective),
                         "termination": str(res.termination_condition)})
    if status == "optimal" and out.gap is not None and out.gap > 1e-6:
        out.status = "feasible"  # never claim optimality the bound does not show
    return out


def lp_relaxation(inst: PullingInstance, sharing: bool = True) -> tuple[float, np.ndarray, np.ndarray, float]:
    """``(value, x*, y*, pull*)`` of the LP relaxation (x, y in [0, 1]); ``value`` is a lower bound
    on the ILP optimum; ``pull*`` its pulling part. ``y*`` is empty without sharing."""
    model = form.build(inst, sharing=sharing, relax=True)
    res = _solve(model)
    if res.termination_condition != TC.optimal:
        raise RuntimeError(f"LP relaxation: {res.termination_condition}")
    C, M = len(inst.cloudlets), len(inst.models)
    def val(v) -> float:  # a y of a block no model uses appears in no row and keeps no value
        return float(pyo.value(v, exception=False) or 0.0)

    x = np.array([[val(model.x[c, k]) for k in range(M)] for c in range(C)])
    y = np.array([[val(model.y[c, j]) for j in range(len(inst.blocks))] for c in range(C)]) if sharing else np.zeros((C, 0))
    return float(res.best_feasible_objective), np.clip(x, 0, 1), np.clip(y, 0, 1), float(pyo.value(model.pull))


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

                def freed(k: int) -> float:
                    return held - pull_bytes(inst, [inst.models[i].id for i in chosen if i != k], sharing)

                chosen.remove(min(chosen, key=lambda k: (x[c, k], -freed(k), -k)))
                dropped += 1
            placement[cl.id] = tuple(inst.models[k].id for k in chosen)
        sol = assign(inst, placement, sharing)
        total = evaluate_pulling(inst, sol, sharing).total
        if best is None or total < best[0]:
            best = (total, sol, int(pick.sum()), dropped)
    _, sol, pulled, dropped = best
    stats = {"seed": seed, "samples": samples, "lp_value": lp, "lp_pull": lp_pull,
             "sharing_degree": sharing_degree(inst),
             "expected_pull_before_repair": expected_pull_before_repair(inst, x) if sharing else None,
             "pulled": pulled, "dropped_by_repair": dropped}
    return _result(inst, "randomized_rounding", sol, t0, bound=lp, sharing=sharing, stats=stats)


def most_popular(inst: PullingInstance, sharing: bool = True) -> PullingResult:
    """Baseline: at each cloudlet, pull models in decreasing local popularity
    ``sum_{r: o_r = c, m eligible for r} rho_r`` (ties: smaller model, then index) while they fit
    ``Q_c``; then assign optimally."""
    t0 = time.perf_counter()
    placement = {}
    for c, cl in enumerate(inst.cloudlets):
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


def no_sharing(inst: PullingInstance, time_limit: float = 60.0) -> PullingResult:
    """Baseline: the optimal placement of a system without parameter sharing (every model pulled
    and stored in full), judged in that system (``sharing=False``)."""
    res = ilp(inst, time_limit=time_limit, sharing=False)
    res.method = "no_sharing"
    return res


PULLING_METHODS = {"ilp": ilp, "randomized_rounding": randomized_rounding, "most_popular": most_popular,
                   "no_sharing": no_sharing}


def solve_pulling(inst: PullingInstance, method: str = "ilp", **options: Any) -> PullingResult:
    """Dispatch by name (``online_bandit`` lives in :mod:`.online`: it needs a workload)."""
    if method not in PULLING_METHODS:
        raise ValueError(f"method: unknown pulling method {method!r} (choose from {sorted(PULLING_METHODS)})")
    return PULLING_METHODS[method](inst, **options)
