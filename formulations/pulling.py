"""ILP of joint model selection and pulling with parameter sharing (``docs/SPEC_PULLING.md``).

Sets: cloudlets ``C``, models ``M``, blocks ``J``, request groups ``R``; ``E`` = triples
``(r, c, m)`` with ``tau_m = tau_r`` and ``acc_m >= A_r`` (only those get a ``z``).

    min  sum_c sum_j s_j y[c,j] / W_c                                           (pull)
       + sum_r rho_r [ sum_{(r,c,m) in E} z[r,c,m] (D_r h_{o_r,c} + e_m) + u[r] P_r ]   (serve)
    y[c,j] >= x[c,m]                  for j in J_m        (block_presence: the NLIP's union made linear)
    sum_j s_j y[c,j] <= Q_c                                (storage)
    sum_{(r,c,m) in E} rho_r e_m z[r,c,m] <= F_c          (compute)
    z[r,c,m] <= x[c,m]                                     (serve_only_placed)
    sum_{(r,c,m) in E} z[r,c,m] + u[r] = 1                (assign)
    x, y binary; z, u in [0, 1] (``integral_z=True``: z, u binary)

``sharing=False`` builds the system without parameter sharing: no ``y``; pull and storage are
``sum_m S_m x[c,m]`` (every model in full). ``relax=True`` makes ``x`` and ``y`` continuous in
[0, 1] (the LP relaxation that randomized rounding starts from). ``fix`` fixes a placement
(cloudlet id -> model ids): ``x`` and ``y`` become constants, which leaves the optimal-assignment
LP for that placement.

``build(instance, ...) -> ConcreteModel``; ``extract(model) -> PullingSolution``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pyomo.environ as pyo

from partialopt.pulling.instance import PullingInstance, PullingSolution


def build(
    instance: PullingInstance,
    sharing: bool = True,
    relax: bool = False,
    integral_z: bool = False,
    fix: Mapping[str, Sequence[str]] | None = None,
) -> pyo.ConcreteModel:
    inst = instance
    m = pyo.ConcreteModel("pulling")
    m._instance = inst
    m._sharing = sharing
    C, M, J, R = range(len(inst.cloudlets)), range(len(inst.models)), range(len(inst.blocks)), range(len(inst.groups))
    m.C, m.M, m.J, m.R = pyo.Set(initialize=C), pyo.Set(initialize=M), pyo.Set(initialize=J), pyo.Set(initialize=R)
    m.E = pyo.Set(dimen=3, initialize=[(r, c, k) for r in R for k in inst.eligible[r] for c in C])
    s, W = inst.sizes, [cl.pull_rate for cl in inst.cloudlets]
    binary = pyo.UnitInterval if relax else pyo.Binary
    m.x = pyo.Var(m.C, m.M, domain=binary)
    m.z = pyo.Var(m.E, domain=pyo.Binary if integral_z else pyo.UnitInterval)
    m.u = pyo.Var(m.R, domain=pyo.Binary if integral_z else pyo.UnitInterval)
    uses = {j: [k for k in M if j in set(inst.model_blocks[k].tolist())] for j in J}
    if sharing:
        m.y = pyo.Var(m.C, m.J, domain=binary)
        m.block_presence = pyo.Constraint(
            [(c, k, int(j)) for c in C for k in M for j in inst.model_blocks[k]],
            rule=lambda m, c, k, j: m.y[c, j] >= m.x[c, k],
        )
        held = {c: sum(s[j] * m.y[c, j] for j in J if uses[j]) for c in C}
    else:
        held = {c: sum(float(inst.model_sizes[k]) * m.x[c, k] for k in M) for c in C}
    m.pull = pyo.Expression(expr=sum(held[c] / W[c] for c in C))
    m.serve = pyo.Expression(
        expr=sum(
            g.demand
            * (sum(m.z[r, c, k] * inst.unit_cost(r, c, k) for k in inst.eligible[r] for c in C) + m.u[r] * g.penalty)
            for r, g in enumerate(inst.groups)
        )
    )
    m.obj = pyo.Objective(expr=m.pull + m.serve, sense=pyo.minimize)
    m.storage = pyo.Constraint(m.C, rule=lambda m, c: held[c] <= inst.cloudlets[c].storage)
    at = {c: [(r, k) for r in R for k in inst.eligible[r]] for c in C}
    m.compute = pyo.Constraint(
        m.C,
        rule=lambda m, c: (
            sum(inst.groups[r].demand * inst.models[k].inference_time * m.z[r, c, k] for (r, k) in at[c])
            <= inst.cloudlets[c].compute
            if at[c]
            else pyo.Constraint.Skip
        ),
    )  # no eligible model: no row
    m.serve_only_placed = pyo.Constraint(m.E, rule=lambda m, r, c, k: m.z[r, c, k] <= m.x[c, k])
    m.assign = pyo.Constraint(
        m.R, rule=lambda m, r: sum(m.z[r, c, k] for k in inst.eligible[r] for c in C) + m.u[r] == 1
    )
    if fix is not None:
        fix_placement(m, fix)
    return m


def fix_placement(model: pyo.ConcreteModel, placement: Mapping[str, Sequence[str]]) -> None:
    """Fix ``x`` (and ``y`` to the union of the placed models' blocks) to a placement."""
    inst: PullingInstance = model._instance
    midx = inst.model_index
    for c, cl in enumerate(inst.cloudlets):
        placed = {midx[k] for k in placement.get(cl.id, ())}
        for k in model.M:
            model.x[c, k].fix(1 if k in placed else 0)
        if model._sharing:
            have = set()
            for k in placed:
                have.update(inst.model_blocks[k].tolist())
            for j in model.J:
                model.y[c, j].fix(1 if j in have else 0)


def extract(model: pyo.ConcreteModel, threshold: float = 0.5) -> PullingSolution:
    """Placement (``x > threshold``) and assignment (``z > 1e-9``) of a solved model."""
    inst: PullingInstance = model._instance
    placement = {
        cl.id: tuple(inst.models[k].id for k in model.M if (pyo.value(model.x[c, k]) or 0) > threshold)
        for c, cl in enumerate(inst.cloudlets)
    }
    assignment = {}
    for r, c, k in model.E:
        v = pyo.value(model.z[r, c, k]) or 0.0
        if v > 1e-9:
            assignment[(inst.groups[r].id, inst.cloudlets[c].id, inst.models[k].id)] = min(1.0, float(v))
    return PullingSolution(placement, assignment)
