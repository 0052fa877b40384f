"""Polynomial dynamic program for backbone sharing with a common deadline (SPEC §6).

Class (detected from the block sets, never from a flag): the models split into clusters (the
connected components of "shares a block"); inside a cluster c every block belongs either to all
its models (the backbone, cost ``bb_c``) or to exactly one (model m's own blocks, cost ``o_m``).
All users share one deadline T; the timeline is sequential. Then ``tL(m' -> m) = o_m`` inside a
cluster and ``bb_c + o_m`` across clusters. A model resident at time 0 (m0 in cluster c0)
makes ``bb_c0 = o_m0 = 0`` for the first batch.

Batching lemmas (exchange arguments). Ignore uploads (zero upload time). (1) Fix the set of
served users. Moving a user next to another user of the same model removes the switch into it
and, by the triangle inequality of tL, does not lengthen the switch out of its old neighbours,
so some optimal order serves each model's users consecutively. (2) Likewise moving a model
batch next to a batch of its cluster replaces ``bb_c + o_m`` by ``o_m`` and, across clusters,
every switch into a cluster costs its backbone anyway, so each cluster is one run. With a common
deadline only the total time matters, so the best time for a chosen set is
``sum_{c used} bb_c + sum_{m used} (o_m + x_m e_m)`` whatever the order of runs (c0 first, m0
first inside it, when the resident model is used). (3) Users of a model are interchangeable
for time, so only the count ``x_m`` matters.

Recurrence. For model m with ``n_m`` users: ``cost_m(0) = 0``, ``cost_m(x) = o_m + x e_m``.
Inside cluster c, ``g_c = min-plus convolution of cost_m over m in c``; the cluster's table is
``h_c(0) = 0``, ``h_c(n) = bb_c + g_c(n)``; ``F = min-plus convolution of h_c over c``.
The answer is ``max {n : F(n) <= T_tol}`` with the judge's tolerant deadline
``T_tol = T (1 + TIME_RTOL)`` (a table test tighter than the judge could miss a schedule the
judge accepts and claim a wrong optimum), and ``F(n)`` is its least GPU finish (the SPEC §4 tie-break).
Each convolution step is a loop over the smaller table's support with a vectorized numpy
minimum over the larger: O(K^2) in all (O(K * n_m) per model, O(K * K_c) per cluster),
O(K M) memory for the argmin tables.

Spectrum budget. Uploads only delay, so ``F``'s optimum bounds the true optimum. The chosen
counts are filled with each model's users of least need ``beta_k(T - e_m)`` and arranged
(clusters, then models, then users by increasing need, so the larger needs get the later
latest starts); if the arrangement passes the exact check (SPEC §5 (ii)) it is optimal.
Otherwise it is repaired (users that no longer fit are skipped, then the others are offered),
and the result carries the DP value as ``bound`` and the gap, never ``optimal`` unless met.
"""

from __future__ import annotations

import time

import numpy as np

from ..bounds import minplus
from ..core.errors import NotApplicable
from ..evaluate import Timeline
from ..instance import Instance
from ..loading import block_costs, membership, share_clusters
from ..result import Result


def backbone_structure(instance: Instance) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(cluster_of_model, bb_cost_per_cluster, own_cost_per_model)``; raises
    :class:`~partialopt.core.errors.NotApplicable` with the reason when the block sets are not
    backbone sharing."""
    A = membership(instance).tocsc()
    M, J = A.shape
    c = block_costs(instance)
    cluster = share_clusters(A)
    size = np.bincount(cluster)
    bb = np.zeros(len(size))
    own = np.zeros(M)
    for j in range(J):
        rows = A.indices[A.indptr[j] : A.indptr[j + 1]]
        if len(rows) == 0:
            continue
        cl = cluster[rows[0]]
        if len(rows) == size[cl]:
            bb[cl] += c[j]
        elif len(rows) == 1:
            own[rows[0]] += c[j]
        else:
            names = [instance.models[r].id for r in rows]
            raise NotApplicable(
                f"dp: block {instance.blocks[j].id!r} is shared by {names} but not by the whole cluster "
                f"of {size[cl]} models: general sharing, not backbone sharing (use greedy or milp)"
            )
    return cluster, bb, own


def _check_class(instance: Instance) -> None:
    """Raise :class:`NotApplicable` (``dp: <reason>``) outside the sequential, common-deadline class."""
    arr = instance.arrays
    if arr.overlap != "sequential":
        raise NotApplicable("dp: the DP covers the sequential timeline only (server.overlap='pipelined' given)")
    if np.ptp(arr.T) > 0:
        raise NotApplicable(
            f"dp: the DP needs one common deadline; deadlines range from {arr.T.min():g} to {arr.T.max():g} s "
            "(per-user deadlines are NP-hard: use greedy or milp)"
        )


def supports(instance: Instance) -> str:
    """ "" when the DP covers ``instance`` (sequential timeline, one common deadline, backbone
    sharing), else the reason (``dp: ...``)."""
    try:
        _check_class(instance)
        backbone_structure(instance)
    except NotApplicable as exc:
        return str(exc)
    return ""


def dp(instance: Instance) -> Result:
    """The polynomial DP of the module docstring: ``optimal`` when its best arrangement passes
    the bandwidth check, else a repaired schedule with the DP value as ``bound``.

    Parameters
    ----------
    instance : Instance
        A backbone-sharing instance with one common deadline and the sequential timeline
        (:func:`supports` says why another is refused).
    """
    t0 = time.perf_counter()
    _check_class(instance)
    cluster, bb, own = backbone_structure(instance)
    arr = instance.arrays
    T_tol = float(arr.T_tol[0])
    bb = bb.copy()
    own = own.copy()
    if arr.initial >= 0:  # the resident model's cluster goes first, the model first inside it
        bb[cluster[arr.initial]] = 0.0
        own[arr.initial] = 0.0
    servable = arr.servable()
    need = arr.beta(np.arange(arr.K), arr.T - arr.e)
    users_of: list[list[int]] = [[] for _ in range(arr.M)]
    for k in sorted(servable.tolist(), key=lambda k: (need[k], k)):
        users_of[arr.model[k]].append(k)
    cap = len(servable)

    F = np.zeros(1)
    cluster_tables = []
    for c in range(len(bb)):
        g = np.zeros(1)
        model_args = []
        for m in np.flatnonzero(cluster == c):
            n_m = len(users_of[m])
            cost = np.concatenate([[0.0], own[m] + arr.e_model[m] * np.arange(1, n_m + 1)])
            g, arg = minplus(g, cost, cap)
            model_args.append((m, arg))
        h = g + bb[c]
        h[0] = 0.0
        F, carg = minplus(F, h, cap)
        cluster_tables.append((model_args, carg))
    feasible = np.flatnonzero(F <= T_tol)
    best = int(feasible.max())

    # reconstruct the counts x_m
    x = np.zeros(arr.M, dtype=np.int64)
    n = best
    for model_args, carg in reversed(cluster_tables):
        nc = int(carg[n])
        n -= nc
        for m, arg in reversed(model_args):
            xm = int(arg[nc])
            x[m] = xm
            nc -= xm
    order = _arrange(arr, cluster, x, users_of, need)
    tl = Timeline(arr, undo=False).push_all(order)
    if tl.n < best:  # the budget binds: repair by offering every other servable user
        chosen = set(order)
        tl.push_all(sorted((k for k in servable if k not in chosen), key=lambda k: (need[k], k)))
    stats = {"dp_value": best, "dp_gpu_finish": float(F[best]), "clusters": len(bb)}
    return Result.from_order(
        instance, tl.order.tolist(), "dp", bound=best, wall_time=time.perf_counter() - t0, stats=stats
    )


def _arrange(arr, cluster: np.ndarray, x: np.ndarray, users_of: list, need: np.ndarray) -> list[int]:
    """Clusters (resident one first, then by mean need), models inside (resident one first, then by
    mean need), users by increasing need."""
    picked = {m: users_of[m][: x[m]] for m in range(arr.M) if x[m] > 0}
    mean_need = {m: float(np.mean(need[v])) for m, v in picked.items()}
    init_c = cluster[arr.initial] if arr.initial >= 0 else -1
    clusters = sorted(
        {cluster[m] for m in picked},
        key=lambda c: (c != init_c, np.mean([mean_need[m] for m in picked if cluster[m] == c]), c),
    )
    order: list[int] = []
    for c in clusters:
        models = sorted((m for m in picked if cluster[m] == c), key=lambda m: (m != arr.initial, mean_need[m], m))
        for m in models:
            order.extend(int(k) for k in picked[m])
    return order
