"""The model-level greedy of the PartialLoading paper, as its study note describes it ("always
selects the unscheduled model sharing the most parameters with currently loaded models;
prioritizes reusing the largest possible parameter blocks to reduce immediate loading time").

Rule (symbols of docs/SPEC.md). State: the loaded model ``m'`` (``server.initial_model`` at
time 0, or none) and the set ``U`` of models not yet scheduled. Shared bytes of ``m`` with the
loaded model::

    sh(m', m) = sum_{j in J_m ∩ J_m'} s_j          (0 when nothing is loaded)

Step, while ``U`` is not empty:

1. Next model: the ``m in U`` with the most shared bytes ``sh(m', m)``. Ties by the SPEC's
   greedy rule: the smallest added time ``a_m = tL(m' -> m) + e_m`` (pipelined timeline: the
   growth of the last finish, ``max(E' + tL(m' -> m), F') + e_m - F'``, as in ``greedy``), then
   the earliest deadline ``T_k`` among the users of m that can still meet it if served next
   (``T_k (1 + TIME_RTOL) >= F' + a_m``; a model with no such user comes after those with one),
   then that user's bandwidth need ``beta_k(T_k - e_k)``, then the model index. Shared bytes,
   ``a_m``, ``T_k`` and the need are compared with the relative tie tolerance ``TIE_RTOL``
   (:func:`~partialopt.core.tolerances.tolerant_argmin`).
2. Serve m's users in EDF order (ties: need ``beta_k(T_k - e_k)``, then user index), appending
   each one that keeps the order feasible (decoupling conditions (i) and (ii), checked by
   :meth:`Timeline.push <partialopt.evaluate.Timeline.push>`); a user that does not fit is
   skipped and the next one is tried.
3. Remove m from ``U`` (a model is never revisited). If at least one of its users was appended,
   m is now the loaded model; if none was, m was never loaded and ``m'`` stays.

Users that no schedule serves (``beta_k(T_k - e_k) > B (1 + BW_RTOL)``) are filtered up front as
in ``greedy``, and a model left without users is not in ``U`` (choosing it would change nothing).

Difference from ``greedy`` (SPEC §7). ``greedy`` is user-level: at every step it appends the
admissible *user* with the smallest added time, so it may leave a model for a cheap one and come
back to it later (reloading what was evicted). ``paper_greedy`` is model-level: it ranks models by
the bytes they reuse, not by what loading them costs (a model that shares a large block but owns
a larger one wins over a small unrelated model), serves each chosen model's users in one batch,
and never revisits a model. The first model, with nothing loaded (every ``sh`` is 0), is the one
with the smallest ``a_m``, as for ``greedy``. docs/greedy_rules.md works an example by hand.

Complexity. The shared-bytes matrix is one sparse product ``A diag(s) A^T`` of the
(models x blocks) membership matrix, stored dense: O(M^2) memory. At most M steps, each scanning
the models left with a binary search in their deadline lists: O(M^2 log K); plus one feasibility
check per candidate user, O(K A) for A the average suffix that a check touches
(:class:`~partialopt.evaluate.Timeline`).
"""

from __future__ import annotations

import bisect
import time

import numpy as np

from ..core.tolerances import tolerant_argmin
from ..evaluate import Timeline
from ..instance import Instance
from ..loading import membership
from ..result import Result
from .greedy import _added_times, _candidates


def shared_bytes(instance: Instance) -> np.ndarray:
    """``sh[m', m] = sum_{j in J_m ∩ J_m'} s_j`` for every pair of models (dense, M x M), from the
    membership matrix ``A``: ``A diag(s) A^T``. Exact while sums stay below 2**53 bytes."""
    A = membership(instance)
    s = np.array([b.bytes for b in instance.blocks], dtype=float)
    return np.asarray((A.multiply(s[None, :]).tocsr() @ A.T).toarray())


def paper_greedy_order(instance: Instance) -> tuple[list[int], list[int], list[int]]:
    """The schedule of the module docstring's rule as user indices, with the models in the order
    they were loaded and the models that were chosen but could serve nobody."""
    arr = instance.arrays
    per_model = _candidates(arr)
    deadlines = [[float(arr.T_tol[k]) for _, _, k in lst] for lst in per_model]
    shared = shared_bytes(instance)
    no_share = np.zeros(arr.M)
    tl = Timeline(arr, undo=False)
    loaded = int(arr.initial)
    left = [m for m in range(arr.M) if per_model[m]]
    sequence: list[int] = []
    skipped: list[int] = []
    while left:
        Fp = tl.gpu_finish
        added = _added_times(arr, tl)  # from the loaded model: tl's last one, else the initial one
        row = shared[loaded] if loaded >= 0 else no_share
        keys = []
        for m in left:
            i = bisect.bisect_left(deadlines[m], Fp + added[m])
            if i < len(per_model[m]):
                T, need, _ = per_model[m][i]
                keys.append((-float(row[m]), float(added[m]), 0.0, T, need, m))
            else:  # no user of m can meet its deadline if served next: after the models with one
                keys.append((-float(row[m]), float(added[m]), 1.0, 0.0, 0.0, m))
        best = tolerant_argmin(keys, tolerant=5)
        assert best is not None  # left is not empty
        m = int(best[5])
        left.remove(m)
        served = [k for _, _, k in per_model[m] if tl.push(k)]
        if served:
            loaded = m
            sequence.append(m)
        else:
            skipped.append(m)
    return tl.order.tolist(), sequence, skipped


def paper_greedy(instance: Instance) -> Result:
    """The paper's model-level greedy (study note): repeatedly pick the unscheduled model sharing
    the most bytes with the loaded one (ties: smallest added time, earliest deadline, least
    bandwidth, index) and serve its users in deadline order; a model is never revisited.

    ``stats``: ``model_sequence`` (model ids in the order they were loaded) and
    ``skipped_models`` (model ids chosen when none of their users fitted any more).

    Parameters
    ----------
    instance : Instance
        The scheduling instance (any class).
    """
    t0 = time.perf_counter()
    order, sequence, skipped = paper_greedy_order(instance)
    ids = [m.id for m in instance.models]
    return Result.from_order(
        instance,
        order,
        "paper_greedy",
        wall_time=time.perf_counter() - t0,
        stats={"model_sequence": [ids[m] for m in sequence], "skipped_models": [ids[m] for m in skipped]},
    )
