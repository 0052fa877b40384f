"""The one judge of every schedule: the timeline of SPEC §4 and the bandwidth check of §5.

Timeline of an order ``pi = (k_1..k_N)`` with upload times ``tU``::

    sequential: E_n = F_{n-1} + tL(m_{n-1} -> m_n)       S_n = max(E_n, tU_n)
    pipelined:  E_n = E_{n-1} + tL(m_{n-1} -> m_n)       S_n = max(E_n, F_{n-1}, tU_n)
    F_n = S_n + e_n,   F_0 = E_0 = 0,   m_0 = initial model (or none: full load)

User ``k_n`` is served iff ``F_n <= T_{k_n} (1 + TIME_RTOL)``, the bandwidth vector is feasible
iff ``sum_k b_k <= B (1 + BW_RTOL)``: relative tolerances, one set for the whole package
(:mod:`partialopt.core.tolerances`; the arrays ``T_tol``, ``B_tol`` of :class:`ProblemArrays`).

Decoupling theorem (SPEC §5; proof in ``docs/decoupling.md``): ``pi`` is feasible for some
bandwidth vector iff (i) the timeline with ``tU = 0`` meets every deadline and
(ii) ``sum_n beta_{k_n}(L_n) <= B`` with the latest starts ``L`` of
:func:`partialopt.bandwidth.latest_starts`; ``b*_{k_n} = beta_{k_n}(L_n)`` is then a least
allocation. :class:`Timeline` is the incremental form of exactly this check (append/undo; bounds
on the convex ``beta`` decide most appends in O(1) betas, the rest evaluate the affected suffix),
used by greedy, dp, the baselines, brute force and local search.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .arrays import ProblemArrays, order_gaps  # noqa: F401  (order_gaps re-exported)
from .bandwidth import LN2, latest_starts
from .core.tolerances import BW_RTOL, TIME_RTOL  # noqa: F401  (re-exported: the judge's tolerances)
from .instance import Instance


def user_indices(instance: Instance, order: Sequence[str | int]) -> np.ndarray:
    """User ids (or integer indices) -> index array; rejects unknown ids and repeats."""
    idx = []
    for pos, u in enumerate(order):
        if isinstance(u, (int, np.integer)) and not isinstance(u, bool):
            if not 0 <= int(u) < instance.K:
                raise ValueError(f"order[{pos}]: user index {u} out of range 0..{instance.K - 1}")
            idx.append(int(u))
        elif isinstance(u, str):
            if u not in instance.user_index:
                raise ValueError(f"order[{pos}]: unknown user id {u!r}")
            idx.append(instance.user_index[u])
        else:
            raise ValueError(f"order[{pos}]: expected a user id, got {u!r}")
    if len(set(idx)) != len(idx):
        raise ValueError("order: a user appears more than once")
    return np.array(idx, dtype=np.int64)


def forward(arr: ProblemArrays, users: np.ndarray, tU: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Start and finish times ``(S, F)`` of the timeline above (``tU = 0`` when None)."""
    load, _ = order_gaps(arr, users)
    e = arr.e[users]
    N = len(users)
    S = np.empty(N)
    F = np.empty(N)
    Fp = Ep = 0.0
    seq = arr.overlap == "sequential"
    for n in range(N):
        u = 0.0 if tU is None else tU[n]
        if seq:
            E = Fp + load[n]
            s = E if E >= u else u
        else:
            E = Ep + load[n]
            s = max(E, Fp, u)
            Ep = E
        S[n] = s
        Fp = F[n] = s + e[n]
    return S, F


def closed_form_allocation(instance: Instance, order: Sequence[str | int]) -> dict[str, float]:
    """``b*_{k_n} = beta_{k_n}(L_n)`` (SPEC §5); users whose latest start cannot be met get 0."""
    arr = instance.arrays
    users = user_indices(instance, order)
    return dict(zip((instance.users[k].id for k in users), _closed_form(arr, users)))


def _closed_form(arr: ProblemArrays, users: np.ndarray) -> np.ndarray:
    _, gap = order_gaps(arr, users)
    L = latest_starts(arr.T[users], arr.e[users], gap)
    b = arr.beta(users, L)
    return np.where(np.isfinite(b), b, 0.0)


@dataclass
class Evaluation:
    """Verdict on one schedule."""

    order: list[str]
    start: dict[str, float]
    finish: dict[str, float]
    served: list[str]
    violations: list[dict]
    bandwidth: dict[str, float]
    bandwidth_total: float
    bandwidth_ok: bool
    last_finish: float
    """Finish of the last user under the given allocation (not the SPEC §4 tie-break: that is
    the zero-upload ``gpu_finish``, see :func:`gpu_finish`)."""
    objective: int = field(init=False)

    def __post_init__(self) -> None:
        self.objective = len(self.served)

    @property
    def feasible(self) -> bool:
        """Every user in the order meets its deadline and the bandwidth budget holds."""
        return not self.violations and self.bandwidth_ok


def evaluate(
    instance: Instance,
    order: Sequence[str | int],
    bandwidth: dict[str, float] | Sequence[float] | None = None,
) -> Evaluation:
    """Judge ``order`` (user ids in service order) with ``bandwidth`` (user id -> Hz, or a
    sequence aligned with ``order``); ``None`` gives the closed-form allocation of SPEC §5.
    Users not in the order get no bandwidth."""
    arr = instance.arrays
    users = user_indices(instance, order)
    ids = [instance.users[k].id for k in users]
    if bandwidth is None:
        b = _closed_form(arr, users)
    elif isinstance(bandwidth, dict):
        b = _bandwidth_from_dict(instance, ids, bandwidth)
    else:
        b = np.asarray(bandwidth, dtype=float)
        if b.shape != (len(users),):
            raise ValueError(f"bandwidth: expected {len(users)} values aligned with the order")
    if np.any(np.isnan(b)) or np.any(b < 0):
        raise ValueError("bandwidth: values must be non-negative numbers")
    tU = arr.upload_time(users, b)
    S, F = forward(arr, users, tU)
    T = arr.T[users]
    ok = F <= arr.T_tol[users]
    violations = [
        {"user": ids[n], "position": int(n), "finish": float(F[n]), "deadline": float(T[n])}
        for n in np.flatnonzero(~ok)
    ]
    total = float(b.sum())
    return Evaluation(
        order=ids,
        start=dict(zip(ids, S.tolist())),
        finish=dict(zip(ids, F.tolist())),
        served=[ids[n] for n in np.flatnonzero(ok)],
        violations=violations,
        bandwidth=dict(zip(ids, b.tolist())),
        bandwidth_total=total,
        bandwidth_ok=bool(total <= arr.B_tol),
        last_finish=float(F[-1]) if len(F) else 0.0,
    )


def _bandwidth_from_dict(instance: Instance, ids: list[str], bandwidth: dict) -> np.ndarray:
    """Values of ``bandwidth`` (user id -> Hz) aligned with ``ids``, in O(N + len(bandwidth));
    rejects unknown ids and positive bandwidth for users outside the order."""
    index = instance.user_index
    in_order = set(ids)
    for uid, v in bandwidth.items():
        if uid not in index:
            raise ValueError(f"bandwidth: unknown user id {uid!r}")
        if uid not in in_order and v > 0:
            raise ValueError(f"bandwidth: user {uid!r} is not in the order but gets bandwidth")
    return np.array([float(bandwidth.get(i, 0.0)) for i in ids])


def gpu_finish(instance: Instance, order: Sequence[str | int]) -> float:
    """``F_N`` of ``order`` on the timeline with zero upload times: the GPU's own busy time,
    independent of the bandwidth allocation; smaller is the SPEC §4 tie-break among schedules
    that serve as many users."""
    users = user_indices(instance, order)
    return float(forward(instance.arrays, users)[1][-1]) if len(users) else 0.0


def is_feasible_order(instance: Instance, order: Sequence[str | int]) -> bool:
    """Conditions (i) and (ii) of the decoupling theorem for ``order``, as the judge applies
    them: (i) zero-upload finishes ``F_n <= T_tol,n``; (ii) ``sum_n beta_{k_n}(L_n) <= B_tol`` with
    the latest starts ``L`` of the exact deadlines (so that ``b* = beta(L)`` passes the judge)."""
    arr = instance.arrays
    users = user_indices(instance, order)
    _, F = forward(arr, users)
    if np.any(F > arr.T_tol[users]):
        return False
    _, gap = order_gaps(arr, users)
    L = latest_starts(arr.T[users], arr.e[users], gap)
    return bool(arr.beta(users, L).sum() <= arr.B_tol)


_SHORT = 8
"""Arrays up to this length are evaluated in plain floats (numpy's per-call overhead dominates)."""
_DIRECT = 4
"""A check whose changed suffix is at most this long is exact (then its stale prefix is refreshed
if the credit allows), skipping the bounds."""
_CREDIT = 64.0
"""Refresh credit (in betas) earned by each check that the bounds handle."""
_LOW_RTOL = 1e-10
"""The lower bound rejects only beyond ``B_tol (1 + _LOW_RTOL)``: the closed form's own rounding
(worst next to Shannon's least upload time) must not turn the judge's acceptance into a rejection."""
_X_CAP = 8
"""At most this many positions without a finite bound term ``s_n`` are counted exactly (set X)."""
_EPS = float(np.finfo(float).eps)
_W_SHRINK = 1.0 - 1e-6
_C_GROW = 1.0 + 1e-6
"""Tangent slopes are shrunk and chord slopes grown by these factors (a flatter tangent and a
steeper chord are still bounds) to absorb the rounding of the closed forms they come from."""
_REL = 1e7 * _EPS
"""A slope whose inputs cancel beyond this relative accuracy (~2e-9) is not used."""
# columns of Timeline._Q (per position) and of its prefix sums Timeline._C
_B, _R, _W, _CH, _NO = range(5)
_NCOL = 8  # prefix sums of: b, w, w R, |w R|, c, c R, |c R|, no
_C_NO = 7  # the column of _C that counts positions without a chord


def _tangent_slopes(arr: ProblemArrays, users: np.ndarray, t: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``-beta'(t) >= 0`` of the given users at times t where ``b = beta(t)``, from the implicit
    form ``beta'(t) = -D / (t^2 r'(beta))`` (no second Lambert W), shrunk by ``_W_SHRINK``; 0 where
    it is not finite or not reliable (0 is always the slope of a lower bound: beta decreases)."""
    D = arr.D[users]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if arr.rate == "fixed_snr":
            w = D / (t * t * arr.q[users])
            ok = np.isfinite(b)
        else:
            x = arr.q[users] / b
            lg = np.log1p(x)
            y = x / (1.0 + x)
            rp = lg - y  # ln2 r'(b) = ln(1+x) - x/(1+x) > 0; cancels for small x
            w = D * LN2 / (t * t * rp)
            ok = np.isfinite(b) & (rp > _REL * (lg + y))
        ok &= np.isfinite(w) & (w > 0) & (D > 0)
    return np.where(ok, w * _W_SHRINK, 0.0)


def _tangent_slope_one(arr: ProblemArrays, k: int, t: float, b: float) -> float:
    """:func:`_tangent_slopes` for one user, in plain floats (same formulas, same guards)."""
    D = float(arr.D[k])
    q = float(arr.q[k])
    if not (D > 0 and math.isfinite(b) and b > 0 and t > 0):
        return 0.0
    if arr.rate == "fixed_snr":
        w = D / (t * t * q)
    else:
        x = q / b
        lg = math.log1p(x)
        y = x / (1.0 + x)
        rp = lg - y
        if not rp > _REL * (lg + y):
            return 0.0
        w = D * LN2 / (t * t * rp)
    return w * _W_SHRINK if math.isfinite(w) and w > 0 else 0.0


class Timeline:
    """Incremental form of the feasibility check (decoupling conditions (i) and (ii)), with the
    judge's tolerances: (i) ``F_n <= T_tol,n``, (ii) ``sum_n beta(L_n) <= B_tol``, ``L`` from exact T.

    Holds a feasible order and answers ``can_push(k)``: would appending user k keep every user
    served and the least total bandwidth within B? The answer is the one of
    :func:`is_feasible_order` on the extended order (up to float rounding of the sums).

    **Latest starts.** Appending k shifts the latest starts to ``L'_n = P_n + min(M_n, G_k)`` where
    ``P`` are the start offsets, ``G_n = T_n - e_n - P_n`` and ``M_n = min_{j>=n} G_j`` is
    non-decreasing in n, so only the suffix with ``M_n > G_k`` (from ``cut`` on) changes. With a
    common deadline that suffix is the whole order, and checking (ii) exactly costs O(N) Lambert W
    evaluations per append (O(N^2) for a run). Bounds decide most checks in O(1) instead:

    **Floor of the latest starts.** Let ``S_n`` be the zero-upload start of position n, ``H`` a
    bound on every zero-upload finish (all inference times plus each user's dearest load) and
    ``delta = 2 max {T_tol,j - T_j : T_j <= 2H}`` plus a rounding allowance. *Claim:* for every
    extension of the order that satisfies (i), ``L_n >= sigma_n := S_n - delta``.
    *Proof.* Zero-upload starts satisfy ``S_{j+1} >= S_j + gap_j`` (sequential:
    ``S_{j+1} = F_j + tL = S_j + e_j + tL``; pipelined: ``S_{j+1} = max(E_{j+1}, F_j) >= S_j + e_j``),
    so ``S_j >= S_n + P_j - P_n`` for ``j >= n``. (i) gives ``S_j + e_j = F_j <= T_tol,j``, and
    ``F_j <= T_j`` unless ``T_j < F_j <= H``; so ``F_j <= T_j + delta`` and
    ``G_j = T_j - e_j - P_j >= S_j - P_j - delta >= S_n - P_n - delta``. The minimum over ``j >= n``
    gives ``L_n = P_n + M_n >= S_n - delta``. ∎ ``S_n`` never changes once n is pushed, and
    ``beta`` is decreasing, so ``b_n = beta(L_n) <= s_n := beta(sigma_n)`` for good.

    **References.** Each position keeps ``b_n = beta(Lr_n)`` at a reference latest start
    ``Lr_n = P_n + R_n >= L_n`` (exact, ``R_n = M_n``, for positions below ``dirty``), the tangent
    slope ``w_n = -beta'(Lr_n)`` and the chord slope ``c_n = (s_n - b_n) / (Lr_n - sigma_n)``.
    ``beta`` is convex, so for every new latest start ``L' in [sigma_n, Lr_n]``, with
    ``Delta_n = Lr_n - L' = R_n - min(M_n, G_k)``:

        b_n + w_n Delta_n  <=  beta(L')  <=  b_n + c_n Delta_n      (tangent below, chord above)

    Summed over positions with prefix sums of ``b, w, w R, c, c R`` (``Delta`` is ``R_n - G_k``
    from ``cut`` on and ``R_n - M_n``, zero where exact, before), both bounds of the new total cost
    O(1) plus the stale part ``[dirty, cut)``. k is accepted when the upper bound is ``<= B`` (the
    exact B: the margin ``B_tol - B`` and explicit allowances absorb the rounding of the closed
    forms and of the sums), rejected when the lower bound exceeds ``B_tol``; only the remaining
    band evaluates the suffix exactly (then every value becomes exact again). Appending only
    lowers latest starts, so references stay valid (``Lr >= L``) until :meth:`pop`, which puts
    back the values they replaced. Positions whose ``s_n`` is infinite (``sigma_n`` below the
    least upload time: ``S_n = 0`` with the model resident, Shannon's ``t_min``) have no chord:
    up to ``_X_CAP`` of them (the set X) are evaluated exactly in each upper bound, beyond that
    the upper bound is off.

    **Lazy exact values.** After an acceptance by the bound the changed suffix is stale:
    ``b[:dirty]`` is exact, ``b[dirty:n]`` are reference values. ``M`` is always exact (cheap;
    :meth:`can_push` bisects it). Exact values are recomputed (:meth:`_refresh`) only for an exact
    test, after an exact test rejects (so that the next bounds are tight), or when :attr:`total`
    is read. The slopes, ``s_n`` and the prefix sums are brought up to date only when a bound is
    evaluated.

    **Which test.** A check whose changed suffix has at most ``_DIRECT`` positions is done exactly
    (as before: per-user deadlines mostly change nothing), provided refreshing the stale prefix it
    needs fits the *credit*: every check decided by the bounds earns ``_CREDIT`` betas, a refresh
    spends its length. So a per-user-deadline run that went stale after a long suffix returns to
    exact values after a few checks, while refreshing never costs more than O(1) betas per check
    on average (a common deadline, where every suffix is the whole order, never refreshes).

    Cost: a check that the bounds decide costs one beta (``beta_k(L_k)``), one ``s_n`` per pushed
    position, ``|X|`` scalar betas, O(changed suffix) float copies of ``M`` and O(1) amortized
    float work; an exact test costs O(stale prefix + changed suffix) betas. With a common deadline
    and a loose budget, a run of N appends costs O(N) betas (it was O(N^2)). ``push``/``pop`` keep
    an undo log when ``undo=True`` (brute force, local search); :meth:`snapshot`/:meth:`restore`
    save and reset the whole state.
    """

    def __init__(self, arr: ProblemArrays, undo: bool = True):
        self.arr = arr
        cap = arr.K + 1
        self.users = np.zeros(cap, dtype=np.int64)
        self.P = np.zeros(cap)
        self.G = np.zeros(cap)
        self.M = np.zeros(cap)
        self.F = np.zeros(cap)  # zero-upload finish times
        self.E = np.zeros(cap)  # model-ready times (pipelined)
        self.S = np.zeros(cap)  # zero-upload start times
        self._Q = np.zeros((cap, 5))  # references: b, R, w, c, no-chord flag
        self._Q[:, _NO] = 1.0
        # derived data, brought up to date lazily (only the bounds read them): slopes (columns
        # w, c, no of _Q) and prefix sums _C valid below _dok; stale sums _Z valid up to _zok
        self._C = np.zeros((cap + 1, _NCOL))
        self._Z = np.zeros((cap + 1, 3))
        self._dok = 0
        self._zok = 0
        self._s = np.zeros(cap)  # s_n = beta(S_n - delta), known below _nsig
        self._isx = np.zeros(cap, dtype=bool)
        self._xpos: list[int] = []  # the set X: positions counted exactly in the upper bound
        self._nsig = 0
        self.n = 0
        self.dirty = 0
        self._total: float | None = 0.0  # exact total of b when known (then dirty >= n)
        self._credit = 0.0  # betas that refreshing a stale prefix may spend (see can_push)
        self._delta = self._floor_margin(arr)
        self._undo: list[tuple] | None = [] if undo else None
        self._pending: tuple | None = None

    @staticmethod
    def _floor_margin(arr: ProblemArrays) -> float:
        """``delta`` of the class docstring: how far a latest start may fall below the
        zero-upload start (deadline tolerance of users that can finish late, and rounding)."""
        if not arr.K:
            return 0.0
        worst = np.max(arr.tL, axis=0) if arr.M else np.zeros(0)
        load = np.maximum(arr.tL0, worst)[arr.model]
        H = float(np.sum(arr.e) + np.sum(load))
        late = arr.T <= 2.0 * H
        t_max = max(H, float(np.max(arr.T[late]))) if late.any() else H
        tol = float(np.max(arr.T_tol[late] - arr.T[late])) if late.any() else 0.0
        return 2.0 * tol + 8.0 * (arr.K + 2) * _EPS * t_max

    # -- queries --------------------------------------------------------------------------
    @property
    def order(self) -> np.ndarray:
        return self.users[: self.n].copy()

    @property
    def gpu_finish(self) -> float:
        """Zero-upload finish of the last user: the GPU's own busy time, the SPEC §4 tie-break."""
        return float(self.F[self.n - 1]) if self.n else 0.0

    @property
    def last_model(self) -> int:
        return int(self.arr.model[self.users[self.n - 1]]) if self.n else -1

    @property
    def b(self) -> np.ndarray:
        """``beta_{k_n}(P_n + R_n)`` per position (a view): the exact ``beta_{k_n}(L_n)`` below
        :attr:`dirty`, a reference value (at a later latest start) from there on."""
        return self._Q[:, _B]

    @property
    def total(self) -> float:
        """Least total bandwidth ``sum_n beta_{k_n}(L_n)`` of the current order (brought up to
        date on read: O(stale suffix) betas after appends that a bound accepted)."""
        self._refresh(self.n)
        assert self._total is not None  # set by _refresh
        return self._total

    def next_times(self, k: int) -> tuple[float, float, float]:
        """``(E, S, F)`` of user k if appended now (zero upload time)."""
        arr = self.arr
        m = arr.model[k]
        load = arr.tL0[m] if self.n == 0 else arr.tL[arr.model[self.users[self.n - 1]], m]
        Fp = self.F[self.n - 1] if self.n else 0.0
        if arr.overlap == "sequential":
            E = Fp + load
            S = E
        else:
            E = (self.E[self.n - 1] if self.n else 0.0) + load
            S = max(E, Fp)
        return E, S, S + arr.e[k]

    # -- references and their prefix sums ----------------------------------------------------
    def _betas(self, users: np.ndarray, t: np.ndarray) -> np.ndarray:
        """``beta`` of the given users at times t (plain floats for short arrays)."""
        arr = self.arr
        if len(users) <= _SHORT:
            return np.array([arr.beta_one(int(u), float(x)) for u, x in zip(users, t)], dtype=float)
        return arr.beta(users, t)

    def _save(self, lo: int, hi: int) -> None:
        """Log ``b, R`` of positions ``lo..hi-1`` in the last push's undo record before they change
        (records are immutable tuples: a snapshot may share them)."""
        undo = self._undo
        if undo and lo < hi:
            cut, dirty, total, saved = undo[-1]
            undo[-1] = (cut, dirty, total, saved + ((lo, self._Q[lo:hi, :2].copy()),))

    def _derive(self, lo: int, hi: int) -> None:
        """Slopes of positions ``lo..hi-1`` from their references (``b``, ``R``) and ``s``."""
        if lo >= hi:
            return
        if hi - lo <= _SHORT:
            for i in range(lo, hi):
                self._derive_one(i)
            return
        Q = self._Q[lo:hi]
        b, R = Q[:, _B], Q[:, _R]
        L = self.P[lo:hi] + R
        Q[:, _W] = _tangent_slopes(self.arr, self.users[lo:hi], L, b)
        sig = self.S[lo:hi] - self._delta
        s = self._s[lo:hi]
        den = L - sig
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            c = (s - b) / den * _C_GROW
        ok = (
            np.isfinite(c)
            & (s >= b)
            & (den > _REL * (np.abs(L) + np.abs(sig) + self._delta))
            & (np.arange(lo, hi) < self._nsig)
        )
        isx = self._isx[lo:hi]
        Q[:, _CH] = np.where(ok & ~isx, c, 0.0)
        Q[:, _NO] = np.where(ok | isx, 0.0, 1.0)

    def _derive_one(self, i: int) -> None:
        """:meth:`_derive` of one position, in plain floats."""
        row = self._Q[i]
        b, R = float(row[_B]), float(row[_R])
        L = float(self.P[i]) + R
        row[_W] = _tangent_slope_one(self.arr, int(self.users[i]), L, b)
        if self._isx[i]:
            row[_CH], row[_NO] = 0.0, 0.0
            return
        sig = float(self.S[i]) - self._delta
        s = float(self._s[i])
        den = L - sig
        ok = i < self._nsig and s >= b and den > _REL * (abs(L) + abs(sig) + self._delta)
        c = (s - b) / den * _C_GROW if ok else math.inf
        if math.isfinite(c):
            row[_CH], row[_NO] = c, 0.0
        else:
            row[_CH], row[_NO] = 0.0, 1.0

    def _touch(self, lo: int) -> None:
        """References (or ``s``) of positions from lo on changed: their derived data is stale."""
        if lo < self._dok:
            self._dok = lo
        if lo < self._zok:
            self._zok = lo

    def _ensure(self) -> None:
        """Bring the slopes and the prefix sums ``_C`` up to date (from ``_dok`` to n)."""
        lo, n = self._dok, self.n
        if lo < n:
            self._derive(lo, n)
            self._prefix(lo)
        self._dok = n

    def _prefix(self, lo: int) -> None:
        """Prefix sums ``_C`` of the bound terms from position lo to n."""
        n = self.n
        if lo >= n:
            return
        if n - lo <= _SHORT:
            C = self._C
            acc = C[lo].tolist()
            for i, (b, R, w, c, no) in enumerate(self._Q[lo:n].tolist(), lo + 1):
                wR, cR = w * R, c * R
                for j, v in enumerate((b, w, wR, abs(wR), c, cR, abs(cR), no)):
                    acc[j] += v
                C[i] = acc
            return
        Q = self._Q[lo:n]
        w, c, R = Q[:, _W], Q[:, _CH], Q[:, _R]
        wR, cR = w * R, c * R
        terms = np.stack((Q[:, _B], w, wR, np.abs(wR), c, cR, np.abs(cR), Q[:, _NO]), axis=1)
        self._C[lo + 1 : n + 1] = self._C[lo] + np.cumsum(terms, axis=0)

    def _refresh(self, hi: int) -> None:
        """Make ``b[:hi]`` exact (``beta(P + M)``); sets the exact total when ``hi >= n``."""
        d = self.dirty
        if d < hi:
            self._save(d, hi)
            self._Q[d:hi, _R] = self.M[d:hi]
            self._Q[d:hi, _B] = self._betas(self.users[d:hi], self.P[d:hi] + self.M[d:hi])
            self._touch(d)
            self.dirty = hi
        if hi >= self.n and self._total is None:
            self._total = float(self.b[: self.n].sum())

    def _sync(self) -> None:
        """Compute ``s_n`` (vectorized) and the chords of the positions pushed since the last sync."""
        ns, n = self._nsig, self.n
        if ns >= n:
            return
        if n == ns + 1:  # the usual case: the last push only
            s = self.arr.beta_one(int(self.users[ns]), float(self.S[ns]) - self._delta)
            self._s[ns] = s
            missing = [] if math.isfinite(s) else [0]
        else:
            sv = self._s[ns:n] = self._betas(self.users[ns:n], self.S[ns:n] - self._delta)
            missing = np.flatnonzero(~np.isfinite(sv)).tolist()
        for j in missing:
            if len(self._xpos) >= _X_CAP:
                break
            self._xpos.append(ns + j)
            self._isx[ns + j] = True
        self._nsig = n
        self._touch(ns)

    def _bounds(self, cut: int, G: float) -> tuple[float, float, float]:
        """Lower and upper bounds of ``sum_n beta(L'_n)`` over the current positions once their
        latest starts move to ``P_n + min(M_n, G)`` (X counted at its reference values; upper
        ``inf`` when a chord is missing), and an allowance for the rounding of both."""
        n, d = self.n, self.dirty
        b, w, wR, wRa, c, cR, cRa, no = self._C[n].tolist()
        _, w0, wR0, _, c0, cR0, _, _ = self._C[cut].tolist()
        low = b + ((wR - wR0) - G * (w - w0))
        no -= float(self._C[min(d, cut), _C_NO])  # a missing chord matters only where L moves
        up = b + ((cR - cR0) - G * (c - c0)) if no < 0.5 else math.inf
        err = b + wRa + cRa + abs(G) * (w + c)
        if d < cut:  # stale positions that keep their latest starts P + M
            z = self._stale_sums(cut) - self._Z[d]
            low += float(z[0])
            up += float(z[1])
            err += float(z[2])
        return low, up, 4.0 * (n + 8) * _EPS * err

    def _stale_sums(self, hi: int) -> np.ndarray:
        """``_Z[hi]``: sums over positions below hi of ``w (R - M)``, ``c (R - M)`` and the
        rounding scale ``(w + c)(|R| + |M|)`` (zero terms where exact), extended lazily: a
        per-user-deadline run keeps a long stale stretch whose terms do not change."""
        lo = self._zok
        if lo < hi and hi - lo <= _SHORT:
            Z = self._Z
            z0, z1, z2 = Z[lo].tolist()
            for i, (m, (_, R, w, c, _)) in enumerate(zip(self.M[lo:hi].tolist(), self._Q[lo:hi].tolist()), lo + 1):
                dR = R - m
                z0 += w * dR
                z1 += c * dR
                z2 += (w + c) * (abs(R) + abs(m))
                Z[i] = (z0, z1, z2)
            self._zok = hi
        elif lo < hi:
            Q, M = self._Q[lo:hi], self.M[lo:hi]
            w, c, R = Q[:, _W], Q[:, _CH], Q[:, _R]
            dR = R - M
            terms = np.stack((w * dR, c * dR, (w + c) * (np.abs(R) + np.abs(M))), axis=1)
            self._Z[lo + 1 : hi + 1] = self._Z[lo] + np.cumsum(terms, axis=0)
            self._zok = hi
        return self._Z[hi]

    # -- the check --------------------------------------------------------------------------
    def can_push(self, k: int) -> bool:
        """Would appending k keep the order feasible? Leaves the result ready for :meth:`push`."""
        arr = self.arr
        E, S, F = self.next_times(k)
        self._pending = None
        if F > arr.T_tol[k]:
            return False
        n = self.n
        if n:
            prev = self.users[n - 1]
            gap = arr.e[prev] + (arr.tL[arr.model[prev], arr.model[k]] if arr.overlap == "sequential" else 0.0)
            P = self.P[n - 1] + gap
        else:
            P = 0.0
        G = float(arr.T[k] - arr.e[k] - P)
        bk = arr.beta_one(k, P + G)
        if not bk <= arr.B_tol:
            return False
        cut = int(np.searchsorted(self.M[:n], G, side="right")) if n else 0
        stale = cut - self.dirty
        if n - cut > _DIRECT or stale > max(_DIRECT, self._credit):
            self._credit += _CREDIT
            self._sync()
            self._ensure()
            low, up, err = self._bounds(cut, G)
            if low + bk - err > arr.B_tol * (1.0 + _LOW_RTOL):
                return False  # the tangents already exceed the budget
            up += bk + err
            if up <= arr.B:
                users, Pa, Ma, b = self.users, self.P, self.M, self.b
                for i in self._xpos:
                    up += arr.beta_one(int(users[i]), float(Pa[i]) + min(float(Ma[i]), G)) - float(b[i])
                    if not up <= arr.B:
                        break
                else:
                    self._pending = (k, E, S, F, P, G, cut, bk, None, None)
                    return True
        # exact test of (ii), as is_feasible_order
        if stale > 0:
            self._credit = max(0.0, self._credit - stale)
            self._refresh(cut)
        if cut < n:
            nb = self._betas(self.users[cut:n], self.P[cut:n] + G)
            total = float(self.b[:cut].sum() + nb.sum()) + bk
        else:
            nb = None
            total = (self.total if self._total is None else self._total) + bk
        if not total <= arr.B_tol:
            self._refresh(n)  # the next bounds start from exact values
            return False
        self._pending = (k, E, S, F, P, G, cut, bk, nb, total)
        return True

    def push(self, k: int) -> bool:
        """Append k if feasible; returns whether it was appended."""
        if self._pending is None or self._pending[0] != k:
            if not self.can_push(k):
                return False
        pending = self._pending
        assert pending is not None  # set by can_push
        k, E, S, F, P, G, cut, bk, nb, total = pending
        self._pending = None
        n = self.n
        if self._undo is not None:
            self._undo.append((cut, self.dirty, self._total, ()))
        if cut < n:
            self.M[cut:n] = G
            self._zok = min(self._zok, cut)
        self.users[n], self.E[n], self.S[n], self.F[n], self.P[n], self.G[n], self.M[n] = k, E, S, F, P, G, G
        self._Q[n, _B], self._Q[n, _R] = bk, G
        self._isx[n] = False
        self.n = n + 1
        if total is None:  # accepted by the bound: the changed suffix goes stale
            self.dirty = min(self.dirty, cut)
            self._total = None
            lo = n
        else:
            if nb is not None:
                self._save(cut, n)
                self._Q[cut:n, _B] = nb
                self._Q[cut:n, _R] = G
            self.dirty = n + 1
            self._total = total
            lo = cut
        self._touch(lo)
        return True

    def pop(self) -> int:
        """Undo the last push (needs ``undo=True``)."""
        if self._undo is None:
            raise RuntimeError("Timeline was built with undo=False")
        self._pending = None
        cut, dirty, total, saved = self._undo.pop()
        n = self.n = self.n - 1
        if cut < n:  # M is the suffix minimum of G (min is exact: the old values come back bit for bit)
            self.M[cut:n] = np.minimum.accumulate(self.G[cut:n][::-1])[::-1]
        lo = cut
        for start, q in reversed(saved):
            self._Q[start : start + len(q), :2] = q
            if start < lo:
                lo = start
        self.dirty, self._total = dirty, total
        # s_i and membership of X depend only on the positions up to i: they stay valid below n
        self._nsig = min(self._nsig, n)
        while self._xpos and self._xpos[-1] >= n:
            self._isx[self._xpos.pop()] = False
        self._touch(min(lo, n))  # lo <= cut: the stale sums of the restored M go too
        return int(self.users[n])

    def push_all(self, users) -> Timeline:
        """Append each user in turn, skipping those that would break feasibility."""
        for k in users:
            self.push(int(k))
        return self

    def truncate(self, n: int) -> None:
        """Pop back to length n."""
        while self.n > n:
            self.pop()

    _STATE = ("users", "P", "G", "M", "F", "E", "S", "_Q", "_s", "_isx")

    def snapshot(self) -> tuple:
        """The current state, for :meth:`restore` (cheaper than re-pushing a long tail)."""
        n = self.n
        undo = None if self._undo is None else list(self._undo)
        return (
            n,
            self.dirty,
            self._total,
            self._nsig,
            [getattr(self, a)[:n].copy() for a in self._STATE],
            self._dok,
            self._C[: self._dok + 1].copy(),
            self._zok,
            self._Z[: self._zok + 1].copy(),
            list(self._xpos),
            undo,
        )

    def restore(self, snap: tuple) -> None:
        """Return to a state taken by :meth:`snapshot`."""
        n, self.dirty, self._total, self._nsig, state, self._dok, C, self._zok, Z, xpos, undo = snap
        self.n = n
        for a, v in zip(self._STATE, state):
            getattr(self, a)[:n] = v
        self._C[: self._dok + 1] = C
        self._Z[: self._zok + 1] = Z
        self._xpos = list(xpos)
        if undo is not None:
            self._undo = list(undo)
        self._pending = None
