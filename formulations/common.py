"""Pieces shared by the scheduling formulations: instance-derived constants, the spectrum budget
with tangent cuts of ``beta`` (SPEC §5), symmetry groups, and a cheap upper bound.

Spectrum budget. For every candidate user k the model holds its start ``s_k``, served flag
``x_k`` and bandwidth ``b_k >= 0`` with ``sum_k b_k <= B`` (``budget``) and
``b_k >= beta_k(T_k - e_k) x_k`` (``b_floor``: strong in the LP relaxation). The exact constraint
``b_k >= beta_k(s_k)`` (convex, decreasing) is replaced by tangent cuts at points ``t0``::

    b_k >= beta_k(t0) + beta_k'(t0) (s_k - t0) - C_k(t0) (1 - x_k)        (cut)

with ``C_k(t0)`` = the tangent's value at the smallest admissible start ``s_k = floor_k``
(:meth:`ProblemArrays.start_floor`; on ``[floor, inf)`` beta's slope is finite), so the
cut is void when k is not served. Tangents lie below the convex ``beta``, so every cut is valid
and the MILP is an outer approximation: its optimum is an upper bound, and it is exact as soon
as the incumbent passes the exact check (the runner adds cuts until it does).

Tolerances. The bound must relax the judge (:mod:`partialopt.core.tolerances`), so every row
that bounds uses the judge's tolerant values: deadlines ``T_tol = T (1 + TIME_RTOL)`` (in
``s_k <= T_tol,k - e_k``, the big-Ms, the knapsacks, the horizon), the budget
``B_tol = B (1 + BW_RTOL)``, the candidates :meth:`ProblemArrays.servable` and start floors
:meth:`ProblemArrays.start_floor` (with ``B_tol``). A row whose sum is empty (no candidate
user) is skipped (:func:`row`), never handed to Pyomo as a constant Boolean.
"""

from __future__ import annotations

from itertools import groupby

import numpy as np
import pyomo.environ as pyo

from partialopt.arrays import ProblemArrays, moore_hodgson_bound  # noqa: F401  (re-exported)
from partialopt.core.tolerances import ties
from partialopt.instance import Instance


def row(expr):
    """A constraint rule's value: ``expr`` itself, or ``Constraint.Feasible`` / ``Infeasible``
    when it reduced to a constant Boolean (an empty sum, e.g. no candidate user), which Pyomo
    refuses ("trivial Boolean")."""
    if isinstance(expr, (bool, np.bool_)):
        return pyo.Constraint.Feasible if expr else pyo.Constraint.Infeasible
    return expr


def time_scale(arr: ProblemArrays) -> float:
    """Seconds per model time unit, ``tau``: the time variables (``s``, ``S``, ``F``, ``E``) and
    time constants of a formulation are in units of ``tau`` so that HiGHS's absolute tolerances
    (1e-7 on rows and bounds) stay small against the instance's times. With ``d`` the shortest
    tolerant deadline ``min_k T_tol,k`` (the tightest times must stay resolved): ``tau = 1`` when
    ``d`` lies in ``[1e-2, 1e3]`` s (models in seconds, as usual), else the power of ten nearest
    ``d`` (inference times of nanoseconds, all deadlines 1e9 s). Deadlines spread over many
    decades (0.1 s beside 1e9 s) stay ill-conditioned whatever tau. Read a start in seconds with
    :func:`seconds`."""
    d = float(arr.T_tol.min())
    if 1e-2 <= d <= 1e3:
        return 1.0
    return float(10.0 ** round(np.log10(d)))


def seconds(m: pyo.ConcreteModel, var) -> float:
    """Value of a time variable of ``m`` (e.g. ``m.s[k]``) in seconds."""
    return float(pyo.value(var)) * m.time_scale


def horizon(arr: ProblemArrays) -> float:
    """``H = max_k T_tol,k``: no user the judge serves finishes later (the base of every big-M)."""
    return float(arr.T_tol.max())


def identical_groups(instance: Instance, users: np.ndarray) -> list[list[int]]:
    """Groups (size >= 2) of users with the same model, data, deadline and channel: any schedule
    can relabel them, so the formulations serve them in index order (symmetry breaking)."""

    def key(k: int):
        u = instance.users[k]
        return (u.model, u.data_bits, u.deadline, u.power, u.gain, u.snr)

    ordered = sorted((int(k) for k in users), key=lambda k: (key(k), k))
    groups = [list(g) for _, g in groupby(ordered, key=key)]
    return [g for g in groups if len(g) > 1]


def add_spectrum_budget(m: pyo.ConcreteModel, arr: ProblemArrays, n_initial_cuts: int = 3) -> None:
    """Add ``b_k``, the budget ``sum_k b_k <= B_tol`` and an initial set of tangent cuts per user.

    Needs ``m.K`` (candidate users), ``m.x[k]``, ``m.s[k]`` (in units of ``m.time_scale``) on
    ``m``. Bandwidth is scaled to MHz inside the model (``b_k`` in MHz) to keep the LP well
    conditioned."""
    m.bw_scale = 1e6
    m.b = pyo.Var(m.K, domain=pyo.NonNegativeReals, doc="b_k: uplink bandwidth of user k (MHz)")
    m.budget = pyo.Constraint(
        rule=lambda m: row(sum(m.b[k] for k in m.K) <= arr.B_tol / m.bw_scale),
        doc="sum_k b_k <= B_tol (SPEC §3, the judge's tolerant budget)",
    )
    hi = {k: float(arr.T_tol[k] - arr.e[k]) for k in m.K}
    m.b_floor = pyo.Constraint(
        m.K,
        rule=lambda m, k: m.b[k] >= float(arr.beta([k], [hi[k]])[0]) / m.bw_scale * m.x[k],
        doc="b_k >= beta_k(T_tol,k - e_k) x_k: a served user starts by T_tol,k - e_k, beta decreases",
    )
    m.cuts = pyo.ConstraintList(doc="tangent cuts b_k >= beta_k(t0) + beta_k'(t0)(s_k - t0) - C(1 - x_k)")
    m.cut_points = {}
    for k in m.K:
        lo = float(m.s[k].lb) * m.time_scale
        for t0 in lo + (hi[k] - lo) * np.linspace(1.0, 0.2, n_initial_cuts):
            add_tangent_cut(m, arr, k, float(t0))


def add_tangent_cut(m: pyo.ConcreteModel, arr: ProblemArrays, k: int, t0: float) -> bool:
    """Add the tangent of ``beta_k`` at ``t0`` (seconds; moved just right of the start floor
    ``lo`` if not above it; skipped if outside beta's domain or within ``TIE_RTOL`` of a point
    already cut). ``s_k`` is in units of ``m.time_scale``. Returns whether a cut was added."""
    tau = m.time_scale
    lo, hi = float(m.s[k].lb) * tau, float(m.s[k].ub) * tau
    if not t0 > lo:
        t0 = lo + 1e-6 * max(lo, hi - lo)
    pts = m.cut_points.setdefault(k, [])
    if any(ties(t0, p) for p in pts):
        return False
    val = float(arr.beta([k], [t0])[0])
    slope = float(arr.beta_slope([k], [t0])[0])
    if not (np.isfinite(val) and np.isfinite(slope)):
        return False
    C = val + slope * (lo - t0)  # tangent value at the smallest admissible start
    sc = m.bw_scale
    m.cuts.add(m.b[k] >= (val + slope * (tau * m.s[k] - t0)) / sc - (C / sc) * (1 - m.x[k]))
    pts.append(t0)
    return True


def add_deadline_knapsacks(m: pyo.ConcreteModel, arr: ProblemArrays, load_into: dict | None = None) -> None:
    """Valid inequalities that give the LP relaxation a real bound. For every deadline level
    ``d`` (each distinct ``T_tol,k``), the users due by d that are served run their inferences,
    and the switches into them, before d::

        sequential: sum_{k: T_k <= d} (e_k x_k + load_into_k) <= d        (knapsack[d])
        pipelined:  sum_{k: T_k <= d} e_k x_k <= d,  sum_{k: T_k <= d} load_into_k <= d

    In the sequential timeline those intervals are disjoint sub-intervals of ``[0, d]``; in the
    pipelined one inferences are sequential on the GPU and loads on the copy engine.
    ``load_into[k]``: an expression for the switch cost paid right before k (None: e only), in
    units of ``m.time_scale`` like the rows.
    """
    m.knapsack = pyo.ConstraintList(doc="deadline knapsacks: sum_{T_k <= d} (e_k x_k + load_k) <= d")
    tau = m.time_scale
    users = sorted(m.K, key=lambda k: arr.T_tol[k])
    levels = sorted({float(arr.T_tol[k]) for k in users})
    for d_s in levels:
        d = d_s / tau
        due = [k for k in users if arr.T_tol[k] <= d_s]
        work = sum(float(arr.e[k]) / tau * m.x[k] for k in due)
        loads = sum(load_into[k] for k in due) if load_into is not None else 0.0
        if load_into is None or arr.overlap == "pipelined":
            m.knapsack.add(work <= d)
            if load_into is not None:
                m.knapsack.add(loads <= d)
        else:
            m.knapsack.add(work + loads <= d)


def set_clamped(var, value: float) -> None:
    """Set a warm-start value, clamped into the variable's bounds (rounding can put a latest
    start one ulp past ``T_k - e_k``)."""
    lb, ub = var.lb, var.ub
    if lb is not None:
        value = max(value, lb)
    if ub is not None:
        value = min(value, ub)
    var.set_value(value)
