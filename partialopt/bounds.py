"""Cheap upper bounds on the number of served users (SPEC §4-5), in O(K log K) time and O(K)
memory: what an exact method reports when it stops before its own bound is known.

Each is a relaxation of the judge (:mod:`partialopt.core.tolerances`): every schedule that
:func:`partialopt.evaluate.evaluate` accepts serves at most that many users.

- :func:`knapsack_bound`: a served user k starts by ``L_k <= T_k - e_k``, so it needs at least
  ``beta_k(T_k (1 + rtol) - e_k)`` Hz; the most users whose least needs fit in ``B (1 + rtol)``
  (smallest needs first: exact for this cardinality knapsack).
- the Moore-Hodgson bound (``formulations.common.moore_hodgson_bound``): inferences alone,
  without loads or uploads, on one machine with due dates ``T_k``.
- the servable count: users that can be served even alone.
"""

from __future__ import annotations

import numpy as np

from .arrays import ProblemArrays
from .core.tolerances import budget_tol, deadline_tol


def knapsack_bound(arr: ProblemArrays, users: np.ndarray | None = None) -> int:
    """Most users whose least bandwidth needs ``beta_k(T_k (1 + rtol) - e_k)`` fit in the budget."""
    users = np.arange(arr.K) if users is None else np.asarray(users, dtype=np.int64)
    if not len(users):
        return 0
    need = np.sort(arr.beta(users, deadline_tol(arr.T[users]) - arr.e[users]))
    need = need[np.isfinite(need)]
    return int(np.searchsorted(np.cumsum(need), budget_tol(arr.B), side="right"))


def cheap_bound(arr: ProblemArrays) -> tuple[int, dict[str, int]]:
    """The least of the cheap bounds over the servable users, and each one by name."""
    from formulations.common import moore_hodgson_bound

    cand = arr.servable()
    parts = {
        "servable": int(len(cand)),
        "knapsack": knapsack_bound(arr, cand),
        "moore_hodgson": int(moore_hodgson_bound(arr, cand)) if len(cand) else 0,
    }
    return min(parts.values()), parts
