"""Online placement with unknown demands: UCB2 over candidate placements (``online_bandit``).

The workload: frames ``t = 1..T``; in each, group r brings ``rho_{t,r} ~ Poisson(rho_r)`` requests
(stationary; ``rho_r`` unknown to the learner, seeded). Each frame the cloudlets hold one
placement (an *arm*); the frame's requests are served by the arm's assignment policy, and a
cloudlet whose compute ``F_c`` would be exceeded serves the same proportion of each of its
requests and sends the rest to the data center (penalty ``P_r``). Switching from arm a' to arm a
costs the pulling delay of the blocks a has and a' lacks (``sum_c sum_{j in U_c(a) \\ U_c(a')}
s_j / W_c``); the first frame pulls the first arm in full.

Arms are built *without* the demands: the ILP's placements for ``n_arms - 2`` demand vectors
drawn from a flat Dirichlet prior over the groups (mean one request per group and frame), the
most-popular placement under uniform demand, and the empty placement; duplicates removed. An
arm's assignment policy is the optimal assignment for its own design demand.

The learner (bandit feedback: it sees only the played arm's serving delay and the frame's
arrivals) normalises a frame's delay by ``W_t = sum_r rho_{t,r} max(P_r, max unit cost of r)``
into [0, 1] and plays UCB2 (Auer, Cesa-Bianchi, Fischer 2002) for minimisation: each arm once,
then the arm minimising ``mean_a - sqrt((1 + alpha) ln(e t / tau(r_a)) / (2 tau(r_a)))``, played
for an epoch of ``tau(r_a + 1) - tau(r_a)`` frames, ``tau(r) = ceil((1 + alpha)^r)``. Epochs grow
geometrically, so an arm is switched to ``O(log T)`` times: this matters here because every
switch pays a pull. No context is used (a context-free bandit over a restricted arm set).

Regret against the best fixed arm in hindsight (which pays its pull once, at frame 1):
``R_t = sum_{s<=t} loss_s(played) - min_a sum_{s<=t} loss_s(a)``. UCB2's regret on the
normalised losses is ``O(sum_a log T / Delta_a)`` and it makes ``O(A log T)`` switches, each
costing at most the largest pull, so ``R_T = O(log T)``: sublinear. The simulator computes the
loss of every arm in every frame (full information) only to measure the regret.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from .evaluate import PullingSolution, evaluate_pulling
from .instance import PullingInstance
from .methods import assign, ilp, most_popular


@dataclass
class OnlineResult:
    """The run of ``online_bandit``: arms, the arm played per frame, per-frame losses (s) of the
    played arm and of every arm, cumulative regret per frame, and the normaliser ``W_t``."""

    arms: list[dict[str, tuple[str, ...]]]
    played: np.ndarray
    loss: np.ndarray
    arm_loss: np.ndarray
    regret: np.ndarray
    scale: np.ndarray
    best_arm: int
    wall_time: float
    stats: dict = field(default_factory=dict)

    @property
    def normalized_regret(self) -> float:
        """``R_T / sum_t W_t``: regret as a fraction of the horizon's worst-case delay."""
        return float(self.regret[-1] / self.scale.sum())


def _pull_sets(inst: PullingInstance, placement) -> list[set[int]]:
    midx = inst.model_index
    out = []
    for cl in inst.cloudlets:
        s: set[int] = set()
        for m in placement.get(cl.id, ()):
            s.update(inst.model_blocks[midx[m]].tolist())
        out.append(s)
    return out


def _switch_cost(inst: PullingInstance, new: list[set[int]], old: list[set[int]] | None) -> float:
    total = 0.0
    for c, cl in enumerate(inst.cloudlets):
        add = new[c] if old is None else new[c] - old[c]
        total += float(sum(inst.sizes[j] for j in add)) / cl.pull_rate
    return total


def candidate_arms(inst: PullingInstance, n_arms: int = 6, seed: int = 0, time_limit: float = 30.0) -> list[dict]:
    """Arms built from prior demand draws, never from the true demands (module docstring)."""
    rng = np.random.default_rng(seed)
    G = len(inst.groups)
    designs = []
    for _ in range(max(0, n_arms - 2)):
        w = rng.dirichlet(np.ones(G)) * G
        designs.append(inst.replace(groups=tuple(replace(g, demand=float(v)) for g, v in zip(inst.groups, w))))
    uniform = inst.replace(groups=tuple(replace(g, demand=1.0) for g in inst.groups))
    arms, seen = [], set()
    for d in designs:
        p = ilp(d, time_limit=time_limit).solution.placement
        arms.append((p, d))
    arms.append((most_popular(uniform).solution.placement, uniform))
    arms.append(({cl.id: () for cl in inst.cloudlets}, uniform))
    out = []
    for p, d in arms:
        key = tuple(sorted((c, tuple(sorted(ms))) for c, ms in p.items()))
        if key not in seen:
            seen.add(key)
            policy = assign(d, p)
            ev = evaluate_pulling(d, policy)  # storage holds for any demand; compute for the design's
            if not ev.feasible:
                raise RuntimeError(
                    f"online_bandit: candidate arm rejected by the evaluator ({ev.violations[0]}); a bug"
                )
            out.append({"placement": p, "policy": policy})
    return out


def _arm_matrices(inst: PullingInstance, policy: PullingSolution):
    """Per arm: ``A[r,c]`` delay per request served at c, ``B[r,c]`` compute per request, ``Z[r,c]``
    fraction sent to c."""
    R, C = len(inst.groups), len(inst.cloudlets)
    gidx, midx = inst.group_index, inst.model_index
    A, B, Z = np.zeros((R, C)), np.zeros((R, C)), np.zeros((R, C))
    for (r, c, m), f in policy.assignment.items():
        ri, ci, mi = gidx[r], inst.cloudlet_index[c], midx[m]
        A[ri, ci] += f * inst.unit_cost(ri, ci, mi)
        B[ri, ci] += f * inst.models[mi].inference_time
        Z[ri, ci] += f
    return A, B, Z


def frame_losses(inst: PullingInstance, demands: np.ndarray, policy: PullingSolution) -> np.ndarray:
    """Serving delay (s) of each frame's demand (rows of ``demands``) under one arm's policy,
    with proportional overflow to the data center where ``F_c`` binds."""
    A, B, Z = _arm_matrices(inst, policy)
    F = np.array([cl.compute for cl in inst.cloudlets])
    P = np.array([g.penalty for g in inst.groups])
    load = demands @ B  # (T, C)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(load > F, F / load, 1.0)  # (T, C)
    served_cost = np.einsum("tr,rc,tc->t", demands, A, scale)
    frac = np.einsum("rc,tc->tr", Z, scale)
    return served_cost + (demands * (1.0 - frac) * P).sum(axis=1)


def online_bandit(
    inst: PullingInstance,
    frames: int = 2000,
    seed: int = 0,
    n_arms: int = 6,
    arms: list[dict] | None = None,
    alpha: float = 0.5,
) -> OnlineResult:
    """Run UCB2 (parameter ``alpha``) on the seeded stationary workload of ``inst``."""
    if frames < 1:
        raise ValueError(f"frames: must be >= 1, got {frames}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha: must be in (0, 1), got {alpha}")
    t0 = time.perf_counter()
    arms = arms if arms is not None else candidate_arms(inst, n_arms, seed)
    rng = np.random.default_rng(seed + 1)
    rho = np.array([g.demand for g in inst.groups])
    demands = rng.poisson(rho, size=(frames, len(rho))).astype(float)
    serve = np.stack([frame_losses(inst, demands, a["policy"]) for a in arms], axis=1)  # (T, A)
    worst = np.array(
        [
            max(
                g.penalty,
                max(
                    (inst.unit_cost(r, c, k) for k in inst.eligible[r] for c in range(len(inst.cloudlets))), default=0.0
                ),
            )
            for r, g in enumerate(inst.groups)
        ]
    )
    W = np.maximum(demands @ worst, 1e-12)
    sets = [_pull_sets(inst, a["placement"]) for a in arms]
    n_a = len(arms)
    counts, sums = np.zeros(n_a), np.zeros(n_a)
    epochs = np.zeros(n_a, dtype=int)  # UCB2's r_j
    played = np.zeros(frames, dtype=int)
    loss = np.zeros(frames)
    prev = None
    t = 0
    queue: list[int] = list(range(n_a))  # each arm once first
    while t < frames:
        if not queue:
            tau = np.ceil((1 + alpha) ** epochs)
            bonus = np.sqrt((1 + alpha) * np.log(np.e * t / tau) / (2 * tau))
            a = int(np.argmin(sums / counts - bonus))
            length = int(np.ceil((1 + alpha) ** (epochs[a] + 1)) - np.ceil((1 + alpha) ** epochs[a]))
            epochs[a] += 1
            queue = [a] * max(1, length)
        a = queue.pop(0)
        pull = _switch_cost(inst, sets[a], None if prev is None else sets[prev]) if a != prev else 0.0
        loss[t] = serve[t, a] + pull
        counts[a] += 1
        sums[a] += serve[t, a] / W[t]
        played[t] = a
        prev = a
        t += 1
    fixed = serve.copy()
    fixed[0] += np.array([_switch_cost(inst, s, None) for s in sets])
    cum_fixed = np.cumsum(fixed, axis=0)
    regret = np.cumsum(loss) - cum_fixed.min(axis=1)
    best = int(np.argmin(cum_fixed[-1]))
    switches = int((np.diff(played) != 0).sum())
    return OnlineResult(
        [a["placement"] for a in arms],
        played,
        loss,
        serve,
        regret,
        W,
        best,
        time.perf_counter() - t0,
        stats={"arms": n_a, "switches": switches, "best_arm_share": float((played == best).mean()), "seed": seed},
    )
