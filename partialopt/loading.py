"""Loading cost of SPEC §2, vectorized.

With the block-membership matrix ``A`` (``A[m, j] = 1`` iff ``j ∈ J_m``) and the per-block cost
``c_j = alpha * n_j + s_j / v``::

    full(m)      = sum_j A[m, j] c_j                      tL(none -> m)
    shared(m',m) = sum_j A[m', j] A[m, j] c_j             = ((A * c) @ A^T)[m', m]
    tL(m' -> m)  = full(m) - shared(m', m)                blocks of m that m' lacks

``A`` is kept sparse (scipy CSR) so thousands of models with tens of thousands of blocks cost
one sparse product. ``tL(m -> m) = 0`` holds exactly (computed, then forced to 0 against rounding).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .instance import Instance

if TYPE_CHECKING:
    import scipy.sparse as sp


def block_costs(instance: Instance) -> np.ndarray:
    """``c_j = alpha * n_j + s_j / v`` for every block, in seconds."""
    s = instance.server
    n = np.array([b.tensors for b in instance.blocks], dtype=float)
    size = np.array([b.bytes for b in instance.blocks], dtype=float)
    return s.tensor_overhead * n + size / s.load_bandwidth


def membership(instance: Instance) -> sp.csr_matrix:
    """Sparse 0/1 matrix ``A`` of shape (models, blocks)."""
    import scipy.sparse as sp  # here, not at module level: ``import partialopt`` stays light

    bidx = {b.id: j for j, b in enumerate(instance.blocks)}
    rows, cols = [], []
    for m, model in enumerate(instance.models):
        for b in model.blocks:
            rows.append(m)
            cols.append(bidx[b])
    data = np.ones(len(rows))
    return sp.csr_matrix((data, (rows, cols)), shape=(len(instance.models), len(instance.blocks)))


def share_clusters(A: sp.csc_matrix) -> np.ndarray:
    """Cluster index of every model: the connected components of "shares a block" (union-find
    over the columns of the membership matrix ``A`` in CSC form), numbered in the order of their
    representatives."""
    M, J = A.shape
    parent = list(range(M))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for j in range(J):
        rows = A.indices[A.indptr[j] : A.indptr[j + 1]]
        for r in rows[1:]:
            parent[find(int(r))] = find(int(rows[0]))
    _, cluster = np.unique(np.array([find(i) for i in range(M)], dtype=np.int64), return_inverse=True)
    return cluster


def switch_costs(instance: Instance) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(tL, full)``: ``tL[m', m]`` = cost of switching from m' to m, ``full[m]`` = cost of
    loading m onto an empty GPU. Both in seconds."""
    c = block_costs(instance)
    A = membership(instance)
    full = np.asarray(A @ c).ravel()
    shared = (A.multiply(c[None, :]).tocsr() @ A.T).toarray()
    tL = full[None, :] - shared
    np.fill_diagonal(tL, 0.0)
    np.maximum(tL, 0.0, out=tL)  # rounding only; shared(m', m) <= full(m) exactly
    return tL, full


def switch_costs_reference(instance: Instance) -> np.ndarray:
    """Pure-Python ``tL`` straight from the set definition (for tests)."""
    c = dict(zip((b.id for b in instance.blocks), block_costs(instance)))
    M = len(instance.models)
    out = np.zeros((M, M))
    for a, ma in enumerate(instance.models):
        for b, mb in enumerate(instance.models):
            out[a, b] = sum(c[j] for j in set(mb.blocks) - set(ma.blocks))
    return out
