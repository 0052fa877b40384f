"""The second model (``docs/SPEC_PULLING.md``): joint model selection and pulling across cloudlets with
parameter sharing. Reuses the scheduling model's blocks and zoo; its ILP is
``formulations/pulling.py``; every method's result is re-checked by :func:`evaluate_pulling`.

    from partialopt.pulling import zoo_instance, solve_pulling, online_bandit
    inst = zoo_instance(n_cloudlets=4, n_groups=12, seed=0)
    best = solve_pulling(inst, "ilp")
    rr = solve_pulling(inst, "randomized_rounding", seed=1)
    run = online_bandit(inst, frames=2000, seed=0)

The variant of the authors' public code (split shareable/specific parts pulled from other
cloudlets along shortest paths) is :mod:`partialopt.pulling.split` with its EUA-style preset.
"""
from . import split
from .evaluate import PullingEvaluation, PullingSolution, evaluate_pulling, pull_bytes
from .instance import Cloudlet, PullingInstance, PullModel, RequestGroup
from .methods import (PULLING_METHODS, PullingResult, assign, ilp, lp_relaxation, most_popular, no_sharing,
                      randomized_rounding, solve_pulling)
from .online import OnlineResult, candidate_arms, online_bandit
from .presets import zoo_instance

__all__ = ["Cloudlet", "PullModel", "RequestGroup", "PullingInstance", "PullingSolution", "PullingEvaluation",
           "evaluate_pulling", "pull_bytes", "PullingResult", "PULLING_METHODS", "solve_pulling", "ilp",
           "randomized_rounding", "most_popular", "no_sharing", "assign", "lp_relaxation", "online_bandit",
           "OnlineResult", "candidate_arms", "zoo_instance", "split"]
