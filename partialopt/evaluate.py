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
allocation. :class:`Timeline` is the incremental form of exactly this check (append/undo in
O(affected suffix)), used by greedy, brute force and local search.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .arrays import ProblemArrays, order_gaps  # noqa: F401  (order_gaps re-exported)
from .bandwidth import latest_starts
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


class Timeline:
    """Incremental form of the feasibility check (decoupling conditions (i) and (ii)), with the
    judge's tolerances: (i) ``F_n <= T_tol,n``, (ii) ``sum_n beta(L_n) <= B_tol``, ``L`` from exact T.

    Holds a feasible order and answers ``can_push(k)``: would appending user k keep every user
    served and the least total bandwidth within B? Appending k shifts the latest starts to
    ``L'_n = P_n + min(M_n, G_k)`` where ``P`` are the start offsets, ``G_n = T_n - e_n - P_n``
    and ``M_n = min_{j>=n} G_j`` is non-decreasing in n, so only the suffix with ``M_n > G_k``
    changes: the check costs O(that suffix), not O(N).
    ``push``/``pop`` keep an undo log when ``undo=True`` (brute force, local search).
    """

    def __init__(self, arr: ProblemArrays, undo: bool = True):
        self.arr = arr
        cap = arr.K + 1
        self.users = np.zeros(cap, dtype=np.int64)
        self.P = np.zeros(cap)
        self.G = np.zeros(cap)
        self.M = np.zeros(cap)
        self.b = np.zeros(cap)  # beta_{k_n}(L_n) for the current order
        self.F = np.zeros(cap)  # zero-upload finish times
        self.E = np.zeros(cap)  # model-ready times (pipelined)
        self.n = 0
        self.total = 0.0
        self._undo: list[tuple] | None = [] if undo else None
        self._pending: tuple | None = None

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
        G = arr.T[k] - arr.e[k] - P
        bk = arr.beta_one(k, P + G)
        cut = int(np.searchsorted(self.M[:n], G, side="right"))
        if cut < n:
            if n - cut <= 8:  # short suffix: plain floats beat numpy's per-call overhead
                nb = np.array([arr.beta_one(int(u), float(p) + G) for u, p in zip(self.users[cut:n], self.P[cut:n])])
            else:
                nb = arr.beta(self.users[cut:n], self.P[cut:n] + G)
            total = float(self.b[:cut].sum() + nb.sum()) + bk
        else:
            nb = None
            total = self.total + bk
        if not total <= arr.B_tol:
            return False
        self._pending = (k, E, F, P, G, bk, cut, nb, total)
        return True

    def push(self, k: int) -> bool:
        """Append k if feasible; returns whether it was appended."""
        if self._pending is None or self._pending[0] != k:
            if not self.can_push(k):
                return False
        pending = self._pending
        assert pending is not None  # set by can_push
        k, E, F, P, G, bk, cut, nb, total = pending
        self._pending = None
        n = self.n
        if self._undo is not None:
            self._undo.append((cut, self.M[cut:n].copy(), self.b[cut:n].copy(), self.total))
        if nb is not None:
            self.b[cut:n] = nb
            self.M[cut:n] = G
        self.users[n], self.E[n], self.F[n], self.P[n], self.G[n], self.M[n], self.b[n] = k, E, F, P, G, G, bk
        self.total = total
        self.n = n + 1
        return True

    def pop(self) -> int:
        """Undo the last push (needs ``undo=True``)."""
        if self._undo is None:
            raise RuntimeError("Timeline was built with undo=False")
        self._pending = None
        cut, M, b, total = self._undo.pop()
        self.n -= 1
        n = self.n
        self.M[cut:n] = M
        self.b[cut:n] = b
        self.total = total
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

    def snapshot(self) -> tuple:
        """The current state, for :meth:`restore` (cheaper than re-pushing a long tail)."""
        n = self.n
        return (
            n,
            self.total,
            self.users[:n].copy(),
            self.P[:n].copy(),
            self.G[:n].copy(),
            self.M[:n].copy(),
            self.b[:n].copy(),
            self.F[:n].copy(),
            self.E[:n].copy(),
            None if self._undo is None else list(self._undo),
        )

    def restore(self, snap: tuple) -> None:
        """Return to a state taken by :meth:`snapshot`."""
        n, self.total, users, P, G, M, b, F, E, undo = snap
        self.n = n
        self.users[:n], self.P[:n], self.G[:n], self.M[:n], self.b[:n], self.F[:n], self.E[:n] = users, P, G, M, b, F, E
        if undo is not None:
            self._undo = undo
        self._pending = None
