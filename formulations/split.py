"""ILP of the ``split`` variant (``docs/SPEC_PULLING.md``, last section: the authors' public-code model).

Sets: requests ``Q``, cloudlets ``C``; ``O`` = pairs ``(q, o)``, one per affordable option o of
request q (:meth:`SplitInstance.options`: a model k of q's type with ``acc_k >= A_q`` and a source
for each of its two parts whose cost fits the budget ``G_q``, plus the data-center fallback last).
Enumerating the options makes the per-request max of the two parallel pulls a constant:

    delay[q,o] = max( d(s_sh, h_q) (2/3) S_k, d(s_sp, h_q) (1/3) S_k ) + e_k + W(h_q) + D_q / rate_q
                 (the fallback: P_q)

    min  sum_{(q,o) in O} delay[q,o] w[q,o]                                   (obj)
    sum_o w[q,o] = 1                                   for q in Q              (choose_one)
    sum_{(q,o) in O: h_q = c, k_o != dc} e[q,o] w[q,o] <= F_c   for c in C     (compute; no row
                                                                               without a term)
    w binary (``relax=True``: w in [0, 1], the LP relaxation that LP sampling starts from)

The budget is enforced by the enumeration (unaffordable options get no ``w``).
``sharing=False`` builds the system without common knowledge: the shareable part too comes only
from nodes holding model k itself.

``build(instance, relax=False, sharing=True) -> ConcreteModel``; ``extract(model) -> dict`` request
id -> ``(model, shareable source, specific source)``. The options behind ``O`` are kept on the
model as ``model.options`` (``options[q][o] = (model, s_sh, s_sp, delay, cost)``).
"""

from __future__ import annotations

import pyomo.environ as pyo

from partialopt.split.instance import DC, SplitInstance


def build(instance: SplitInstance, relax: bool = False, sharing: bool = True) -> pyo.ConcreteModel:
    inst = instance
    opts = [inst.options(q, sharing) for q in range(len(inst.requests))]
    e = {mm.id: mm.inference_time for mm in inst.models}
    m = pyo.ConcreteModel("split")
    m._instance = inst
    m._sharing = sharing
    m.options = opts
    m.Q = pyo.Set(initialize=range(len(opts)))
    m.C = pyo.Set(initialize=range(len(inst.cloudlets)))
    m.O = pyo.Set(dimen=2, initialize=[(q, o) for q in range(len(opts)) for o in range(len(opts[q]))])
    m.delay = pyo.Param(m.O, initialize={(q, o): opts[q][o][3] for q, o in m.O}, within=pyo.Reals)
    m.e = pyo.Param(
        m.O, initialize={(q, o): 0.0 if opts[q][o][0] == DC else e[opts[q][o][0]] for q, o in m.O}, within=pyo.Reals
    )
    m.w = pyo.Var(m.O, domain=pyo.UnitInterval if relax else pyo.Binary)
    m.obj = pyo.Objective(expr=sum(m.delay[q, o] * m.w[q, o] for q, o in m.O), sense=pyo.minimize)
    m.choose_one = pyo.Constraint(m.Q, rule=lambda m, q: sum(m.w[q, o] for o in range(len(opts[q]))) == 1)

    def compute(m, c):
        terms = [
            m.e[q, o] * m.w[q, o]
            for q, o in m.O
            if inst.requests[q].home == inst.cloudlets[c].id and opts[q][o][0] != DC
        ]
        return sum(terms) <= inst.cloudlets[c].compute if terms else pyo.Constraint.Skip

    m.compute = pyo.Constraint(m.C, rule=compute)
    return m


def extract(model: pyo.ConcreteModel, threshold: float = 0.5) -> dict[str, tuple[str, str, str]]:
    """Request id -> ``(model, shareable source, specific source)`` for every ``w[q,o] > threshold``
    (a solved binary model gives exactly one per request)."""
    inst: SplitInstance = model._instance
    opts = model.options
    return {inst.requests[q].id: opts[q][o][:3] for q, o in model.O if (pyo.value(model.w[q, o]) or 0) > threshold}


__all__ = ["build", "extract"]
