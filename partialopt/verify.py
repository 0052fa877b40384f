"""Independent numerical checks of SPEC §5 with cvxpy (no Lambert W, no latest-start recursion).

Units inside the convex programs are scaled (MHz, Mbit) for the conic solver's conditioning.

- :func:`cvxpy_allocation`: for a fixed order, ``min sum_k b_k`` s.t. ``r_k(b_k) >= D_k / L_k``.
  Shannon is DCP through ``b ln(1 + a/b) = -rel_entr(b, b + a)`` (concave in b).
- :func:`cvxpy_min_bandwidth`: the joint problem over start times and bandwidths, written
  straight from the timeline of SPEC §4 (upload must end by the start ``S_n``)::

      min sum_n b_n   s.t.  r_n(b_n) >= D_n / S_n            (i.e. tU_n <= S_n)
                            S_n >= S_{n-1} + e_{n-1} + tL(n-1 -> n)   (sequential)
                            S_n >= E_n,  S_n >= S_{n-1} + e_{n-1}     (pipelined, E fixed)
                            S_1 >= tL(initial -> 1),   S_n + e_n <= T_n

  ``D_n / S_n`` is convex in S (``inv_pos``), the rate concave in b, so the program is convex.
  "Exists a feasible bandwidth vector" is "this program is feasible with optimum <= B": the
  decoupling theorem says that equals conditions (i) and (ii), which the tests check.
"""

from __future__ import annotations

from collections.abc import Sequence

import cvxpy as cp
import numpy as np

from .bandwidth import LN2, latest_starts
from .evaluate import order_gaps, user_indices
from .instance import Instance

SCALE = 1e6  # Hz per unit of b, bits per unit of D
SOLVER_OPTS = dict(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10, max_iter=500)


def _rate_ok(arr, users: np.ndarray, b: cp.Variable, need: cp.Expression) -> cp.Constraint:
    """``r(b) >= need`` in scaled units (b in MHz, need in Mbit/s)."""
    q = arr.q[users]
    if arr.rate == "fixed_snr":
        return cp.multiply(q, b) >= need
    a = q / SCALE
    return -cp.rel_entr(b, b + a) / LN2 >= need


def cvxpy_allocation(instance: Instance, order: Sequence[str | int]) -> np.ndarray:
    """Least bandwidths (Hz) that finish every upload by its latest start ``L_n`` (cvxpy)."""
    arr = instance.arrays
    users = user_indices(instance, order)
    _, gap = order_gaps(arr, users)
    L = latest_starts(arr.T[users], arr.e[users], gap)
    b = cp.Variable(len(users), nonneg=True)
    need = arr.D[users] / SCALE / L
    prob = cp.Problem(cp.Minimize(cp.sum(b)), [_rate_ok(arr, users, b, need)])
    prob.solve(**SOLVER_OPTS)
    if prob.status not in ("optimal", "optimal_inaccurate"):
        raise RuntimeError(f"cvxpy_allocation: solver status {prob.status}")
    return np.asarray(b.value) * SCALE


def cvxpy_min_bandwidth(instance: Instance, order: Sequence[str | int]) -> float:
    """Least total bandwidth (Hz) with which ``order`` meets every deadline; inf if none does."""
    arr = instance.arrays
    users = user_indices(instance, order)
    N = len(users)
    load, _ = order_gaps(arr, users)
    e, T = arr.e[users], arr.T[users]
    S = cp.Variable(N)
    b = cp.Variable(N, nonneg=True)
    cons = [S + e <= T]
    if arr.overlap == "sequential":
        cons.append(S[0] >= load[0])
        for n in range(1, N):
            cons.append(S[n] >= S[n - 1] + e[n - 1] + load[n])
    else:
        E = np.cumsum(load)
        cons.append(S >= E)
        for n in range(1, N):
            cons.append(S[n] >= S[n - 1] + e[n - 1])
    need = cp.multiply(arr.D[users] / SCALE, cp.inv_pos(S))
    cons.append(_rate_ok(arr, users, b, need))
    prob = cp.Problem(cp.Minimize(cp.sum(b)), cons)
    prob.solve(**SOLVER_OPTS)
    if prob.status in ("infeasible", "infeasible_inaccurate"):
        return float("inf")
    if prob.status not in ("optimal", "optimal_inaccurate"):
        raise RuntimeError(f"cvxpy_min_bandwidth: solver status {prob.status}")
    return float(prob.value) * SCALE
