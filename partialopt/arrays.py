"""Numeric view of an :class:`~partialopt.instance.Instance`, built once and shared by all methods."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import bandwidth as bw
from .core.tolerances import budget_tol, deadline_tol
from .instance import Instance
from .loading import switch_costs


@dataclass(frozen=True)
class ProblemArrays:
    """Per-user and per-model arrays (index order = the instance's list order).

    ``tL[m', m]`` switch cost, ``tL0[m]`` cost of the first load (from the initial model, or the
    full load of m when the GPU starts empty), ``model[k]`` model index of user k, ``e[k]``,
    ``T[k]``, ``D[k]``, ``q[k]`` (``a = p g / N0`` or ``eta = log2(1+snr)``, see
    :mod:`partialopt.bandwidth`), ``B`` total bandwidth, ``rate`` and ``overlap`` variants.
    ``T_tol = T (1 + TIME_RTOL)`` and ``B_tol = B (1 + BW_RTOL)`` are the deadlines and budget as
    the judge applies them (:mod:`partialopt.core.tolerances`): every acceptance test and every
    filter or bound compares with them; latest starts use the exact ``T``.
    """

    K: int
    M: int
    model: np.ndarray
    e_model: np.ndarray
    e: np.ndarray
    T: np.ndarray
    D: np.ndarray
    q: np.ndarray
    tL: np.ndarray
    full: np.ndarray
    tL0: np.ndarray
    initial: int
    B: float
    rate: str
    overlap: str
    T_tol: np.ndarray
    B_tol: float

    @classmethod
    def from_instance(cls, inst: Instance) -> ProblemArrays:
        s = inst.server
        midx = inst.model_index
        model = np.array([midx[u.model] for u in inst.users], dtype=np.int64)
        e_model = np.array([m.inference_time for m in inst.models], dtype=float)
        D = np.array([u.data_bits for u in inst.users], dtype=float)
        if s.rate == "fixed_snr":
            q = np.log2(1.0 + np.array([u.snr for u in inst.users], dtype=float))
        else:
            # power and gain are validated present and positive under the shannon rate
            q = (
                np.array([u.power for u in inst.users], dtype=float)
                * np.array([u.gain for u in inst.users], dtype=float)
                / s.noise_psd
            )
        tL, full = switch_costs(inst)
        initial = -1 if s.initial_model is None else midx[s.initial_model]
        tL0 = full.copy() if initial < 0 else tL[initial].copy()
        T = np.array([u.deadline for u in inst.users], dtype=float)
        T_tol = deadline_tol(T)
        for a in (model, e_model, D, q, tL, full, tL0, T, T_tol):
            a.setflags(write=False)
        return cls(
            K=inst.K,
            M=len(inst.models),
            model=model,
            e_model=e_model,
            e=e_model[model],
            T=T,
            D=D,
            q=q,
            tL=tL,
            full=full,
            tL0=tL0,
            initial=initial,
            B=float(s.total_bandwidth),
            rate=s.rate,
            overlap=s.overlap,
            T_tol=T_tol,
            B_tol=budget_tol(s.total_bandwidth),
        )

    def switch(self, prev_model: int, model: int) -> float:
        """tL(prev -> model); ``prev_model = -1`` means the state at time 0."""
        return float(self.tL0[model] if prev_model < 0 else self.tL[prev_model, model])

    def beta(self, users: np.ndarray, t: np.ndarray) -> np.ndarray:
        """beta_k(t) for the given user indices."""
        users = np.asarray(users, dtype=np.int64)
        return bw.beta(t, self.D[users], self.q[users], self.rate)

    def beta_one(self, k: int, t: float) -> float:
        """beta_k(t) for one user (plain floats)."""
        return bw.beta_one(t, float(self.D[k]), float(self.q[k]), self.rate)

    def beta_slope(self, users: np.ndarray, t: np.ndarray) -> np.ndarray:
        users = np.asarray(users, dtype=np.int64)
        return bw.beta_slope(t, self.D[users], self.q[users], self.rate)

    def t_min(self, users: np.ndarray | None = None) -> np.ndarray:
        users = np.arange(self.K) if users is None else np.asarray(users, dtype=np.int64)
        return bw.t_min(self.D[users], self.q[users], self.rate)

    def start_floor(self, users: np.ndarray | None = None) -> np.ndarray:
        """Earliest inference start that the upload allows: the upload time with the whole
        tolerant budget, ``tU_k(B_tol) = D_k / r_k(B_tol)`` (``> tmin_k``; 0 when ``D_k = 0``).
        The judge gives k some ``b_k <= B_tol`` and ``tU`` decreases in b, so every accepted
        schedule starts k at ``S >= tU_k(b_k) >= tU_k(B_tol)``: a relaxation of the judge."""
        users = np.arange(self.K) if users is None else np.asarray(users, dtype=np.int64)
        return self.upload_time(users, np.full(len(users), self.B_tol))

    def servable(self) -> np.ndarray:
        """Users that some schedule accepted by the judge could serve, judged on the upload alone:
        ``start_floor_k + e_k <= T_tol,k``.

        It relaxes the judge by construction: it computes, with the same float operations as the
        judge, the finish of k given the whole tolerant budget and a model ready at time 0 (the
        judge's ``S = max(E, tU(b)) >= tU(B_tol)``, ``F = S + e <= T_tol``). The equivalent closed
        form ``beta_k(T_tol,k - e_k) <= B_tol`` is not used: it inverts the rate through Lambert W
        and its rounding could reject a user the judge accepts. The load ``tL0(m_k)`` is left out
        on purpose: the formulations index their variables by these candidates, and a user that
        can never be loaded in time stays a candidate that the MILP simply does not serve."""
        return np.flatnonzero(self.start_floor() + self.e <= self.T_tol)

    def upload_time(self, users: np.ndarray, b: np.ndarray) -> np.ndarray:
        users = np.asarray(users, dtype=np.int64)
        return bw.upload_time(b, self.D[users], self.q[users], self.rate)


def order_gaps(arr: ProblemArrays, users: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per position of the order ``users`` (user indices): the load time ``tL(m_{n-1} -> m_n)``
    and the start-to-start gap used by the latest-start recursion (``e_n + tL(n -> n+1)``
    sequential, ``e_n`` pipelined). (Re-exported by :mod:`partialopt.evaluate`.)"""
    m = arr.model[users]
    load = np.empty(len(users))
    if len(users):
        load[0] = arr.tL0[m[0]]
        load[1:] = arr.tL[m[:-1], m[1:]]
    gap = arr.e[users].copy()
    if arr.overlap == "sequential" and len(users) > 1:
        gap[:-1] += load[1:]
    return load, gap


def exact_check(arr: ProblemArrays, users: np.ndarray) -> tuple[int, np.ndarray | None]:
    """Both conditions of SPEC §5 on the sequential timeline with the exact ``T`` (the judge's
    tolerances left as a margin for rounding): the index of the first user whose zero-upload
    finish is above its deadline, or -1 and ``beta(L_n)`` per place (inf where no bandwidth meets
    ``L_n``), so that the order passes iff ``sum <= B``."""
    users = np.asarray(users, dtype=np.int64)
    load, gap = order_gaps(arr, users)
    late = np.flatnonzero(np.cumsum(load + arr.e[users]) > arr.T[users])
    if len(late):
        return int(late[0]), None
    with np.errstate(divide="ignore", invalid="ignore"):
        b = arr.beta(users, bw.latest_starts(arr.T[users], arr.e[users], gap))
    return -1, np.where(np.isfinite(b), b, np.inf)


def moore_hodgson(p: np.ndarray, due: np.ndarray) -> int:
    """Most jobs on time on one machine (processing times ``p``, due dates ``due``): the
    Moore-Hodgson algorithm (EDF, dropping the longest job whenever one is late), exact for
    ``1 || sum U_j``. O(n log n)."""
    import heapq

    t = 0.0
    heap: list[float] = []
    for i in np.lexsort((np.arange(len(due)), due)):
        heapq.heappush(heap, -float(p[i]))
        t += float(p[i])
        if t > due[i]:
            t += heapq.heappop(heap)
    return len(heap)


SHIFT_RTOL = 1e-12
"""Relative slack given back to the due dates of the Moore-Hodgson and setup bounds (``T_tol - t0 +
1e-12 T_tol``, also when ``t0 = 0``): those bounds sum the same times in another order than the
judge, so a schedule finishing exactly at ``T_tol`` must not be lost to rounding (1e-12 is far
above rounding, far below ``TIME_RTOL``)."""


def first_load(arr: ProblemArrays) -> float:
    """``t0 = min_m tL0(m)`` over the models that users request: no inference starts before the
    first load ends (``S_1 >= E_1 = tL0(m_1)`` in both timelines, and every later start is later),
    whichever users are served; 0 with a requested model resident at time 0."""
    return float(arr.tL0[arr.model].min()) if arr.K else 0.0


def shifted(due: np.ndarray | float, t0: float, scale: np.ndarray | None = None) -> np.ndarray:
    """Due dates ``due - t0`` (jobs then run from time 0) plus the :data:`SHIFT_RTOL` slack relative
    to ``scale`` (the judge's ``T_tol``; ``due`` itself when None), whatever ``t0``."""
    due = np.asarray(due, dtype=float)
    ref = due if scale is None else np.asarray(scale, dtype=float)
    return due - t0 + SHIFT_RTOL * np.abs(ref)


def moore_hodgson_bound(arr: ProblemArrays, users: np.ndarray | None = None) -> int:
    """Upper bound on the number served: :func:`moore_hodgson` with processing times ``e_k`` and
    due dates ``T_tol,k - t0`` (:func:`first_load`: the inferences run one at a time after the
    first load; valid for any subset of users; :func:`shifted`'s slack). Later loads and uploads
    only add time, so the served set of any schedule the judge accepts is on time there too (with
    the judge's tolerant due dates)."""
    users = np.arange(arr.K) if users is None else np.asarray(users, dtype=np.int64)
    if not len(users):
        return 0
    return moore_hodgson(arr.e[users], shifted(arr.T_tol[users], first_load(arr)))
