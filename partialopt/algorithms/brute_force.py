"""Exact enumeration for tiny instances (K <= 8): the oracle that checks the MILP itself.

Depth-first search over all orders of all subsets, pruned by the monotonicity of the feasibility
check (a prefix that breaks a deadline or the budget stays infeasible whatever is appended,
SPEC §5). Among the orders serving the most users it returns the smallest GPU finish (SPEC §4
tie-break), then the lexicographically smallest index sequence.
"""

from __future__ import annotations

import time

from ..core.errors import NotApplicable
from ..evaluate import Timeline
from ..instance import Instance
from ..result import Result

MAX_USERS = 8


def supports(instance: Instance) -> str:
    """ "" for K <= 8, else the reason."""
    if instance.K <= MAX_USERS:
        return ""
    return (
        f"brute_force: the instance has K={instance.K} users; exhaustive search is limited to "
        f"K <= {MAX_USERS} (use method='milp' for larger instances)"
    )


def brute_force(instance: Instance) -> Result:
    """Most served users, then least GPU finish, over every order of every subset whose
    prefixes all pass :class:`Timeline` (the judge's check); ``bound`` = that optimum.
    Raises :class:`~partialopt.core.errors.NotApplicable` for K > 8.

    Parameters
    ----------
    instance : Instance
        The scheduling instance, K <= 8 users.
    """
    reason = supports(instance)
    if reason:
        raise NotApplicable(reason)
    K = instance.K
    t0 = time.perf_counter()
    tl = Timeline(instance.arrays, undo=True)
    best: list = [(0, 0.0), []]
    used = [False] * K
    nodes = 0

    def dfs(depth: int) -> None:
        nonlocal nodes
        nodes += 1
        key = (depth, -tl.gpu_finish)
        if key > best[0]:
            best[0], best[1] = key, list(tl.order)
        for k in range(K):
            if not used[k] and tl.push(k):
                used[k] = True
                dfs(depth + 1)
                used[k] = False
                tl.pop()

    dfs(0)
    return Result.from_order(
        instance,
        best[1],
        "brute_force",
        bound=best[0][0],
        wall_time=time.perf_counter() - t0,
        stats={"nodes": nodes},
    )
