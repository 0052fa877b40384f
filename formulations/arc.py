"""Successor (arc-based) MILP of SPEC §4-5 with start-time constraints.

Nodes: the depot 0 (the GPU's state at time 0, and the end of service) and the candidate users
``K``. ``a[i,j] = 1`` iff j is served right after i (``a[0,j]``: j first; ``a[i,0]``: i last).
Per user: ``x_k`` served, ``s_k`` inference start (``E_k`` model-ready time, pipelined only),
``F_k = s_k + e_k``, ``b_k`` bandwidth. Switch costs ``tL`` from SPEC §2, ``tL0`` from the
initial state, upload floor ``tmin_k = D_k / r_k(B_tol)``
(:meth:`ProblemArrays.start_floor`). Deadlines are the judge's ``T_k := T_tol,k = T_k (1 +
TIME_RTOL)`` and the budget ``B := B_tol`` (:mod:`partialopt.core.tolerances`), so the MILP
relaxes the judge and its bound is valid for every schedule the judge accepts. Times (``s``,
``E`` and every time constant) are in units of ``m.time_scale`` seconds
(:func:`formulations.common.time_scale`: 1 unless the shortest deadline is outside ``[1e-2, 1e3]`` s).

    max  sum_k x_k                                                        (obj)
    sum_{i in {0} u K} a[i,k] = x_k = sum_{j in {0} u K} a[k,j]           (flow_in, flow_out)
    sum_j a[0,j] <= 1                                                     (depot)
    sequential: s_j >= F_i + tL(m_i, m_j) - M_ij (1 - a[i,j]),  s_j >= tL0(m_j) a[0,j]   (ready)
    pipelined:  E_j >= E_i + tL(m_i, m_j) - M'_ij (1 - a[i,j]),  E_j >= tL0(m_j) a[0,j],
                s_j >= E_j,  s_j >= F_i - M''_ij (1 - a[i,j])
    F_k = s_k + e_k <= T_k,   s_k >= tmin_k                               (bounds of s_k)
    sum_k b_k <= B, tangent cuts of beta (formulations.common)            (budget, cuts)
    identical users k < k':  x_k >= x_k',  s_k' >= s_k + e_k - H (1 - x_k')     (sym)
    sum_{k: T_k <= d} (e_k x_k + load_k) <= d for every deadline level d    (knapsack)
       with load_k = tL0(m_k) a[0,k] + sum_i tL(m_i, m_k) a[i,k] (formulations.common)

Big-M from the instance: ``M_ij = T_i + tL_ij - tmin_j`` (``F_i <= T_i``, ``s_j >= tmin_j``),
``M'_ij = T_i - e_i + tL_ij`` (``E_i <= s_i <= T_i - e_i``), ``M''_ij = T_i - tmin_j``.
Subtours are impossible: along an arc the start strictly grows (``e > 0``).
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from partialopt.arrays import order_gaps
from partialopt.bandwidth import latest_starts
from partialopt.instance import Instance

from .common import (
    add_deadline_knapsacks,
    add_spectrum_budget,
    horizon,
    identical_groups,
    row,
    set_clamped,
    time_scale,
)

name = "arc"  # names the formulation in results (formulations.protocol)


def build(instance: Instance, symmetry: bool = True) -> pyo.ConcreteModel:
    """Build the arc-based model (no solver call)."""
    arr = instance.arrays
    cand = arr.servable().tolist()
    tau = time_scale(arr)  # every time below is in units of tau seconds
    H = horizon(arr) / tau
    tmin = dict(zip(cand, (arr.start_floor(np.array(cand, dtype=np.int64)) / tau).tolist()))
    tl = lambda i, j: float(arr.tL[arr.model[i], arr.model[j]]) / tau
    tl0 = lambda k: float(arr.tL0[arr.model[k]]) / tau
    e = lambda k: float(arr.e[k]) / tau
    T = lambda k: float(arr.T_tol[k]) / tau  # the judge's tolerant deadline

    m = pyo.ConcreteModel(name="partialopt_arc")
    m.formulation = "arc"
    m.K = pyo.Set(initialize=cand, ordered=True, doc="candidate users")
    m.V = pyo.Set(initialize=[0] + [k + 1 for k in cand], ordered=True, doc="nodes: depot 0, user k as k+1")
    m.A = pyo.Set(initialize=[(i, j) for i in m.V for j in m.V if i != j], dimen=2, doc="arcs")
    m.H = H
    m.time_scale = tau

    m.a = pyo.Var(m.A, domain=pyo.Binary, doc="a[i,j]: j served right after i (node ids)")
    m.x = pyo.Var(m.K, domain=pyo.Binary, doc="x_k: user k is served")
    m.s = pyo.Var(m.K, bounds=lambda _, k: (tmin[k], T(k) - e(k)), doc="s_k: inference start of user k")

    node = lambda k: k + 1
    m.obj = pyo.Objective(expr=sum(m.x[k] for k in m.K), sense=pyo.maximize, doc="served users")
    m.flow_in = pyo.Constraint(m.K, rule=lambda m, k: sum(m.a[i, node(k)] for i in m.V if i != node(k)) == m.x[k])
    m.flow_out = pyo.Constraint(m.K, rule=lambda m, k: sum(m.a[node(k), j] for j in m.V if j != node(k)) == m.x[k])
    m.depot = pyo.Constraint(rule=lambda m: row(sum(m.a[0, j] for j in m.V if j != 0) <= 1))

    pairs = [(i, j) for i in cand for j in cand if i != j]
    m.P = pyo.Set(initialize=pairs, dimen=2, doc="ordered user pairs")
    if arr.overlap == "sequential":
        m.ready = pyo.Constraint(
            m.P,
            rule=lambda m, i, j: (
                m.s[j] >= m.s[i] + e(i) + tl(i, j) - max(0.0, T(i) + tl(i, j) - tmin[j]) * (1 - m.a[node(i), node(j)])
            ),
        )
        m.first = pyo.Constraint(m.K, rule=lambda m, k: m.s[k] >= tl0(k) * m.a[0, node(k)])
    else:
        m.E = pyo.Var(m.K, bounds=lambda _, k: (0, T(k) - e(k)), doc="E_k: model ready for user k")
        m.ready_chain = pyo.Constraint(
            m.P,
            rule=lambda m, i, j: m.E[j] >= m.E[i] + tl(i, j) - (T(i) - e(i) + tl(i, j)) * (1 - m.a[node(i), node(j)]),
        )
        m.first = pyo.Constraint(m.K, rule=lambda m, k: m.E[k] >= tl0(k) * m.a[0, node(k)])
        m.ready = pyo.Constraint(m.K, rule=lambda m, k: m.s[k] >= m.E[k])
        m.after_prev = pyo.Constraint(
            m.P, rule=lambda m, i, j: m.s[j] >= m.s[i] + e(i) - max(0.0, T(i) - tmin[j]) * (1 - m.a[node(i), node(j)])
        )

    m.sym = pyo.ConstraintList(doc="identical users served in index order")
    if symmetry:
        for g in identical_groups(instance, np.array(cand)):
            for k, k2 in zip(g, g[1:]):
                m.sym.add(m.x[k] >= m.x[k2])
                m.sym.add(m.s[k2] >= m.s[k] + e(k) - H * (1 - m.x[k2]))
    load_into = {
        k: tl0(k) * m.a[0, node(k)] + sum(tl(i, k) * m.a[node(i), node(k)] for i in cand if i != k) for k in cand
    }
    add_deadline_knapsacks(m, arr, load_into)
    add_spectrum_budget(m, arr)
    return m


def extract(m: pyo.ConcreteModel) -> list[int]:
    """Served user indices in service order (follow the arcs from the depot)."""
    succ = {i: j for (i, j) in m.A if pyo.value(m.a[i, j]) > 0.5}
    order, cur = [], succ.get(0)
    while cur is not None and cur != 0 and len(order) <= len(m.K):
        order.append(cur - 1)
        cur = succ.get(cur)
    return order


def set_start(m: pyo.ConcreteModel, instance: Instance, order: list[int]) -> None:
    """Give every variable the values of a feasible ``order`` (for a MIP warm start)."""
    arr = instance.arrays
    order = [k for k in order if k in set(m.K)]
    users = np.array(order, dtype=np.int64)
    load, gap = order_gaps(arr, users)
    L = latest_starts(arr.T[users], arr.e[users], gap)
    for idx in m.a:
        m.a[idx].set_value(0)
    for k in m.K:
        m.x[k].set_value(0)
        set_clamped(m.s[k], m.s[k].lb)
        set_clamped(m.b[k], 0.0)
        if hasattr(m, "E"):
            set_clamped(m.E[k], 0.0)
    prev, E, tau = 0, 0.0, m.time_scale
    for i, k in enumerate(order):
        m.a[prev, k + 1].set_value(1)
        m.x[k].set_value(1)
        set_clamped(m.s[k], float(L[i]) / tau)
        set_clamped(m.b[k], float(arr.beta([k], [L[i]])[0]) / m.bw_scale)
        E += float(load[i])
        if hasattr(m, "E"):
            set_clamped(m.E[k], E / tau)
        prev = k + 1
    if order:
        m.a[prev, 0].set_value(1)
