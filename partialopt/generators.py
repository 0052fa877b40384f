"""Seeded random instances for tests, cross-checks and sweeps.

Two sharing structures (SPEC §6):

- ``"backbone"``: models fall into clusters; the models of a cluster share one backbone block
  set and own the rest; nothing is shared across clusters.
- ``"general"``: each model is a random subset of a common block pool, so blocks are shared at
  arbitrary positions.

Radio side: users at a distance ``d`` (m) from the server with path loss
``PL(dB) = 128.1 + 37.6 log10(d / 1000)`` (3GPP macro cell), transmit power ``p`` = 0.2 W,
noise PSD -174 dBm/Hz; ``fixed_snr`` users get an SNR drawn from 5-25 dB.
Deadlines are drawn relative to the instance's total work ``H = sum_k e_k + sum_m full(m)``
so that a fraction of the users fit, and never below the user's inference time.
"""

from __future__ import annotations

import numpy as np

from .instance import Block, Instance, Model, Server, User

NOISE_PSD = 10 ** (-174 / 10) / 1000  # -174 dBm/Hz in W/Hz (3.98e-21)


def path_loss_gain(distance_m: np.ndarray) -> np.ndarray:
    """Linear channel gain from the 3GPP macro path loss ``128.1 + 37.6 log10(d_km)`` dB."""
    pl_db = 128.1 + 37.6 * np.log10(np.asarray(distance_m, dtype=float) / 1000.0)
    return 10 ** (-pl_db / 10)


def random_instance(
    n_users: int,
    n_models: int = 4,
    *,
    structure: str = "general",
    n_clusters: int = 2,
    deadline: str = "per_user",
    rate: str = "shannon",
    overlap: str = "sequential",
    bandwidth: str = "loose",
    tightness: float = 0.5,
    duplicates: float = 0.0,
    initial_model: bool = False,
    seed: int = 0,
) -> Instance:
    """A random instance.

    ``deadline``: ``"per_user"`` (each T_k drawn in [0.15, 1] * tightness * H) or ``"common"``
    (one T = tightness * H / 2 for all). ``bandwidth``: ``"loose"`` (B = 1 GHz: the budget almost
    never binds) or ``"binding"`` (B = 0.25 * sum_k beta_k(T_k / 2): it often does).
    ``duplicates``: probability that a user copies an earlier user's data (identical users).
    """
    if structure not in ("general", "backbone"):
        raise ValueError(f"structure: unknown structure {structure!r} (general | backbone)")
    if deadline not in ("per_user", "common"):
        raise ValueError(f"deadline: unknown deadline mode {deadline!r} (per_user | common)")
    if bandwidth not in ("loose", "binding"):
        raise ValueError(f"bandwidth: unknown bandwidth mode {bandwidth!r} (loose | binding)")
    rng = np.random.default_rng(seed)
    blocks: list[Block] = []
    models: list[Model] = []

    def new_block(name: str, lo: float, hi: float) -> str:
        size = int(rng.uniform(lo, hi))
        blocks.append(Block(name, size, int(rng.integers(1, 40))))
        return name

    if structure == "backbone":
        n_clusters = max(1, min(n_clusters, n_models))
        cluster_of = np.sort(
            np.concatenate([np.arange(n_clusters), rng.integers(0, n_clusters, n_models - n_clusters)])
        )
        backbone = {
            c: [new_block(f"c{c}.bb{i}", 2e7, 1.5e8) for i in range(int(rng.integers(1, 4)))] for c in range(n_clusters)
        }
        for m in range(n_models):
            c = int(cluster_of[m])
            own = [new_block(f"m{m}.own{i}", 1e6, 4e7) for i in range(int(rng.integers(1, 3)))]
            models.append(Model(f"m{m}", tuple(backbone[c] + own), float(rng.uniform(2e-3, 8e-3))))
    else:
        n_blocks = max(3, 2 * n_models)
        pool = [new_block(f"b{j}", 1e6, 1e8) for j in range(n_blocks)]
        for m in range(n_models):
            size = int(rng.integers(2, min(6, n_blocks) + 1))
            chosen = sorted(rng.choice(n_blocks, size=size, replace=False))
            models.append(Model(f"m{m}", tuple(pool[j] for j in chosen), float(rng.uniform(2e-3, 8e-3))))

    load_bw, overhead = 8.0e9, 8.5e-6
    server = Server(
        load_bandwidth=load_bw,
        tensor_overhead=overhead,
        total_bandwidth=1.0e9,
        noise_psd=NOISE_PSD,
        rate=rate,
        overlap=overlap,
        initial_model=models[int(rng.integers(n_models))].id if initial_model else None,
    )
    size = {b.id: b for b in blocks}
    full = np.array([sum(overhead * size[b].tensors + size[b].bytes / load_bw for b in m.blocks) for m in models])
    e = np.array([m.inference_time for m in models])
    user_model = rng.integers(0, n_models, n_users)
    H = float(e[user_model].sum() + full.sum())
    common_T = max(tightness * H / 2, float((e + full).max()))
    users: list[User] = []
    for k in range(n_users):
        if users and rng.random() < duplicates:
            src = users[int(rng.integers(len(users)))]
            users.append(User(f"u{k}", src.model, src.data_bits, src.deadline, src.power, src.gain, src.snr))
            continue
        m = int(user_model[k])
        if deadline == "common":
            T = common_T
        else:
            T = max(float(rng.uniform(0.15, 1.0) * tightness * H), e[m] + full[m] * rng.uniform(0.2, 1.0))
        D = float(rng.uniform(0.4e6, 2.0e6))
        if rate == "shannon":
            gain = float(path_loss_gain(rng.uniform(50, 300)))
            users.append(User(f"u{k}", f"m{m}", D, T, power=0.2, gain=gain))
        else:
            users.append(User(f"u{k}", f"m{m}", D, T, snr=float(10 ** (rng.uniform(5, 25) / 10))))
    inst = Instance(
        server,
        tuple(blocks),
        tuple(models),
        tuple(users),
        meta={
            "generator": "random_instance",
            "structure": structure,
            "deadline": deadline,
            "bandwidth": bandwidth,
            "seed": seed,
        },
    )
    if bandwidth == "binding":
        arr = inst.arrays
        need = arr.beta(np.arange(arr.K), arr.T / 2)
        B = 0.25 * float(need[np.isfinite(need)].sum()) or 1e6
        inst = inst.with_server(total_bandwidth=B)
    return inst
