"""The one set of tolerances of every feasibility judgement (SPEC §4-5), relative to the
instance's own scale so that deadlines of 1e9 s and inference times of 1e-9 s are judged alike.

The judge (:func:`partialopt.evaluate.evaluate`) accepts a schedule iff every served user's
finish meets ``F_n <= T_n (1 + TIME_RTOL)`` and ``sum_k b_k <= B (1 + BW_RTOL)``. Everything that
*bounds* or *filters* (``ProblemArrays.servable``, the Moore-Hodgson bound, the DP's table, the
MILP's deadline and budget rows) must relax that judge, so it uses the same tolerant deadlines
:func:`deadline_tol` and budget :func:`budget_tol`; constructive methods use the exact deadlines
for latest starts and the tolerant ones for acceptance, like the judge.
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
