"""Numeric view of an :class:`~partialopt.instance.Instance`, built once and shared by all methods."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import bandwidth as bw
from .instance import Instance
from .loading import switch_costs


@dataclass(frozen=True)
class ProblemArrays:
    """Per-user and per-model arrays (index order = the instance's list order).

    ``tL[m', m]`` switch cost, ``tL0[m]`` cost of the first load (from the initial model, or the
    full load of m when the GPU starts empty), ``model[k]`` model index of user k, ``e[k]``,
    ``T[k]``, ``D[k]``, ``q[k]`` (``a = p g / N0`` or ``eta = log2(1+snr)``, see
    :mod:`partialopt.bandwidth`), ``B`` total bandwidth, ``rate`` and ``overlap`` variants.
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

    @classmethod
    def from_instance(cls, inst: Instance) -> "ProblemArrays":
        s = inst.server
        midx = inst.model_index
        model = np.array([midx[u.model] for u in inst.users], dtype=np.int64)
        e_model = np.array([m.inference_time for m in inst.models], dtype=float)
        D = np.array([u.data_bits for u in inst.users], dtype=float)
        if s.rate == "fixed_snr":
            q = np.log2(1.0 + np.array([u.snr for u in inst.users], dtype=float))
        else:
            q = np.array([u.power * u.gain for u in inst.users], dtype=float) / s.noise_psd
        tL, full = switch_costs(inst)
        initial = -1 if s.initial_model is None else midx[s.initial_model]
        tL0 = full.copy() if initial < 0 else tL[initial].copy()
        for a in (model, e_model, D, q, tL, full, tL0):
            a.setflags(write=False)
        return cls(
            K=inst.K,
            M=len(inst.models),
            model=model,
            e_model=e_model,
            e=e_model[model],
            T=np.array([u.deadline for u in inst.users], dtype=float),
            D=D,
            q=q,
            tL=tL,
            full=full,
            tL0=tL0,
            initial=initial,
            B=float(s.total_bandwidth),
            rate=s.rate,
            overlap=s.overlap,
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
        """Earliest start of a served user: its upload time with the whole budget,
        ``D_k / r_k(B)`` (``> tmin_k``); starting earlier would need ``beta_k(s) > B``."""
        users = np.arange(self.K) if users is None else np.asarray(users, dtype=np.int64)
        return self.upload_time(users, np.full(len(users), self.B))

    def servable(self) -> np.ndarray:
        """Users that can be served at all, even alone: ``start_floor_k <= T_k - e_k``
        (every served user starts by ``T_k - e_k``)."""
        return np.flatnonzero(self.start_floor() <= self.T - self.e)

    def upload_time(self, users: np.ndarray, b: np.ndarray) -> np.ndarray:
        users = np.asarray(users, dtype=np.int64)
        return bw.upload_time(b, self.D[users], self.q[users], self.rate)
