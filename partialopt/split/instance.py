"""Problem data of the ``split`` variant (``docs/SPEC_PULLING.md``, last section): cloudlets with
stored models and an M/G/1 background queue, the cloudlet graph (with the data center ``"dc"``),
models split into a shareable part (``SHARE = 2/3`` of ``S_k``) and a specific part, requests with
an accuracy requirement and a cost budget, and the prices per GB.

Every object is validated on construction; errors are :class:`~partialopt.core.errors.InstanceError`
naming the field (``requests[2].home: ...``). JSON: ``"schema": "partialopt/split@1"``, through
:meth:`SplitInstance.to_dict` / :meth:`SplitInstance.from_dict` and the file helpers of
:class:`~partialopt.core.jsonio.JsonFile` (``to_json``, ``from_json``, ``save``, ``load``); the
round trip is exact. Edges are JSON objects ``{"a": ..., "b": ..., "weight": ...}`` (s/GB).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from ..core.errors import InstanceError
from ..core.jsonio import JsonFile
from ..core.validation import build_record, ident, json_list, meta_object, number

SCHEMA = "partialopt/split@1"
SHARE = 2.0 / 3.0
DC = "dc"
GB = 1e9

_FIELDS = ("schema", "cloudlets", "edges", "models", "requests", "dc_price", "edge_price", "meta")


@dataclass(frozen=True)
class SplitCloudlet:
    id: str
    compute: float  # F_c, inference-seconds per frame
    arrival: float = 0.0  # lambda_c, background requests/s
    m1: float = 0.0  # mean background service time (s)
    m2: float = 0.0  # second moment of background service time (s^2)
    stored: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.stored, list):
            object.__setattr__(self, "stored", tuple(self.stored))

    @property
    def waiting(self) -> float:
        """M/G/1 waiting time ``lambda m2 / (2 (1 - lambda m1))``."""
        return 0.0 if self.arrival == 0 else self.arrival * self.m2 / (2.0 * (1.0 - self.arrival * self.m1))


@dataclass(frozen=True)
class SplitModel:
    id: str
    task: str
    size: float  # S_k, bytes
    accuracy: float
    inference_time: float


@dataclass(frozen=True)
class SplitRequest:
    id: str
    home: str
    task: str
    min_accuracy: float
    budget: float  # G_q, $
    data_bits: float
    uplink_rate: float  # bits/s
    penalty: float  # s, served by the data center


@dataclass(frozen=True)
class SplitInstance(JsonFile):
    """Cloudlets, the graph ``edges`` ((a, b, s/GB); ``"dc"`` is the data center's node), models,
    requests, and prices ``dc_price`` / ``edge_price`` ($/GB)."""

    cloudlets: tuple[SplitCloudlet, ...]
    edges: tuple[tuple[str, str, float], ...]
    models: tuple[SplitModel, ...]
    requests: tuple[SplitRequest, ...]
    dc_price: float = 1.0
    edge_price: float = 0.2
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("cloudlets", "models", "requests"):
            if isinstance(getattr(self, name), list):
                object.__setattr__(self, name, tuple(getattr(self, name)))
        if isinstance(self.edges, (list, tuple)):
            object.__setattr__(self, "edges", tuple(tuple(e) if isinstance(e, list) else e for e in self.edges))
        self._validate()

    def _validate(self) -> None:
        for name, cls in (("cloudlets", SplitCloudlet), ("models", SplitModel), ("requests", SplitRequest)):
            items = getattr(self, name)
            if not isinstance(items, tuple):
                raise InstanceError(f"{name}: expected a tuple of {cls.__name__}, got {type(items).__name__}")
            for i, it in enumerate(items):
                if not isinstance(it, cls):
                    raise InstanceError(f"{name}[{i}]: expected a {cls.__name__}, got {type(it).__name__}")
        ids = set()
        for i, c in enumerate(self.cloudlets):
            p = f"cloudlets[{i}]"
            ident(f"{p}.id", c.id)
            if c.id in ids or c.id == DC:
                raise InstanceError(f"{p}.id: duplicate or reserved id {c.id!r}")
            ids.add(c.id)
            for name in ("compute", "arrival", "m1", "m2"):
                number(f"{p}.{name}", getattr(c, name))
            if c.arrival * c.m1 >= 1:
                raise InstanceError(f"{p}.arrival: utilisation lambda m1 = {c.arrival * c.m1:g} >= 1 (unstable queue)")
            if not isinstance(c.stored, tuple):
                raise InstanceError(f"{p}.stored: expected a list of model ids, got {type(c.stored).__name__}")
        mids = {m.id for m in self.models if isinstance(m.id, str)}
        if len(mids) != len(self.models):
            for i, m in enumerate(self.models):
                ident(f"models[{i}].id", m.id)
            raise InstanceError("models: duplicate model id")
        for i, m in enumerate(self.models):
            p = f"models[{i}]"
            ident(f"{p}.id", m.id)
            ident(f"{p}.task", m.task)
            number(f"{p}.size", m.size, positive=True)
            if number(f"{p}.accuracy", m.accuracy) > 1:
                raise InstanceError(f"{p}.accuracy: must be in [0, 1], got {m.accuracy!r}")
            number(f"{p}.inference_time", m.inference_time, positive=True)
        for i, c in enumerate(self.cloudlets):
            for j, k in enumerate(c.stored):
                if not isinstance(k, str) or k not in mids:
                    raise InstanceError(f"cloudlets[{i}].stored[{j}]: unknown model id {k!r}")
        if not isinstance(self.edges, tuple):
            raise InstanceError(f"edges: expected a tuple of (a, b, weight), got {type(self.edges).__name__}")
        for i, e in enumerate(self.edges):
            if not isinstance(e, tuple) or len(e) != 3:
                raise InstanceError(f"edges[{i}]: expected (a, b, weight), got {e!r}")
            a, b, w = e
            for end, name in ((a, "a"), (b, "b")):
                if not isinstance(end, str) or (end != DC and end not in ids):
                    raise InstanceError(f"edges[{i}].{name}: unknown cloudlet id {end!r}")
            number(f"edges[{i}].weight", w)
        if not self.requests:
            raise InstanceError("requests: an instance needs at least one request")
        for i, q in enumerate(self.requests):
            p = f"requests[{i}]"
            ident(f"{p}.id", q.id)
            if not isinstance(q.home, str) or q.home not in ids:
                raise InstanceError(f"{p}.home: unknown cloudlet id {q.home!r}")
            ident(f"{p}.task", q.task)
            if number(f"{p}.min_accuracy", q.min_accuracy) > 1:
                raise InstanceError(f"{p}.min_accuracy: must be in [0, 1], got {q.min_accuracy!r}")
            for name in ("budget", "data_bits"):
                number(f"{p}.{name}", getattr(q, name))
            for name in ("uplink_rate", "penalty"):
                number(f"{p}.{name}", getattr(q, name), positive=True)
        number("dc_price", self.dc_price)
        number("edge_price", self.edge_price)
        if not isinstance(self.meta, Mapping):
            raise InstanceError(f"meta: expected a mapping, got {type(self.meta).__name__}")
        if not np.isfinite(self.distance).all():
            raise InstanceError("edges: the graph does not connect every cloudlet to the data center")

    @cached_property
    def nodes(self) -> list[str]:
        return [c.id for c in self.cloudlets] + [DC]

    @cached_property
    def distance(self) -> np.ndarray:
        """Shortest-path s/GB between nodes (cloudlets in order, then the data center)."""
        from scipy.sparse.csgraph import csgraph_from_dense, dijkstra  # on use: the module imports light

        idx = {n: i for i, n in enumerate(self.nodes)}
        n = len(self.nodes)
        W = np.full((n, n), np.inf)
        for a, b, x in self.edges:  # parallel edges: the cheapest counts; a 0-weight edge stays an edge
            i, j = idx[a], idx[b]
            W[i, j] = W[j, i] = min(W[i, j], max(float(x), 1e-300))
        return dijkstra(csgraph_from_dense(W, null_value=np.inf), directed=False)

    def options(self, q: int, sharing: bool = True) -> list[tuple[str, str, str, float, float]]:
        """Affordable options ``(model, shareable source, specific source, delay, cost)`` of request q,
        the data-center fallback ``("dc", "dc", "dc", penalty, 0)`` last. ``sharing=False``: no common
        knowledge, the shareable part too comes only from cloudlets storing k itself."""
        r = self.requests[q]
        home = self.nodes.index(r.home)
        base = self.cloudlets[home].waiting + r.data_bits / r.uplink_rate
        out = []
        for m in self.models:
            if m.task != r.task or m.accuracy < r.min_accuracy:
                continue
            sh_src, sp_src = self.sources(m.id, sharing)
            for a, b in itertools.product(sh_src, sp_src):
                ia, ib = self.nodes.index(a), self.nodes.index(b)
                pull = max(
                    self.distance[ia, home] * SHARE * m.size / GB, self.distance[ib, home] * (1 - SHARE) * m.size / GB
                )
                cost = self._price(a, r.home) * SHARE * m.size / GB + self._price(b, r.home) * (1 - SHARE) * m.size / GB
                if cost <= r.budget * (1 + 1e-12):
                    out.append((m.id, a, b, pull + m.inference_time + base, cost))
        out.append((DC, DC, DC, r.penalty, 0.0))
        return out

    def sources(self, k: str, sharing: bool = True) -> tuple[list[str], list[str]]:
        """Nodes that can send model k's shareable part and its specific part."""
        task = self._model(k).task
        sp = [c.id for c in self.cloudlets if k in c.stored] + [DC]
        if not sharing:
            return sp, sp
        return [c.id for c in self.cloudlets if any(self._model(x).task == task for x in c.stored)] + [DC], sp

    @cached_property
    def _models_by_id(self) -> dict[str, SplitModel]:
        return {m.id: m for m in self.models}

    def _model(self, k: str) -> SplitModel:
        return self._models_by_id[k]

    def _price(self, src: str, home: str) -> float:
        return 0.0 if src == home else (self.dc_price if src == DC else self.edge_price)

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "schema": SCHEMA,
            "cloudlets": [
                {
                    "id": c.id,
                    "compute": c.compute,
                    "arrival": c.arrival,
                    "m1": c.m1,
                    "m2": c.m2,
                    "stored": list(c.stored),
                }
                for c in self.cloudlets
            ],
            "edges": [{"a": a, "b": b, "weight": w} for a, b, w in self.edges],
            "models": [
                {"id": m.id, "task": m.task, "size": m.size, "accuracy": m.accuracy, "inference_time": m.inference_time}
                for m in self.models
            ],
            "requests": [
                {
                    "id": q.id,
                    "home": q.home,
                    "task": q.task,
                    "min_accuracy": q.min_accuracy,
                    "budget": q.budget,
                    "data_bits": q.data_bits,
                    "uplink_rate": q.uplink_rate,
                    "penalty": q.penalty,
                }
                for q in self.requests
            ],
            "dc_price": self.dc_price,
            "edge_price": self.edge_price,
        }
        if self.meta:
            d["meta"] = dict(self.meta)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SplitInstance:
        if not isinstance(d, Mapping):
            raise InstanceError(f"instance: expected a JSON object, got {type(d).__name__}")
        if d.get("schema") != SCHEMA:
            raise InstanceError(f"schema: unknown schema version {d.get('schema')!r} (expected {SCHEMA!r})")
        unknown = sorted(set(d) - set(_FIELDS))
        if unknown:
            raise InstanceError(f"{unknown[0]}: unknown field (a split instance has {', '.join(_FIELDS)})")
        for key in ("cloudlets", "edges", "models", "requests"):
            if key not in d:
                raise InstanceError(f"{key}: missing field")

        def cloudlet(i: int, c: Any) -> SplitCloudlet:
            if isinstance(c, Mapping) and "stored" in c:
                c = {**c, "stored": tuple(json_list(f"cloudlets[{i}].stored", c["stored"]))}
            return build_record(SplitCloudlet, f"cloudlets[{i}]", c, required=("id", "compute"))

        def edge(i: int, e: Any) -> tuple[str, str, float]:
            if not isinstance(e, Mapping):
                raise InstanceError(f"edges[{i}]: expected an object {{a, b, weight}}, got {type(e).__name__}")
            for key in ("a", "b", "weight"):
                if key not in e:
                    raise InstanceError(f"edges[{i}].{key}: missing field")
            extra = sorted(set(e) - {"a", "b", "weight"})
            if extra:
                raise InstanceError(f"edges[{i}].{extra[0]}: unknown field")
            return (e["a"], e["b"], e["weight"])

        cloudlets = tuple(cloudlet(i, c) for i, c in enumerate(json_list("cloudlets", d["cloudlets"])))
        edges = tuple(edge(i, e) for i, e in enumerate(json_list("edges", d["edges"])))
        models = tuple(
            build_record(SplitModel, f"models[{i}]", m, required=("id", "task", "size", "accuracy", "inference_time"))
            for i, m in enumerate(json_list("models", d["models"]))
        )
        requests = tuple(
            build_record(
                SplitRequest,
                f"requests[{i}]",
                q,
                required=("id", "home", "task", "min_accuracy", "budget", "data_bits", "uplink_rate", "penalty"),
            )
            for i, q in enumerate(json_list("requests", d["requests"]))
        )
        kw: dict[str, Any] = {}
        for key in ("dc_price", "edge_price"):
            if key in d:
                kw[key] = d[key]
        return cls(cloudlets, edges, models, requests, meta=meta_object(d.get("meta")), **kw)


__all__ = ["SCHEMA", "SHARE", "DC", "GB", "SplitCloudlet", "SplitModel", "SplitRequest", "SplitInstance"]
