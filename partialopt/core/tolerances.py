"""The one set of tolerances of every feasibility judgement (SPEC §4-5), relative to the
instance's own scale so that deadlines of 1e9 s and inference times of 1e-9 s are judged alike.

The judge (:func:`partialopt.evaluate.evaluate`) accepts a schedule iff every served user's
finish meets ``F_n <= T_n (1 + TIME_RTOL)`` and ``sum_k b_k <= B (1 + BW_RTOL)``. Everything that
*bounds* or *filters* (``ProblemArrays.servable``, the Moore-Hodgson bound, the DP's table, the
MILP's deadline and budget rows) must relax that judge, so it uses the same tolerant deadlines
:func:`deadline_tol` and budget :func:`budget_tol`; constructive methods use the exact deadlines
for latest starts and the tolerant ones for acceptance, like the judge.

Why a filter must use the tolerant values: a filter that is *tighter* than the judge (e.g.
``F(n) <= T`` in the DP while the judge accepts ``F <= T (1 + TIME_RTOL)``) can drop a schedule the
judge accepts, and then ``dp`` or the MILP would report ``optimal`` or a bound below a feasible
value. A filter that is looser only costs a weaker bound. Relaxations here hold up to the
rounding of one float operation (``~1e-16`` relative), far inside the ``1e-9`` tolerance: only an
instance built to sit at ``T (1 + TIME_RTOL)`` to the last bit can tell them apart.

:class:`~partialopt.arrays.ProblemArrays` caches ``T_tol = deadline_tol(T)`` and
``B_tol = budget_tol(B)``, so hot loops compare with one array lookup.
"""

from __future__ import annotations

import numpy as np

TIME_RTOL = 1e-9
"""Relative tolerance on ``F_n <= T_n``: ``F_n <= T_n (1 + TIME_RTOL)`` (T_n > 0 always)."""
BW_RTOL = 1e-9
"""Relative tolerance on ``sum_k b_k <= B``."""
TIE_RTOL = 1e-9
"""Two times ``a, b`` tie when ``|a - b| <= TIE_RTOL * max(|a|, |b|)`` (heuristics' keys)."""


def deadline_tol(T):
    """Deadlines as the judge applies them: ``T (1 + TIME_RTOL)`` (scalar or array)."""
    return np.asarray(T, dtype=float) * (1.0 + TIME_RTOL) if np.ndim(T) else float(T) * (1.0 + TIME_RTOL)


def budget_tol(B: float) -> float:
    """The budget as the judge applies it: ``B (1 + BW_RTOL)``."""
    return float(B) * (1.0 + BW_RTOL)


def ties(a: float, b: float) -> bool:
    """Whether two times are equal up to :data:`TIE_RTOL` (relative)."""
    return abs(a - b) <= TIE_RTOL * max(abs(a), abs(b))


def tie_min(keys, index: int = 0) -> list:
    """The entries of ``keys`` (tuples) whose ``key[index]`` ties (:func:`ties`) with the least
    ``key[index]``: the candidates that remain after comparing that component with tolerance."""
    keys = list(keys)
    if not keys:
        return keys
    low = min(k[index] for k in keys)
    return [k for k in keys if ties(k[index], low)]


def tolerant_argmin(keys, tolerant: int):
    """Least tuple of ``keys`` in lexicographic order where the first ``tolerant`` components
    are compared with :func:`ties` (then the rest exactly): keep the ties of the least first
    component, among them the ties of the least second one, and so on. Returns None if empty."""
    keys = list(keys)
    for i in range(tolerant):
        keys = tie_min(keys, i)
    return min(keys, key=lambda k: k[tolerant:]) if keys else None
