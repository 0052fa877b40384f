"""The second model (``docs/SPEC_PULLING.md``): joint model selection and pulling across cloudlets with
parameter sharing. Reuses the scheduling model's blocks and zoo; its ILP is
``formulations/pulling.py``; every method's result is re-checked by :func:`evaluate_pulling`.

    from partialopt.pulling import zoo_instance, solve_pulling, online_bandit
    inst = zoo_instance(n_cloudlets=4, n_groups=12, seed=0)
    best = solve_pulling(inst, "ilp")
    rr = solve_pulling(inst, "randomized_rounding", seed=1)
    run = online_bandit(inst, frames=2000, seed=0)

The variant of the authors' public code (split shareable/specific parts pulled from other
cloudlets along shortest paths) is the family :mod:`partialopt.split` (``partialopt.pulling.split`` is its old alias).

Names load lazily (PEP 562): ``import partialopt.pulling.instance`` (the data layer that
``formulations.pulling`` imports) loads neither the methods (Pyomo) nor the presets nor the
online learner.
"""

from __future__ import annotations

from ..core.lazy import lazy_exports

# public name -> the module that defines it (imported on first access of partialopt.pulling.NAME)
_LAZY: dict[str, str] = {
    "Cloudlet": "partialopt.pulling.instance",
    "PullModel": "partialopt.pulling.instance",
    "RequestGroup": "partialopt.pulling.instance",
    "PullingInstance": "partialopt.pulling.instance",
    "PullingSolution": "partialopt.pulling.instance",
    "PullingEvaluation": "partialopt.pulling.evaluate",
    "evaluate_pulling": "partialopt.pulling.evaluate",
    "pull_bytes": "partialopt.pulling.evaluate",
    "PullingResult": "partialopt.pulling.methods",
    "PULLING_METHODS": "partialopt.pulling.methods",
    "solve_pulling": "partialopt.pulling.methods",
    "ilp": "partialopt.pulling.methods",
    "randomized_rounding": "partialopt.pulling.methods",
    "most_popular": "partialopt.pulling.methods",
    "no_sharing": "partialopt.pulling.methods",
    "assign": "partialopt.pulling.methods",
    "lp_relaxation": "partialopt.pulling.methods",
    "online_bandit": "partialopt.pulling.online",
    "OnlineResult": "partialopt.pulling.online",
    "candidate_arms": "partialopt.pulling.online",
    "zoo_instance": "partialopt.pulling.presets",
}
# public submodule name -> module (partialopt.pulling.split)
_SUBMODULES: dict[str, str] = {
    "split": "partialopt.pulling.split",
}

__all__ = [
    "Cloudlet",
    "PullModel",
    "RequestGroup",
    "PullingInstance",
    "PullingSolution",
    "PullingEvaluation",
    "evaluate_pulling",
    "pull_bytes",
    "PullingResult",
    "PULLING_METHODS",
    "solve_pulling",
    "ilp",
    "randomized_rounding",
    "most_popular",
    "no_sharing",
    "assign",
    "lp_relaxation",
    "online_bandit",
    "OnlineResult",
    "candidate_arms",
    "zoo_instance",
    "split",
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, _SUBMODULES)
