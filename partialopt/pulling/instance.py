"""Problem data of the pulling model (``docs/SPEC_PULLING.md``): cloudlets, fine-tuned models with task
types and accuracies, request groups, and the data-transfer cost between cloudlets.

Blocks are SPEC §1's :class:`~partialopt.instance.Block` (``s_j`` bytes); a model here is a
scheduling :class:`~partialopt.instance.Model`'s block list plus a task type ``tau_m`` and an
accuracy ``acc_m``. Every object is validated on construction; errors name the field
(``groups[2].min_accuracy: ...``). JSON: ``"schema": "partialopt/pulling@1"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from ..core.errors import InstanceError
from ..core.jsonio import JsonFile
from ..core.validation import build_record, ident, json_list, number
from ..instance import Block

SCHEMA = "partialopt/pulling@1"


@dataclass(frozen=True)
class Cloudlet:
    """Cloudlet ``c``: storage ``Q_c`` (bytes), compute ``F_c`` (inference-seconds per frame),
    pulling rate ``W_c`` (bytes/s) from the data center."""

    id: str
    storage: float
    compute: float
    pull_rate: float

    def validate(self, path: str) -> None:
        ident(f"{path}.id", self.id)
        number(f"{path}.storage", self.storage)
        number(f"{path}.compute", self.compute)
        number(f"{path}.pull_rate", self.pull_rate, positive=True)


@dataclass(frozen=True)
class PullModel:
    """Fine-tuned model ``m``: blocks ``J_m``, task type ``tau_m``, accuracy ``acc_m`` in [0, 1],
    batch-1 inference time ``e_m`` (s)."""

    id: str
    blocks: tuple[str, ...]
    task: str
    accuracy: float
    inference_time: float

    def __post_init__(self) -> None:
        if isinstance(self.blocks, list):
            object.__setattr__(self, "blocks", tuple(self.blocks))

    def validate(self, path: str) -> None:
        ident(f"{path}.id", self.id)
        if not isinstance(self.blocks, tuple) or not self.blocks:
            raise InstanceError(f"{path}.blocks: a model needs at least one block")
        if len(set(self.blocks)) != len(self.blocks):
            raise InstanceError(f"{path}.blocks: a block is listed twice")
        ident(f"{path}.task", self.task)
        if number(f"{path}.accuracy", self.accuracy) > 1:
            raise InstanceError(f"{path}.accuracy: must be in [0, 1], got {self.accuracy!r}")
        number(f"{path}.inference_time", self.inference_time, positive=True)


@dataclass(frozen=True)
class RequestGroup:
    """Request group ``r``: arrives at cloudlet ``o_r`` (``origin``), task type ``tau_r``, demand
    ``rho_r`` (requests per frame), ``D_r`` bits per request, minimum accuracy ``A_r``, penalty
    delay ``P_r`` (s) per request served in the data center."""

    id: str
    origin: str
    task: str
    demand: float
    data_bits: float
    min_accuracy: float
    penalty: float

    def validate(self, path: str) -> None:
        ident(f"{path}.id", self.id)
        ident(f"{path}.origin", self.origin)
        ident(f"{path}.task", self.task)
        number(f"{path}.demand", self.demand)
        number(f"{path}.data_bits", self.data_bits)
        if number(f"{path}.min_accuracy", self.min_accuracy) > 1:
            raise InstanceError(f"{path}.min_accuracy: must be in [0, 1], got {self.min_accuracy!r}")
        number(f"{path}.penalty", self.penalty, positive=True)


@dataclass(frozen=True)
class PullingInstance(JsonFile):
    """Blocks, models, cloudlets, request groups and ``transfer[o][c] = h_{o,c}`` (s/bit)."""

    blocks: tuple[Block, ...]
    models: tuple[PullModel, ...]
    cloudlets: tuple[Cloudlet, ...]
    groups: tuple[RequestGroup, ...]
    transfer: tuple[tuple[float, ...], ...]
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("blocks", "models", "cloudlets", "groups"):
            if isinstance(getattr(self, name), list):
                object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "transfer", tuple(tuple(row) for row in self.transfer))
        self._validate()

    def _validate(self) -> None:
        def unique(name: str, items: Sequence[Any], cls: type) -> set[str]:
            ids: set[str] = set()
            for i, it in enumerate(items):
                if not isinstance(it, cls):
                    raise InstanceError(f"{name}[{i}]: expected a {cls.__name__}, got {type(it).__name__}")
                it.validate(f"{name}[{i}]")
                if it.id in ids:
                    raise InstanceError(f"{name}[{i}].id: duplicate id {it.id!r}")
                ids.add(it.id)
            return ids

        block_ids = unique("blocks", self.blocks, Block)
        unique("models", self.models, PullModel)
        for i, m in enumerate(self.models):
            for j, b in enumerate(m.blocks):
                if b not in block_ids:
                    raise InstanceError(f"models[{i}].blocks[{j}]: unknown block id {b!r}")
        if not self.cloudlets:
            raise InstanceError("cloudlets: an instance needs at least one cloudlet")
        cids = unique("cloudlets", self.cloudlets, Cloudlet)
        if not self.groups:
            raise InstanceError("groups: an instance needs at least one request group")
        unique("groups", self.groups, RequestGroup)
        for i, g in enumerate(self.groups):
            if g.origin not in cids:
                raise InstanceError(f"groups[{i}].origin: unknown cloudlet id {g.origin!r}")
        C = len(self.cloudlets)
        if len(self.transfer) != C or any(len(row) != C for row in self.transfer):
            raise InstanceError(f"transfer: expected a {C} x {C} matrix (one row and column per cloudlet)")
        for o, row in enumerate(self.transfer):
            for c, h in enumerate(row):
                number(f"transfer[{o}][{c}]", h)

    # ------------------------------------------------------------------ numeric views
    @cached_property
    def cloudlet_index(self) -> dict[str, int]:
        return {c.id: i for i, c in enumerate(self.cloudlets)}

    @cached_property
    def model_index(self) -> dict[str, int]:
        return {m.id: i for i, m in enumerate(self.models)}

    @cached_property
    def group_index(self) -> dict[str, int]:
        return {g.id: i for i, g in enumerate(self.groups)}

    @cached_property
    def block_index(self) -> dict[str, int]:
        return {b.id: j for j, b in enumerate(self.blocks)}

    @cached_property
    def sizes(self) -> np.ndarray:
        """``s_j`` (bytes)."""
        return np.array([b.bytes for b in self.blocks], dtype=float)

    @cached_property
    def model_blocks(self) -> list[np.ndarray]:
        """``J_m`` as block indices."""
        return [np.array([self.block_index[b] for b in m.blocks], dtype=np.int64) for m in self.models]

    @cached_property
    def model_sizes(self) -> np.ndarray:
        """``S_m = sum_{j in J_m} s_j`` (bytes)."""
        return np.array([self.sizes[J].sum() for J in self.model_blocks])

    @cached_property
    def h(self) -> np.ndarray:
        return np.array(self.transfer, dtype=float)

    @cached_property
    def eligible(self) -> list[list[int]]:
        """Per group r, the models m with ``tau_m = tau_r`` and ``acc_m >= A_r``."""
        return [
            [i for i, m in enumerate(self.models) if m.task == g.task and m.accuracy >= g.min_accuracy]
            for g in self.groups
        ]

    def unit_cost(self, r: int, c: int, m: int) -> float:
        """Delay of one request of group r served by model m at cloudlet c: ``D_r h_{o_r,c} + e_m``."""
        g = self.groups[r]
        return g.data_bits * self.h[self.cloudlet_index[g.origin], c] + self.models[m].inference_time

    def replace(self, **changes: Any) -> PullingInstance:
        kw = {k: getattr(self, k) for k in ("blocks", "models", "cloudlets", "groups", "transfer", "meta")}
        kw.update(changes)
        return PullingInstance(**kw)

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "schema": SCHEMA,
            "blocks": [{"id": b.id, "bytes": b.bytes, "tensors": b.tensors} for b in self.blocks],
            "models": [
                {
                    "id": m.id,
                    "blocks": list(m.blocks),
                    "task": m.task,
                    "accuracy": m.accuracy,
                    "inference_time": m.inference_time,
                }
                for m in self.models
            ],
            "cloudlets": [
                {"id": c.id, "storage": c.storage, "compute": c.compute, "pull_rate": c.pull_rate}
                for c in self.cloudlets
            ],
            "groups": [
                {
                    "id": g.id,
                    "origin": g.origin,
                    "task": g.task,
                    "demand": g.demand,
                    "data_bits": g.data_bits,
                    "min_accuracy": g.min_accuracy,
                    "penalty": g.penalty,
                }
                for g in self.groups
            ],
            "transfer": [list(row) for row in self.transfer],
        }
        if self.meta:
            d["meta"] = dict(self.meta)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PullingInstance:
        if not isinstance(d, Mapping):
            raise InstanceError(f"instance: expected a JSON object, got {type(d).__name__}")
        if d.get("schema") != SCHEMA:
            raise InstanceError(f"schema: unknown schema version {d.get('schema')!r} (expected {SCHEMA!r})")
        for key in ("blocks", "models", "cloudlets", "groups", "transfer"):
            if key not in d:
                raise InstanceError(f"{key}: missing field")
        blocks = [
            build_record(Block, f"blocks[{i}]", b, required=("id", "bytes"))
            for i, b in enumerate(json_list("blocks", d["blocks"]))
        ]
        models = [
            build_record(PullModel, f"models[{i}]", m, required=("id", "blocks", "task", "accuracy", "inference_time"))
            for i, m in enumerate(json_list("models", d["models"]))
        ]
        cloudlets = [
            build_record(Cloudlet, f"cloudlets[{i}]", c, required=("id", "storage", "compute", "pull_rate"))
            for i, c in enumerate(json_list("cloudlets", d["cloudlets"]))
        ]
        groups = [
            build_record(
                RequestGroup,
                f"groups[{i}]",
                g,
                required=("id", "origin", "task", "demand", "data_bits", "min_accuracy", "penalty"),
            )
            for i, g in enumerate(json_list("groups", d["groups"]))
        ]
        transfer = json_list("transfer", d["transfer"])
        return cls(
            tuple(blocks),
            tuple(models),
            tuple(cloudlets),
            tuple(groups),
            tuple(tuple(json_list(f"transfer[{i}]", row)) for i, row in enumerate(transfer)),
            dict(d.get("meta") or {}),
        )


@dataclass
class PullingSolution:
    """``placement``: cloudlet id -> model ids; ``assignment``: (group, cloudlet, model) -> fraction.

    (Defined with the data so that ``formulations.pulling`` needs only this module;
    :mod:`partialopt.pulling.evaluate` re-exports it.)"""

    placement: dict[str, tuple[str, ...]]
    assignment: dict[tuple[str, str, str], float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "placement": {c: list(ms) for c, ms in self.placement.items()},
            "assignment": [
                {"group": r, "cloudlet": c, "model": m, "fraction": f} for (r, c, m), f in self.assignment.items()
            ],
        }
