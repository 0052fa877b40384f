"""The independent judge of the ``split`` variant: a choice per request recomputed from the
definitions (``docs/SPEC_PULLING.md``, last section), never from a solver's numbers.

A choice maps each request id to ``(model, shareable source, specific source)``, or to
``("dc", "dc", "dc")`` (served by the data center at ``penalty`` s). For request q with model k:

    pull_q  = max( d(s_sh, h_q) (2/3) S_k, d(s_sp, h_q) (1/3) S_k )
    delay_q = pull_q + e_k + W(h_q) + D_q / rate_q
    total   = sum_q delay_q

and the checks: eligibility (``tau_k = tau_q``, ``acc_k >= A_q``), sources (the shareable part from a
node holding a model of the type, or only k itself when ``sharing=False``; the specific part from a
node holding k), budget ``cost_q <= G_q`` and per-cloudlet compute ``sum_{q: h_q = c} e_{k_q} <= F_c``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from ..core.errors import InstanceError
from .instance import DC, GB, SHARE, SplitInstance


class SplitEvaluation(NamedTuple):
    """``total`` delay (s) and the ``violations`` (empty: feasible). A named tuple, so that
    ``total, violations = evaluate_split(...)`` keeps working."""

    total: float
    violations: list[str]

    @property
    def feasible(self) -> bool:
        return not self.violations


def evaluate_split(
    inst: SplitInstance, choice: Mapping[str, tuple[str, str, str]], sharing: bool = True
) -> SplitEvaluation:
    """Total delay of ``choice`` recomputed from the definitions, and the violated constraints
    (eligibility, sources, budget, per-cloudlet compute)."""
    viol: list[str] = []
    total = 0.0
    load = {c.id: 0.0 for c in inst.cloudlets}
    known = {r.id for r in inst.requests}
    models = {m.id for m in inst.models}
    for rid, chosen in choice.items():
        if rid not in known:
            raise InstanceError(f"choice: unknown request id {rid!r}")
        if chosen[0] != DC and chosen[0] not in models:
            raise InstanceError(f"choice[{rid}][0]: unknown model id {chosen[0]!r}")
    for r in inst.requests:
        if r.id not in choice:
            viol.append(f"{r.id}: no choice")
            continue
        k, a, b = choice[r.id]
        if k == DC:
            total += r.penalty
            continue
        m = inst._model(k)
        if m.task != r.task or m.accuracy < r.min_accuracy:
            viol.append(f"{r.id}: model {k} not eligible")
        holders_sh, holders_sp = inst.sources(k, sharing)
        if a not in holders_sh or b not in holders_sp:
            viol.append(f"{r.id}: a part is pulled from a node that does not hold it")
            continue
        h = inst.nodes.index(r.home)
        d_sh = inst.distance[inst.nodes.index(a), h] * SHARE * m.size / GB
        d_sp = inst.distance[inst.nodes.index(b), h] * (1 - SHARE) * m.size / GB
        cost = inst._price(a, r.home) * SHARE * m.size / GB + inst._price(b, r.home) * (1 - SHARE) * m.size / GB
        if cost > r.budget * (1 + 1e-9):
            viol.append(f"{r.id}: cost {cost:.6g} > budget {r.budget:.6g}")
        total += max(d_sh, d_sp) + m.inference_time + inst.cloudlets[h].waiting + r.data_bits / r.uplink_rate
        load[r.home] += m.inference_time
    for c in inst.cloudlets:
        if load[c.id] > c.compute * (1 + 1e-9):
            viol.append(f"compute[{c.id}]: {load[c.id]:.6g} > F = {c.compute:.6g}")
    return SplitEvaluation(total, viol)


__all__ = ["SplitEvaluation", "evaluate_split"]
