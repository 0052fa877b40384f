"""The knobs a sweep turns: how a (preset, K, seed, parameters) point becomes an instance.

Generation parameters go to the preset (realistic presets only):

- ``loading``: ``pinned | pageable | disk`` (the calibration fit that gives ``alpha`` and ``v``);
- ``frozen``: fraction of body blocks shared by every ``frozen_bottom`` family (the fraction of
  shared parameters follows from it; see :func:`shared_fraction`).

Transforms apply to the generated instance (any preset):

- ``deadline_scale``: ``T_k <- s * T_k``, floored at ``e_k`` times 1.0001 so that every deadline
  stays above its inference time (SPEC forbids ``T_k <= e_k``);
- ``total_bandwidth`` (``B``, Hz), ``load_bandwidth`` (``v``, bytes/s), ``tensor_overhead``
  (``alpha``, s), ``rate``, ``overlap``: server fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from ..instance import Instance
from ..presets import generate

GENERATION = ("loading", "frozen")
SERVER = ("total_bandwidth", "load_bandwidth", "tensor_overhead", "rate", "overlap")
TRANSFORMS = ("deadline_scale",) + SERVER
PARAMETERS = GENERATION + TRANSFORMS

# axis labels with units, for tables and plots
LABELS = {
    "users": "number of users K",
    "deadline_scale": "deadline scale (x preset deadlines)",
    "total_bandwidth": "total uplink bandwidth B (MHz)",
    "load_bandwidth": "host-to-GPU loading bandwidth v (GB/s)",
    "tensor_overhead": "per-tensor loading overhead alpha (us)",
    "frozen": "fraction of body blocks shared (frozen)",
    "shared_fraction": "fraction of parameters shared",
    "objective": "served users (task throughput)",
    "served_fraction": "fraction of users served",
    "gap": "optimality gap to own bound",
    "gap_to_best": "gap to best proven bound",
    "time_s": "wall time (s)",
}
# display scale of a parameter on plots (value / scale)
SCALE = {"total_bandwidth": 1e6, "load_bandwidth": 1e9, "tensor_overhead": 1e-6}


def make_instance(preset: str, users: int, seed: int, params: Mapping[str, Any] | None = None) -> Any:
    """The instance of one sweep point; unknown parameters raise naming the parameter. Presets of
    the pulling families (``pulling-zoo``, ``split-eua``) take no parameters."""
    params = dict(params or {})
    from ..solve import REGISTRY

    for fam in REGISTRY.families.values():
        if preset in fam.presets:
            if params:
                raise ValueError(f"{sorted(params)[0]}: sweep parameters apply to scheduling presets, not {preset!r}")
            from ..solve import generate as generate_any

            return generate_any(preset, users, seed)
    unknown = set(params) - set(PARAMETERS)
    if unknown:
        raise ValueError(f"{sorted(unknown)[0]}: unknown sweep parameter (choose from {PARAMETERS})")
    inst = generate(preset, users, seed, **{k: params[k] for k in GENERATION if k in params})
    server = {k: params[k] for k in SERVER if k in params}
    if server:
        inst = inst.with_server(**server)
    if "deadline_scale" in params:
        s = float(params["deadline_scale"])
        if not (np.isfinite(s) and s > 0):
            raise ValueError(f"deadline_scale: must be a positive number, got {params['deadline_scale']!r}")
        e = {m.id: m.inference_time for m in inst.models}
        users_ = tuple(replace(u, deadline=max(s * u.deadline, 1.0001 * e[u.model])) for u in inst.users)
        inst = inst.replace(users=users_)
    return inst.replace(meta={**inst.meta, "sweep_params": params})


def shared_fraction(instance: Instance) -> float:
    """Fraction of the bytes of all models' blocks that sit in blocks used by more than one model:
    ``sum_j s_j [j in >= 2 models] / sum_j s_j`` over blocks of the instance's models."""
    count: dict[str, int] = {}
    for m in instance.models:
        for b in m.blocks:
            count[b] = count.get(b, 0) + 1
    size = {b.id: b.bytes for b in instance.blocks}
    total = sum(size[b] for b in count)
    return sum(size[b] for b, c in count.items() if c > 1) / total if total else 0.0
