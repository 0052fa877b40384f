"""Uplink rates (SPEC §3), the least-bandwidth closed forms ``beta`` and latest start times (§5).

Notation per user: ``D`` bits to upload; for ``rate="shannon"`` the received-SNR scale
``a = p g / N0`` (Hz), for ``rate="fixed_snr"`` the spectral efficiency ``eta = log2(1 + snr)``.
Both are passed as one array ``q`` (``q = a`` or ``q = eta``) so that every function is
vectorized over users.

Rates::

    shannon:   r(b) = b log2(1 + a / b)       concave increasing, r(b) -> a / ln 2 as b -> inf
    fixed_snr: r(b) = b eta

Least bandwidth that finishes an upload of D bits within t seconds (``D / r(b) <= t``)::

    fixed_snr: beta(t) = D / (t eta)
    shannon:   c = D ln2 / (t a);  feasible iff c < 1;
               beta(t) = a / ( -W_{-1}(-c e^{-c}) / c - 1 )

Derivation of the Shannon form: put x = a/b; ``r(b) = D/t`` reads ``ln(1+x) = c x``. With
``y = 1 + x``: ``-c y e^{-c y} = -c e^{-c}``; the principal branch gives the trivial root
``y = 1``, the lower branch ``W_{-1}`` the positive root ``x = -W_{-1}(-c e^{-c})/c - 1``.
One Newton step on ``ln(1+x) - c x`` polishes the root near the branch point (c -> 1).
``beta`` is convex and decreasing in t; ``beta = inf`` where no bandwidth suffices
(``t <= t_min``, with ``t_min = D ln2 / a`` for Shannon and 0 for fixed SNR) and 0 when D = 0.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

LN2 = float(np.log(2.0))
_EPS = float(np.finfo(float).eps)


@cache
def _lambertw():
    """``scipy.special.lambertw``, imported on first use (``import partialopt`` stays light)."""
    from scipy.special import lambertw

    return lambertw


def rate(b: np.ndarray | float, q: np.ndarray | float, kind: str) -> np.ndarray:
    """Uplink rate r(b) in bit/s for bandwidth b (Hz)."""
    b = np.asarray(b, dtype=float)
    q = np.asarray(q, dtype=float)
    if kind == "fixed_snr":
        return b * q
    with np.errstate(divide="ignore", invalid="ignore"):
        r = b * np.log1p(q / b) / LN2
    return np.where(b > 0, r, 0.0)


def upload_time(b: np.ndarray | float, D: np.ndarray | float, q: np.ndarray | float, kind: str) -> np.ndarray:
    """``tU = D / r(b)`` (s); 0 when D = 0, inf when r(b) = 0 < D."""
    D = np.asarray(D, dtype=float)
    r = rate(b, q, kind)
    with np.errstate(divide="ignore", invalid="ignore"):  # 0/0 where D = 0 and b = 0: masked
        t = np.where(D > 0, D / r, 0.0)
    return t


def t_min(D: np.ndarray | float, q: np.ndarray | float, kind: str) -> np.ndarray:
    """Infimum of upload times reachable with unlimited bandwidth: ``D ln2 / a`` (Shannon), 0 (fixed)."""
    D = np.asarray(D, dtype=float)
    if kind == "fixed_snr":
        return np.zeros_like(D)
    return D * LN2 / np.asarray(q, dtype=float)


def beta(t: np.ndarray | float, D: np.ndarray | float, q: np.ndarray | float, kind: str) -> np.ndarray:
    """Least bandwidth (Hz) with ``D / r(b) <= t``; inf if none, 0 if D = 0. Vectorized."""
    t, D, q = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (t, D, q)))
    out = np.full(t.shape, np.inf)
    zero = D <= 0
    out[zero] = 0.0
    ok = (~zero) & (t > 0)
    if kind == "fixed_snr":
        out[ok] = D[ok] / (t[ok] * q[ok])
        return out
    c = np.zeros_like(t)
    c[ok] = D[ok] * LN2 / (t[ok] * q[ok])
    ok &= c < 1.0
    if not ok.any():
        return out
    cc = c[ok]
    w = _lambertw()(-cc * np.exp(-cc), k=-1).real
    out[ok] = q[ok] / _polish(-w / cc - 1.0, cc)
    return out


_POLISH_STEPS = 80


def _polish(x: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The root ``x > 0`` of ``f(x) = ln(1+x) - c x`` (``0 < c < 1``) to rounding, from Lambert W's
    value ``x``: Newton from the right of the root, where ``f`` is concave and decreasing, so the
    steps fall monotonically onto it. ``x`` is first moved there: kept when ``f(x) <= 0``, else
    one Newton step (it overshoots the root of a concave function) or, left of ``f``'s maximum at
    ``1/c - 1``, the bound ``1/c^2 - 1`` (``ln(1+x) <= x / sqrt(1+x)``). Needed near ``c = 1``
    (upload deadlines close to the least upload time), where Lambert W's lower branch is far off
    (seen: twice the root at ``c = 0.9999``)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        far = 1.0 / (c * c) - 1.0
        x = np.where(np.isfinite(x) & (x > 0), x, far)
        f = np.log1p(x) - c * x
        fp = 1.0 / (1.0 + x) - c
        x = np.where(f > 0, np.where(fp < 0, x - f / fp, far), x)
        x = np.where(np.isfinite(x) & (x > 0), x, far)
        active = np.ones(x.shape, dtype=bool)
        for _ in range(_POLISH_STEPS):
            f = np.log1p(x) - c * x
            fp = 1.0 / (1.0 + x) - c
            step = f / fp
            active &= np.isfinite(step) & (fp < 0) & (step > 4.0 * _EPS * x)
            if not active.any():
                break
            x = np.where(active, x - step, x)
    return x


def _polish_one(x: float, c: float) -> float:
    """:func:`_polish` for one value, in plain floats (same steps)."""
    far = 1.0 / (c * c) - 1.0
    if not (math.isfinite(x) and x > 0):
        x = far
    f = math.log1p(x) - c * x
    fp = 1.0 / (1.0 + x) - c
    if f > 0:
        x = x - f / fp if fp < 0 else far
        if not (math.isfinite(x) and x > 0):
            x = far
    for _ in range(_POLISH_STEPS):
        fp = 1.0 / (1.0 + x) - c
        if not fp < 0:
            break
        step = (math.log1p(x) - c * x) / fp
        if not step > 4.0 * _EPS * x:
            break
        x -= step
    return x


def beta_one(t: float, D: float, q: float, kind: str) -> float:
    """:func:`beta` for one user, in plain floats (the evaluator's hot path; same formulas, same
    Newton polish, so it agrees with the vectorized form to rounding)."""
    if D <= 0:
        return 0.0
    if t <= 0:
        return math.inf
    if kind == "fixed_snr":
        return D / (t * q)
    c = D * LN2 / (t * q)
    if not c < 1.0:
        return math.inf
    x = -float(_lambertw()(-c * math.exp(-c), k=-1).real) / c - 1.0
    return q / _polish_one(x, c)


def beta_slope(t: np.ndarray | float, D: np.ndarray | float, q: np.ndarray | float, kind: str) -> np.ndarray:
    """``d beta / d t`` (Hz/s, negative): implicit differentiation of ``r(beta(t)) = D / t``:
    ``beta'(t) = -D / (t^2 r'(beta))`` with ``r'(b) = (ln(1+x) - x/(1+x)) / ln2``, ``x = a/b``."""
    t, D, q = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (t, D, q)))
    b = beta(t, D, q, kind)
    if kind == "fixed_snr":
        with np.errstate(divide="ignore"):
            return np.where(D > 0, -D / (t * t * q), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = q / b
        rp = (np.log1p(x) - x / (1.0 + x)) / LN2
        s = -D / (t * t * rp)
    s = np.where(D > 0, s, 0.0)
    return np.where(np.isfinite(b), s, -np.inf)


def latest_starts(T: np.ndarray, e: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """Latest start times of an ordered list of N users (SPEC §5)::

        L_N = T_N - e_N,     L_n = min(T_n - e_n, L_{n+1} - gap_n)

    where ``gap_n`` is the least time between the starts of positions n and n+1:
    ``e_n + tL(n -> n+1)`` for the sequential timeline, ``e_n`` for the pipelined one.
    Closed form used here (vectorized): with offsets ``P_1 = 0, P_{n+1} = P_n + gap_n``,
    ``L_n = P_n + min_{j >= n} (T_j - e_j - P_j)``. ``gap`` has length N-1 (or N; the last entry
    is ignored).
    """
    T = np.asarray(T, dtype=float)
    N = len(T)
    if N == 0:
        return np.zeros(0)
    P = np.zeros(N)
    if N > 1:
        P[1:] = np.cumsum(np.asarray(gap, dtype=float)[: N - 1])
    G = T - np.asarray(e, dtype=float) - P
    return P + np.minimum.accumulate(G[::-1])[::-1]
