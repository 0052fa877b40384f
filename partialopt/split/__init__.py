"""Variant ``split`` of the pulling model: the model of the authors' public code
(``docs/SPEC_PULLING.md``, last section). Reconstructed from the description only (that code has
no license; nothing is copied):

- model k of size ``S_k`` has a shareable part (``2/3 S_k``: the foundation model common to every
  model of its service type) and a specific part (``1/3 S_k``);
- models start stored at some cloudlets (``stored``); the data center (``"dc"``) holds all;
- request q (home cloudlet ``h_q``, service type, minimum accuracy ``A_q``, budget ``G_q``) picks a
  model k of its type with ``acc_k >= A_q`` and a source for each part: the shareable part from any
  cloudlet storing *any* model of that type (or the data center), the specific part from any
  cloudlet storing k (or the data center). Parts travel along shortest paths of the cloudlet graph
  (edge weights in s/GB), in parallel:

      pull_q = max( d(s_sh, h_q) * (2/3) S_k, d(s_sp, h_q) * (1/3) S_k )      (per request)
      delay_q = pull_q + e_k + W(h_q) + D_q / rate_q
      cost_q  = price(s_sh) (2/3) S_k + price(s_sp) (1/3) S_k  <=  G_q          (budget)

  with sizes in GB, ``price`` = ``dc_price`` $/GB from the data center, ``edge_price`` $/GB from
  another cloudlet, 0 from the home cloudlet; ``W(c) = lambda_c m2_c / (2 (1 - lambda_c m1_c))`` the
  M/G/1 (Pollaczek-Khinchine) waiting time of cloudlet c's background traffic (arrival rate
  ``lambda_c``, service-time moments ``m1_c``, ``m2_c``).
- inference runs at the home cloudlet: ``sum_{q: h_q = c} e_{k_q} <= F_c`` per cloudlet;
- a request with no affordable option, or squeezed out by ``F_c``, is served by the data center at
  ``penalty`` seconds (the fallback option, cost 0).

Faults of the public code this does not reproduce: the max in ``pull_q`` is per request, not one
global maximum; capacity ``F_c`` is per cloudlet, not per request; no uninformative contexts.
Storage of pulled parts at the home cloudlet is not modelled (the description does not bound it).

Layout (the same as :mod:`partialopt.pulling`): :mod:`.instance` (data, validation, JSON
``partialopt/split@1``), :mod:`.evaluate` (the judge), :mod:`.methods` (``split_ilp``: the ILP of
:mod:`formulations.split`, exact; ``split_lp_sampling``: samples each request's option from the LP
relaxation, seeded, and repairs ``F_c`` by moving the longest inferences to the fallback;
``exhaustive_split``), :mod:`.presets` (``eua_instance``), :mod:`.online` (``split_online_ts``).

    from partialopt.split import eua_instance, split_ilp, evaluate_split
    inst = eua_instance(n_cloudlets=8, n_requests=30, seed=0)
    best = split_ilp(inst)
    total, violations = evaluate_split(inst, best.choice)

Names load lazily (PEP 562), as in :mod:`partialopt.pulling`: ``import partialopt.split.instance``
(the data layer that ``formulations.split`` imports) loads neither the methods (Pyomo) nor the
presets nor the online learner, so ``formulations`` and this package import each other's parts
without a cycle.
"""

from __future__ import annotations

from ..core.lazy import lazy_exports

# public name -> the module that defines it (imported on first access of partialopt.split.NAME)
_LAZY: dict[str, str] = {
    "SCHEMA": "partialopt.split.instance",
    "DC": "partialopt.split.instance",
    "SHARE": "partialopt.split.instance",
    "GB": "partialopt.split.instance",
    "SplitCloudlet": "partialopt.split.instance",
    "SplitModel": "partialopt.split.instance",
    "SplitRequest": "partialopt.split.instance",
    "SplitInstance": "partialopt.split.instance",
    "SplitEvaluation": "partialopt.split.evaluate",
    "evaluate_split": "partialopt.split.evaluate",
    "SplitResult": "partialopt.split.methods",
    "split_ilp": "partialopt.split.methods",
    "split_lp_sampling": "partialopt.split.methods",
    "exhaustive_split": "partialopt.split.methods",
    "eua_instance": "partialopt.split.presets",
    "split_online_ts": "partialopt.split.online",
    "SplitOnlineResult": "partialopt.split.online",
}

__all__ = [
    "SplitCloudlet",
    "SplitModel",
    "SplitRequest",
    "SplitInstance",
    "SplitResult",
    "evaluate_split",
    "split_ilp",
    "split_lp_sampling",
    "eua_instance",
    "exhaustive_split",
    "split_online_ts",
    "SplitOnlineResult",
    "SplitEvaluation",
    "DC",
    "SHARE",
    "GB",
    "SCHEMA",
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
