"""Position-based MILP of SPEC §4-5 with block-loading variables.

Sets: candidate users ``K`` (:meth:`ProblemArrays.servable`), positions
``N = 1..Nmax`` (``Nmax`` = Moore-Hodgson bound), models ``M``, blocks ``J``.
Parameters: ``e_k``, ``T_k``, block load cost ``c_j = alpha n_j + s_j / v``, membership
``A_mj``, blocks resident at time 0 ``a0_j``, horizon ``H = max_k T_k``, upload floor
``tmin_k = D_k / r_k(B_tol)`` (:meth:`ProblemArrays.start_floor`).
Deadlines are the judge's ``T_k := T_tol,k = T_k (1 + TIME_RTOL)`` and the budget
``B := B_tol`` (:mod:`partialopt.core.tolerances`), so the MILP relaxes the judge and its bound
is valid for every schedule the judge accepts. Times (``S``, ``F``, ``E``, ``s``, ``c_j``, ``e_k``,
``T_k``, ``H``) are in units of ``m.time_scale`` seconds (:func:`formulations.common.time_scale`:
1 unless the shortest deadline is outside
``[1e-2, 1e3]`` s).

Variables: ``z[k,n]`` = 1 iff user k is served at position n; ``u[j,n]`` in [0,1] = block j is
loaded before position n; ``S[n], F[n]`` start/finish of position n (``E[n]`` model-ready
time, pipelined only); per user ``x_k`` served, ``s_k`` start, ``b_k`` bandwidth.

    max  sum_k x_k                                                     (obj)
    x_k = sum_n z[k,n]                                                 (served)
    sum_k z[k,n] <= 1,  y_n := sum_k z[k,n] >= y_{n+1}                 (slot, contiguous)
    u[j,n] >= a[j,n] - a[j,n-1],  a[j,n] := sum_k A_{m_k j} z[k,n],  a[j,0] := a0_j   (block_load)
    sequential: S[n] >= F[n-1] + sum_j c_j u[j,n]                      (ready)
    pipelined:  E[n] >= E[n-1] + sum_j c_j u[j,n],  S[n] >= E[n],  S[n] >= F[n-1]
    F[n] = S[n] + sum_k e_k z[k,n],   F[0] = E[0] = 0                  (finish)
    F[n] <= sum_k T_k z[k,n] + H (1 - y_n)                             (deadline)
    S[n] >= sum_k tmin_k z[k,n]                                        (upload floor)
    s_k <= S[n] + H (1 - z[k,n])                                       (link)
    sum_k b_k <= B, tangent cuts of beta (formulations.common)         (budget, cuts)
    identical users k < k':  x_k >= x_k',  pos_k + 1 <= pos_k' + (Nmax + 1)(1 - x_k')  (sym)
    sum_{k: T_k <= d} e_k x_k <= d for every deadline level d          (knapsack)

``u`` is continuous: its only use is to delay, so some optimum takes ``u = max(0, a_n - a_{n-1})``,
exactly the blocks of ``m_n`` that ``m_{n-1}`` lacks (SPEC §2).
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from partialopt.arrays import order_gaps
from partialopt.bandwidth import latest_starts
from partialopt.instance import Instance
from partialopt.loading import block_costs, membership

from .common import (
    add_deadline_knapsacks,
    add_spectrum_budget,
    horizon,
    identical_groups,
    moore_hodgson_bound,
    row,
    set_clamped,
    time_scale,
)

name = "position"  # names the formulation in results (formulations.protocol)


def build(instance: Instance, nmax: int | None = None, symmetry: bool = True) -> pyo.ConcreteModel:
    """Build the position-based model (no solver call)."""
    arr = instance.arrays
    cand = arr.servable()
    nmax = moore_hodgson_bound(arr, cand) if nmax is None else nmax
    nmax = max(1, min(nmax, len(cand)))
    tau = time_scale(arr)  # every time below is in units of tau seconds
    H = horizon(arr) / tau
    c = block_costs(instance) / tau
    e = arr.e / tau
    T = arr.T_tol / tau  # the judge's tolerant deadlines
    A = membership(instance).toarray()
    blocks_of_user = {int(k): np.flatnonzero(A[arr.model[k]]).tolist() for k in cand}
    a0 = A[arr.initial] if arr.initial >= 0 else np.zeros(A.shape[1])
    used_blocks = sorted({j for js in blocks_of_user.values() for j in js} | set(np.flatnonzero(a0).tolist()))
    tmin = dict(zip(cand.tolist(), (arr.start_floor(cand) / tau).tolist()))

    m = pyo.ConcreteModel(name="partialopt_position")
    m.formulation = "position"
    m.K = pyo.Set(initialize=cand.tolist(), ordered=True, doc="candidate users")
    m.N = pyo.RangeSet(1, nmax, doc="positions")
    m.J = pyo.Set(initialize=used_blocks, ordered=True, doc="parameter blocks")
    m.H = H
    m.time_scale = tau
    m.nmax = nmax

    m.z = pyo.Var(m.K, m.N, domain=pyo.Binary, doc="z[k,n]: user k at position n")
    m.u = pyo.Var(m.J, m.N, bounds=(0, 1), doc="u[j,n]: block j loaded before position n")
    m.S = pyo.Var(m.N, bounds=(0, H), doc="S[n]: inference start of position n")
    m.F = pyo.Var(m.N, bounds=(0, H), doc="F[n]: finish of position n")
    m.x = pyo.Var(m.K, domain=pyo.Binary, doc="x_k: user k is served")
    m.s = pyo.Var(m.K, bounds=lambda _, k: (tmin[k], H), doc="s_k: start of user k")

    m.obj = pyo.Objective(expr=sum(m.x[k] for k in m.K), sense=pyo.maximize, doc="served users")
    m.served = pyo.Constraint(m.K, rule=lambda m, k: m.x[k] == sum(m.z[k, n] for n in m.N))
    y = {n: sum(m.z[k, n] for k in m.K) for n in m.N}
    m.slot = pyo.Constraint(m.N, rule=lambda m, n: row(y[n] <= 1))
    m.contiguous = pyo.Constraint(m.N, rule=lambda m, n: row(y[n] >= y[n + 1]) if n < nmax else pyo.Constraint.Skip)

    users_with_block = {j: [k for k in m.K if j in blocks_of_user[k]] for j in used_blocks}

    def a(j, n):
        if n == 0:
            return float(a0[j])
        return sum(m.z[k, n] for k in users_with_block[j])

    m.block_load = pyo.Constraint(m.J, m.N, rule=lambda m, j, n: m.u[j, n] >= a(j, n) - a(j, n - 1))
    load_time = {n: sum(float(c[j]) * m.u[j, n] for j in m.J) for n in m.N}
    prevF = lambda n: m.F[n - 1] if n > 1 else 0.0
    if arr.overlap == "sequential":
        m.ready = pyo.Constraint(m.N, rule=lambda m, n: m.S[n] >= prevF(n) + load_time[n])
    else:
        m.E = pyo.Var(m.N, bounds=(0, H), doc="E[n]: model ready for position n")
        m.ready_chain = pyo.Constraint(m.N, rule=lambda m, n: m.E[n] >= (m.E[n - 1] if n > 1 else 0.0) + load_time[n])
        m.ready = pyo.Constraint(m.N, rule=lambda m, n: m.S[n] >= m.E[n])
        m.after_prev = pyo.Constraint(m.N, rule=lambda m, n: m.S[n] >= prevF(n))
    m.finish = pyo.Constraint(m.N, rule=lambda m, n: m.F[n] == m.S[n] + sum(float(e[k]) * m.z[k, n] for k in m.K))
    m.deadline = pyo.Constraint(
        m.N, rule=lambda m, n: m.F[n] <= sum(float(T[k]) * m.z[k, n] for k in m.K) + H * (1 - y[n])
    )
    m.upload_floor = pyo.Constraint(m.N, rule=lambda m, n: m.S[n] >= sum(tmin[k] * m.z[k, n] for k in m.K))
    m.link = pyo.Constraint(m.K, m.N, rule=lambda m, k, n: m.s[k] <= m.S[n] + H * (1 - m.z[k, n]))

    m.sym = pyo.ConstraintList(doc="identical users served in index order")
    if symmetry:
        pos = {k: sum(n * m.z[k, n] for n in m.N) for k in m.K}
        for g in identical_groups(instance, cand):
            for k, k2 in zip(g, g[1:]):
                m.sym.add(m.x[k] >= m.x[k2])
                m.sym.add(pos[k] + 1 <= pos[k2] + (nmax + 1) * (1 - m.x[k2]))
    add_deadline_knapsacks(m, arr)
    add_spectrum_budget(m, arr)
    return m


def extract(m: pyo.ConcreteModel) -> list[int]:
    """Served user indices in service order."""
    order = []
    for n in m.N:
        for k in m.K:
            if pyo.value(m.z[k, n]) > 0.5:
                order.append(int(k))
    return order


def set_start(m: pyo.ConcreteModel, instance: Instance, order: list[int]) -> None:
    """Give every variable the values of a feasible ``order`` (starts at the latest starts
    ``L``, bandwidth ``beta(L)``), for a MIP warm start."""
    arr = instance.arrays
    order = [k for k in order if k in set(m.K)][: m.nmax]
    users = np.array(order, dtype=np.int64)
    load, gap = order_gaps(arr, users)
    L = latest_starts(arr.T[users], arr.e[users], gap)
    for v in (m.z, m.u, m.x):
        for idx in v:
            v[idx].set_value(0)
    for k in m.K:
        set_clamped(m.s[k], m.s[k].lb)
        set_clamped(m.b[k], 0.0)
    A = membership(instance).toarray()
    prev = A[arr.initial] if arr.initial >= 0 else np.zeros(A.shape[1])
    E = 0.0
    F_last = 0.0
    tau = m.time_scale
    L = L / tau
    for n in m.N:
        i = n - 1
        if i < len(order):
            k = order[i]
            cur = A[arr.model[k]]
            m.z[k, n].set_value(1)
            m.x[k].set_value(1)
            set_clamped(m.S[n], float(L[i]))
            set_clamped(m.F[n], float(L[i] + arr.e[k] / tau))
            set_clamped(m.s[k], float(L[i]))
            set_clamped(m.b[k], float(arr.beta([k], [L[i]])[0]) / m.bw_scale)
            E += float(load[i])
            F_last = float(L[i] + arr.e[k] / tau)
        else:
            cur = np.zeros(A.shape[1])
            set_clamped(m.S[n], F_last)
            set_clamped(m.F[n], F_last)
        for j in m.J:
            m.u[j, n].set_value(max(0.0, float(cur[j] - prev[j])))
        if hasattr(m, "E"):
            set_clamped(m.E[n], E / tau)
        prev = cur
