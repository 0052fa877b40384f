"""The independent judge of the pulling model: the NLIP objective and every constraint.

A solution is a placement ``x`` (models pulled to each cloudlet) and an assignment ``z``
(fraction of each request group served by model m at cloudlet c); ``u_r = 1 - sum z``.
:func:`evaluate_pulling` recomputes, without the ILP's ``y`` variables:

    pull(c)  = sum_{j in U_c} s_j / W_c,   U_c = union_{m in x_c} J_m       (NLIP: union of blocks)
    serve    = sum_r rho_r [ sum_{c,m} z_{r,c,m} (D_r h_{o_r,c} + e_m) + u_r P_r ]
    total    = sum_c pull(c) + serve

and checks storage ``sum_{j in U_c} s_j <= Q_c``, compute ``sum_{r,m} rho_r e_m z_{r,c,m} <= F_c``,
eligibility (``tau_m = tau_r``, ``acc_m >= A_r``), ``z_{r,c,m} > 0`` only for placed models,
``z >= 0`` and ``sum_{c,m} z_{r,c,m} <= 1``.
``sharing=False`` judges the system without parameter sharing: every placed model is pulled and
stored in full (``sum_{m in x_c} S_m``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .instance import PullingInstance, PullingSolution  # noqa: F401  (PullingSolution re-exported)

TOL = 1e-6


@dataclass
class PullingEvaluation:
    pull_delay: float
    serve_delay: float
    total: float
    storage_used: dict[str, float]
    compute_used: dict[str, float]
    unserved: dict[str, float]
    violations: list[str]

    @property
    def feasible(self) -> bool:
        return not self.violations


def pull_bytes(inst: PullingInstance, models: tuple[str, ...] | list[str], sharing: bool = True) -> float:
    """Bytes pulled to hold ``models`` at one cloudlet: the union of their blocks (sharing) or the
    sum of their sizes (no sharing)."""
    if sharing:
        blocks = set()
        for m in models:
            blocks.update(inst.model_blocks[inst.model_index[m]].tolist())
        return float(sum(inst.sizes[j] for j in blocks))
    return float(sum(inst.model_sizes[inst.model_index[m]] for m in models))


def evaluate_pulling(
    inst: PullingInstance, sol: PullingSolution, sharing: bool = True, tol: float = TOL
) -> PullingEvaluation:
    """Objective and constraint check of ``sol`` (see the module docstring)."""
    midx, gidx = inst.model_index, inst.group_index
    viol: list[str] = []
    pull = 0.0
    storage: dict[str, float] = {}
    for cl in inst.cloudlets:
        placed = tuple(sol.placement.get(cl.id, ()))
        for m in placed:
            if m not in midx:
                viol.append(f"placement[{cl.id}]: unknown model {m!r}")
        placed = tuple(m for m in placed if m in midx)
        size = pull_bytes(inst, placed, sharing)
        storage[cl.id] = size
        pull += size / cl.pull_rate
        if size > cl.storage * (1 + tol):
            viol.append(f"storage[{cl.id}]: {size:.6g} bytes > Q = {cl.storage:.6g}")
    for c in sol.placement:
        if c not in inst.cloudlet_index:
            viol.append(f"placement: unknown cloudlet {c!r}")
    compute = {cl.id: 0.0 for cl in inst.cloudlets}
    served = {g.id: 0.0 for g in inst.groups}
    serve = 0.0
    for (r, c, m), f in sol.assignment.items():
        if r not in gidx or c not in inst.cloudlet_index or m not in midx:
            viol.append(f"assignment[{r},{c},{m}]: unknown id")
            continue
        if f < -tol:
            viol.append(f"assignment[{r},{c},{m}]: negative fraction {f:.6g}")
        if f <= tol:
            continue
        ri, ci, mi = gidx[r], inst.cloudlet_index[c], midx[m]
        if mi not in inst.eligible[ri]:
            viol.append(
                f"assignment[{r},{c},{m}]: model {m} does not serve task {inst.groups[ri].task!r} "
                f"at accuracy >= {inst.groups[ri].min_accuracy:g}"
            )
        if m not in sol.placement.get(c, ()):
            viol.append(f"assignment[{r},{c},{m}]: model {m} is not placed at {c}")
        g = inst.groups[ri]
        compute[c] += g.demand * inst.models[mi].inference_time * f
        served[r] += f
        serve += g.demand * f * inst.unit_cost(ri, ci, mi)
    for cl in inst.cloudlets:
        if compute[cl.id] > cl.compute * (1 + tol) + tol:
            viol.append(f"compute[{cl.id}]: {compute[cl.id]:.6g} s > F = {cl.compute:.6g}")
    unserved = {}
    for g in inst.groups:
        if served[g.id] > 1 + tol:
            viol.append(f"groups[{g.id}]: fractions sum to {served[g.id]:.6g} > 1")
        u = max(0.0, 1.0 - served[g.id])
        unserved[g.id] = u
        serve += g.demand * u * g.penalty
    return PullingEvaluation(pull, serve, pull + serve, storage, compute, unserved, viol)
