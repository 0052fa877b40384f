"""Online ``split`` variant: Thompson sampling on unknown link congestion (:func:`split_online_ts`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .instance import DC, GB, SHARE, SplitInstance


@dataclass
class SplitOnlineResult:
    """``played``/``oracle``: option index chosen per frame by the learner / by an oracle that
    knows the congestion; ``regret``: cumulative pseudo-regret (loss units); ``loss``: the
    learner's per-frame expected loss."""

    requests: np.ndarray
    played: np.ndarray
    oracle: np.ndarray
    loss: np.ndarray
    regret: np.ndarray
    wall_time: float
    stats: dict[str, Any] = field(default_factory=dict)


def split_online_ts(
    inst: SplitInstance,
    frames: int = 3000,
    seed: int = 0,
    noise: float = 0.3,
    accuracy_weight: float = 1.0,
    congestion: tuple[float, float] = (0.5, 3.0),
) -> SplitOnlineResult:
    """Online variant: Thompson sampling on unknown link congestion.

    Environment (seeded): every directed link ``(source, home)`` has a hidden congestion factor
    ``theta`` (log-uniform in ``congestion``), so a part of ``g`` GB pulled along it takes
    ``theta * d(source, home) * g`` seconds. One request arrives per frame (uniform over the
    instance's requests) and must take one of its affordable options (:meth:`SplitInstance.options`).
    Its loss mixes delay and accuracy, as in the authors' method::

        loss = delay / max_q P_q + accuracy_weight * (-ln acc_k)     (the data center: -ln 1 = 0)

    The learner measures each pulled part's time with log-normal noise (``sigma = noise``) and keeps
    a Gaussian posterior on every link's ``log theta`` (prior N(0, 1), known noise variance). Each
    frame it samples ``log theta`` from the posterior and takes the option of least sampled loss.
    The context is the identity of the links an option uses (informative by construction); the
    authors' per-round restriction to a random subset of context features is not implemented.
    Compute ``F_c`` is not binding with one request per frame and is not checked here.
    Pseudo-regret: ``R_T = sum_t loss(played_t) - loss(oracle_t)``, both with the true ``theta``.
    """
    if frames < 1:
        raise ValueError(f"frames: must be >= 1, got {frames}")
    if not noise > 0:
        raise ValueError(f"noise: must be > 0, got {noise}")
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    n = len(inst.nodes)
    log_theta = rng.uniform(np.log(congestion[0]), np.log(congestion[1]), (n, n))
    acc = {m.id: m.accuracy for m in inst.models}
    size = {m.id: m.size / GB for m in inst.models}
    scale = max(r.penalty for r in inst.requests)
    # per request and option: (link_sh, g_sh, link_sp, g_sp, rest, accuracy term)
    table = []
    for q, r in enumerate(inst.requests):
        h = inst.nodes.index(r.home)
        rows = []
        for k, a, b, delay, _cost in inst.options(q):
            if k == DC:
                rows.append((None, 0.0, None, 0.0, r.penalty, 0.0))
                continue
            ia, ib = inst.nodes.index(a), inst.nodes.index(b)
            d_sh = inst.distance[ia, h] * SHARE * size[k]
            d_sp = inst.distance[ib, h] * (1 - SHARE) * size[k]
            rest = delay - max(d_sh, d_sp)
            rows.append(((ia, h), d_sh, (ib, h), d_sp, rest, -np.log(acc[k])))
        table.append(rows)

    def loss_of(row, lt) -> float:
        l1, d1, l2, d2, rest, acc_term = row
        pull = max(np.exp(lt[l1]) * d1 if l1 else 0.0, np.exp(lt[l2]) * d2 if l2 else 0.0)
        return (pull + rest) / scale + accuracy_weight * acc_term

    mean = np.zeros((n, n))
    prec = np.ones((n, n))  # posterior precision of log theta per link
    obs_prec = 1.0 / noise**2
    reqs = rng.integers(len(inst.requests), size=frames)
    played = np.zeros(frames, dtype=int)
    oracle = np.zeros(frames, dtype=int)
    loss = np.zeros(frames)
    regret = np.zeros(frames)
    total = 0.0
    for t, q in enumerate(reqs):
        rows = table[q]
        sample = mean + rng.standard_normal((n, n)) / np.sqrt(prec)
        o = int(np.argmin([loss_of(row, sample) for row in rows]))
        true = [loss_of(row, log_theta) for row in rows]
        best = int(np.argmin(true))
        played[t], oracle[t], loss[t] = o, best, true[o]
        total += true[o] - true[best]
        regret[t] = total
        l1, d1, l2, d2, _, _ = rows[o]
        for link, g in ((l1, d1), (l2, d2)):
            if link is None or g <= 0:
                continue
            y = log_theta[link] + noise * rng.standard_normal()  # measured log(time / nominal)
            mean[link] = (prec[link] * mean[link] + obs_prec * y) / (prec[link] + obs_prec)
            prec[link] += obs_prec
    return SplitOnlineResult(
        reqs,
        played,
        oracle,
        loss,
        regret,
        time.perf_counter() - t0,
        {
            "seed": seed,
            "noise": noise,
            "accuracy_weight": accuracy_weight,
            "oracle_loss": float(sum(loss_of(table[q][oracle[t]], log_theta) for t, q in enumerate(reqs))),
        },
    )


__all__ = ["SplitOnlineResult", "split_online_ts"]
