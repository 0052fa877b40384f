"""Synthetic presets: uniform random block sizes (see :func:`partialopt.generators.random_instance`)."""

from __future__ import annotations

from ..generators import random_instance
from ..instance import Instance


def backbone_common(users: int, seed: int = 0) -> Instance:
    """Backbone sharing (frozen-bottom fine-tuning), 6 models in 2 clusters, one common deadline:
    the class where the DP is exact."""
    return random_instance(users, 6, structure="backbone", n_clusters=2, deadline="common", tightness=1.2, seed=seed)


def backbone_deadlines(users: int, seed: int = 0) -> Instance:
    """Backbone sharing with per-user deadlines and a binding spectrum budget."""
    return random_instance(users, 6, structure="backbone", n_clusters=2, bandwidth="binding", tightness=1.0, seed=seed)


def general_sharing(users: int, seed: int = 0) -> Instance:
    """Blocks shared at arbitrary positions among 6 models, per-user deadlines, binding budget."""
    return random_instance(users, 6, structure="general", bandwidth="binding", tightness=1.0, seed=seed)
