"""Exact solving: the scheduling MILPs of ``formulations/`` with HiGHS, and the LP bound.

``milp`` solves the chosen formulation with HiGHS through Pyomo's persistent appsi interface
(the model is loaded once; cuts are added incrementally). The spectrum budget is an outer
approximation by tangent cuts (``formulations.common``); after each solve the incumbent order
is judged exactly (:func:`partialopt.evaluate.is_feasible_order`). If it fails the budget,
tangents at its users' starts and latest starts are added and HiGHS resolves; an exactly
feasible incumbent is kept throughout (the warm start, or the failing order with users dropped
until it passes). The result is exact to the evaluator's tolerances (deadlines 1e-9 s,
budget 1e-9 relative): ``optimal`` means the incumbent meets the best proven bound.

Every bound reported is valid: each round's MILP relaxes the true problem (tangents lie below
``beta``), so HiGHS's dual bound of any round bounds the true optimum.
"""
from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.appsi.base import TerminationCondition as TC
from pyomo.contrib.appsi.solvers import Highs

from formulations.common import add_tangent_cut, moore_hodgson_bound

from .bandwidth import latest_starts
from .evaluate import Timeline, is_feasible_order, order_gaps
from .instance import Instance
from .result import Result

FORMULATION_NAMES = ("position", "arc")


def _formulation(name: str):
    import formulations

    if name not in formulations.FORMULATIONS:
        raise ValueError(f"formulation: unknown formulation {name!r} (choose from {FORMULATION_NAMES})")
    return formulations.FORMULATIONS[name]


def _warm_order(instance: Instance, warm_start: Any) -> list[int]:
    """A feasible order (user indices) from a method name, a Result, or an order."""
    from .solve import solve

    if warm_start is None or warm_start is False:
        return []
    if isinstance(warm_start, str):
        warm_start = solve(instance, method=warm_start)
    order = warm_start.order if isinstance(warm_start, Result) else list(warm_start)
    idx = [instance.user_index[u] if isinstance(u, str) else int(u) for u in order]
    if not is_feasible_order(instance, idx):
        raise ValueError("warm_start: the given schedule is infeasible")
    return idx


def _highs(time_limit: float, mip_gap: float, threads: int | None, verbose: bool) -> Highs:
    opt = Highs()
    opt.config.stream_solver = verbose
    opt.config.load_solution = False
    opt.config.mip_gap = mip_gap
    opt.config.time_limit = max(time_limit, 0.01)
    opts = {"mip_abs_gap": 1 - 1e-6, "random_seed": 0}
    if threads:
        opts["threads"] = int(threads)
    opt.highs_options = opts
    return opt


def milp(
    instance: Instance,
    formulation: str = "arc",
    time_limit: float = 60.0,
    mip_gap: float = 0.0,
    warm_start: Any = "greedy",
    threads: int | None = None,
    max_cut_rounds: int = 100,
    verbose: bool = False,
    customize: Callable[[pyo.ConcreteModel], None] | None = None,
) -> Result:
    """Proven optimum (or incumbent + bound + gap) of SPEC §4-5 by MILP.

    ``formulation``: ``"arc"`` (default: faster to prove optimality, benchmarks/README.md) or
    ``"position"``. ``time_limit``: seconds for all cut rounds
    together. ``mip_gap``: relative gap at which HiGHS may stop (0 = prove optimality; the
    objective is integral, so an absolute gap below 1 is always used). ``warm_start``: a method
    name, a Result or an order of user ids; its schedule is the first incumbent and a MIP start.
    ``customize``: ``fn(model)`` called on the built Pyomo model before solving, to add constraints
    of your own; the optimum is then the optimum of the restricted problem. Schedules found outside
    the MILP could break your constraints, so with ``customize`` the default warm start is off and
    only MILP solutions that pass the exact check become incumbents (an explicit ``warm_start``
    must satisfy your constraints).
    """
    form = _formulation(formulation)
    t0 = time.perf_counter()
    arr = instance.arrays
    if customize is not None and warm_start == "greedy":
        warm_start = None
    incumbent = _warm_order(instance, warm_start)
    model = form.build(instance)
    if customize is not None:
        customize(model)
    if incumbent:
        form.set_start(model, instance, incumbent)
    opt = _highs(time_limit, mip_gap, threads, verbose)
    opt.config.warmstart = bool(incumbent)
    bound = float(len(model.K))
    rounds = cuts = nodes = 0
    status = None
    while True:
        left = time_limit - (time.perf_counter() - t0)
        if left <= 0:
            status = "time_limit"
            break
        opt.config.time_limit = left
        res = opt.solve(model)
        rounds += 1
        nodes += max(0, int(opt._solver_model.getInfo().mip_node_count))
        tc = res.termination_condition
        if res.best_objective_bound is not None and np.isfinite(res.best_objective_bound):
            bound = min(bound, float(np.floor(res.best_objective_bound + 1e-6)))
        if tc not in (TC.optimal, TC.maxTimeLimit) or res.best_feasible_objective is None:
            status = "time_limit" if tc == TC.maxTimeLimit else "error"
            break
        res.solution_loader.load_vars()
        order = form.extract(model)
        if is_feasible_order(instance, order):
            if len(order) > len(incumbent):
                incumbent = order
            status = "time_limit" if tc == TC.maxTimeLimit else None
            break
        # the order breaks the budget: cut at its users' starts and latest starts, repair
        repaired = Timeline(arr, undo=False).push_all(order).order.tolist() if customize is None else []
        if len(repaired) > len(incumbent):
            incumbent = repaired
        users = np.array(order, dtype=np.int64)
        _, gap = order_gaps(arr, users)
        L = latest_starts(arr.T[users], arr.e[users], gap)
        added = 0
        for k, Lk in zip(order, L):
            added += add_tangent_cut(model, arr, k, float(pyo.value(model.s[k])))
            added += add_tangent_cut(model, arr, k, float(Lk))
        cuts += added
        if tc == TC.maxTimeLimit:
            status = "time_limit"
            break
        if added == 0 or rounds >= max_cut_rounds:
            status = "feasible"
            break
        form.set_start(model, instance, incumbent)
        opt.config.warmstart = True
    obj = len(incumbent)
    if status is None or obj >= bound:
        status = "optimal" if obj >= bound else "feasible"
    elif status == "error" and obj:
        status = "feasible"
    return Result.from_order(
        instance, incumbent, "milp", bound=bound, status=status,
        wall_time=time.perf_counter() - t0,
        stats={"formulation": formulation, "rounds": rounds, "cuts_added": cuts, "nodes": nodes,
               "candidates": len(model.K)},
    )


def lp_bound(instance: Instance, formulation: str = "position") -> Result:
    """A quick upper bound: the smaller of the formulation's LP relaxation (rounded down) and the
    Moore-Hodgson bound of ``formulations.common``. Returns an empty schedule with that bound."""
    t0 = time.perf_counter()
    form = _formulation(formulation)
    arr = instance.arrays
    mh = moore_hodgson_bound(arr, arr.servable())
    model = form.build(instance)
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(model)
    opt = Highs()
    opt.config.load_solution = False
    res = opt.solve(model)
    lp = float(res.best_objective_bound) if res.termination_condition == TC.optimal else float("inf")
    bound = float(min(mh, np.floor(lp + 1e-6)))
    return Result.from_order(instance, [], "lp_bound", bound=bound, status="feasible",
                             wall_time=time.perf_counter() - t0,
                             stats={"lp_relaxation": lp, "moore_hodgson": mh, "formulation": formulation})
