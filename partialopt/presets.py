"""Named instance presets for ``partialopt generate PRESET``.

Each preset is ``fn(users, seed) -> Instance``; add one by adding a line to :data:`PRESETS`.
"""
from __future__ import annotations

from typing import Callable

from .generators import random_instance
from .instance import Instance


def backbone_common(users: int, seed: int = 0) -> Instance:
    """Backbone sharing (frozen-bottom fine-tuning), 6 models in 2 clusters, one common deadline:
    the class where the DP is exact."""
    return random_instance(users, 6, structure="backbone", n_clusters=2, deadline="common",
                           tightness=1.2, seed=seed)


def backbone_deadlines(users: int, seed: int = 0) -> Instance:
    """Backbone sharing with per-user deadlines and a binding spectrum budget."""
    return random_instance(users, 6, structure="backbone", n_clusters=2, bandwidth="binding",
                           tightness=1.0, seed=seed)


def general_sharing(users: int, seed: int = 0) -> Instance:
    """Blocks shared at arbitrary positions among 6 models, per-user deadlines, binding budget."""
    return random_instance(users, 6, structure="general", bandwidth="binding", tightness=1.0, seed=seed)


PRESETS: dict[str, Callable[[int, int], Instance]] = {
    "backbone-common": backbone_common,
    "backbone-deadlines": backbone_deadlines,
    "general": general_sharing,
}


def generate(preset: str, users: int, seed: int = 0) -> Instance:
    if preset not in PRESETS:
        raise ValueError(f"preset: unknown preset {preset!r} (choose from {sorted(PRESETS)})")
    if users < 1:
        raise ValueError(f"users: must be >= 1, got {users}")
    inst = PRESETS[preset](users, seed)
    return inst.replace(meta={**inst.meta, "preset": preset})
