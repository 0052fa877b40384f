"""Baselines (SPEC §7): earliest-deadline-first and a seeded random order.

Both walk a fixed priority list and append each user whose addition keeps the schedule
feasible (decoupling conditions (i) and (ii), via :class:`~partialopt.evaluate.Timeline`).
"""

from __future__ import annotations

import numpy as np

from ..evaluate import Timeline
from ..instance import Instance
from ..result import Result


def append_in_order(instance: Instance, priority: np.ndarray, method: str, stats: dict | None = None) -> Result:
    """Append users in ``priority`` order, skipping those that would break feasibility."""
    tl = Timeline(instance.arrays, undo=False).push_all(priority)
    return Result.from_order(instance, tl.order.tolist(), method, stats=stats)


def edf(instance: Instance) -> Result:
    """Baseline: users in earliest-deadline-first order (ties by user index), each appended when
    it keeps the schedule feasible.

    Parameters
    ----------
    instance : Instance
        The scheduling instance.
    """
    arr = instance.arrays
    return append_in_order(instance, np.lexsort((np.arange(arr.K), arr.T)), "edf")


def random_order(instance: Instance, seed: int = 0) -> Result:
    """Baseline: users in a uniformly random order, each appended when it keeps the schedule
    feasible.

    Parameters
    ----------
    instance : Instance
        The scheduling instance.
    seed : int
        Seed of ``numpy.random.default_rng`` that draws the order.
    """
    rng = np.random.default_rng(seed)
    return append_in_order(instance, rng.permutation(instance.K), "random", stats={"seed": seed})
