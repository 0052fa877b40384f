"""Problem data of SPEC §1 and its JSON format (SPEC §9): Block, Model, User, Server, Instance.

Every object is validated on construction; the first invalid field raises
:class:`InstanceError` whose message names the field (``users[3].deadline``) and the reason.
All quantities are SI units: bytes, seconds, bits, Hz, W, W/Hz.
JSON round-trips exactly (floats are written with ``repr``, which Python reads back bit-exact).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .core.errors import InstanceError
from .core.jsonio import JsonFile
from .core.validation import build_record, ident, integer, json_list, meta_object, number

if TYPE_CHECKING:
    from .arrays import ProblemArrays

SCHEMA = "partialopt/instance@1"
RATES = ("shannon", "fixed_snr")
OVERLAPS = ("sequential", "pipelined")


@dataclass(frozen=True)
class Block:
    """Parameter block ``j``: ``s_j`` = ``bytes``, ``n_j`` = ``tensors``."""

    id: str
    bytes: int
    tensors: int = 1

    def validate(self, path: str = "block") -> None:
        ident(f"{path}.id", self.id)
        integer(f"{path}.bytes", self.bytes)
        integer(f"{path}.tensors", self.tensors)


@dataclass(frozen=True)
class Model:
    """Model ``m``: ordered block ids ``J_m`` and batch-1 inference time ``e_m`` (s)."""

    id: str
    blocks: tuple[str, ...]
    inference_time: float

    def __post_init__(self) -> None:
        if isinstance(self.blocks, list):
            object.__setattr__(self, "blocks", tuple(self.blocks))

    def validate(self, path: str = "model") -> None:
        ident(f"{path}.id", self.id)
        if not isinstance(self.blocks, tuple) or not self.blocks:
            raise InstanceError(f"{path}.blocks: a model needs at least one block")
        seen: set[str] = set()
        for i, b in enumerate(self.blocks):
            ident(f"{path}.blocks[{i}]", b)
            if b in seen:
                raise InstanceError(f"{path}.blocks[{i}]: block id {b!r} listed twice")
            seen.add(b)
        number(f"{path}.inference_time", self.inference_time, positive=True)


@dataclass(frozen=True)
class User:
    """User/task ``k``: model ``m_k``, upload ``D_k`` bits, deadline ``T_k`` s, power ``p_k`` W,
    channel gain ``g_k`` (linear) for the ``shannon`` rate, ``snr_k`` (linear) for ``fixed_snr``."""

    id: str
    model: str
    data_bits: float
    deadline: float
    power: float | None = None
    gain: float | None = None
    snr: float | None = None


@dataclass(frozen=True)
class Server:
    """Edge server: ``v`` = load_bandwidth (B/s), ``alpha`` = tensor_overhead (s), ``B`` =
    total_bandwidth (Hz), ``N0`` = noise_psd (W/Hz), the rate and overlap variants, and the model
    resident at time 0 (or None)."""

    load_bandwidth: float
    tensor_overhead: float = 0.0
    total_bandwidth: float = 2.0e7
    noise_psd: float = 3.98e-21
    rate: str = "shannon"
    overlap: str = "sequential"
    initial_model: str | None = None

    def validate(self, path: str = "server") -> None:
        number(f"{path}.load_bandwidth", self.load_bandwidth, positive=True)
        number(f"{path}.tensor_overhead", self.tensor_overhead)
        number(f"{path}.total_bandwidth", self.total_bandwidth, positive=True)
        number(f"{path}.noise_psd", self.noise_psd, positive=True)
        if self.rate not in RATES:
            raise InstanceError(f"{path}.rate: unknown rate model {self.rate!r} (choose from {RATES})")
        if self.overlap not in OVERLAPS:
            raise InstanceError(f"{path}.overlap: unknown overlap variant {self.overlap!r} (choose from {OVERLAPS})")


@dataclass(frozen=True)
class Instance(JsonFile):
    """A validated problem instance (SPEC §1). Build it directly, from a dict, or from JSON.

    Derived numeric arrays used by every method live in :attr:`arrays`.
    """

    server: Server
    blocks: tuple[Block, ...]
    models: tuple[Model, ...]
    users: tuple[User, ...]
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("blocks", "models", "users"):
            v = getattr(self, name)
            if isinstance(v, list):
                object.__setattr__(self, name, tuple(v))
        self._validate()

    # ------------------------------------------------------------------ validation
    def _validate(self) -> None:
        if not isinstance(self.server, Server):
            raise InstanceError("server: expected a Server")
        self.server.validate("server")
        block_ids = self._unique_ids("blocks", self.blocks, Block)
        for i, b in enumerate(self.blocks):
            b.validate(f"blocks[{i}]")
        model_ids = self._unique_ids("models", self.models, Model)
        for i, m in enumerate(self.models):
            m.validate(f"models[{i}]")
            for j, bid in enumerate(m.blocks):
                if bid not in block_ids:
                    raise InstanceError(f"models[{i}].blocks[{j}]: unknown block id {bid!r}")
        if not self.users:
            raise InstanceError("users: an instance needs at least one user")
        self._unique_ids("users", self.users, User)
        e = {m.id: m.inference_time for m in self.models}
        for i, u in enumerate(self.users):
            p = f"users[{i}]"
            ident(f"{p}.model", u.model)
            if u.model not in model_ids:
                raise InstanceError(f"{p}.model: unknown model id {u.model!r}")
            number(f"{p}.data_bits", u.data_bits)
            number(f"{p}.deadline", u.deadline, positive=True)
            if u.deadline < e[u.model]:
                raise InstanceError(
                    f"{p}.deadline: {u.deadline!r} s is shorter than model {u.model!r}'s "
                    f"inference_time {e[u.model]!r} s, so the user can never be served"
                )
            if self.server.rate == "fixed_snr":
                if u.snr is None:
                    raise InstanceError(f"{p}.snr: required when server.rate is 'fixed_snr'")
                number(f"{p}.snr", u.snr, positive=True)
            else:
                for name in ("power", "gain"):
                    val = getattr(u, name)
                    if val is None:
                        raise InstanceError(f"{p}.{name}: required when server.rate is 'shannon'")
                    number(f"{p}.{name}", val, positive=True)
        init = self.server.initial_model
        if init is not None:
            ident("server.initial_model", init)
        if init is not None and init not in model_ids:
            raise InstanceError(f"server.initial_model: unknown model id {init!r}")

    @staticmethod
    def _unique_ids(name: str, items: Sequence[Any], cls: type[Any]) -> set[str]:
        ids: set[str] = set()
        for i, it in enumerate(items):
            if not isinstance(it, cls):
                raise InstanceError(f"{name}[{i}]: expected a {cls.__name__}, got {type(it).__name__}")
            ident(f"{name}[{i}].id", it.id)
            if it.id in ids:
                raise InstanceError(f"{name}[{i}].id: duplicate id {it.id!r}")
            ids.add(it.id)
        return ids

    # ------------------------------------------------------------------ convenience
    @property
    def K(self) -> int:
        """Number of users."""
        return len(self.users)

    @cached_property
    def user_index(self) -> dict[str, int]:
        return {u.id: k for k, u in enumerate(self.users)}

    @cached_property
    def model_index(self) -> dict[str, int]:
        return {m.id: i for i, m in enumerate(self.models)}

    @cached_property
    def arrays(self) -> ProblemArrays:
        """Numeric view (numpy arrays, switch-cost matrix) shared by every method."""
        from .arrays import ProblemArrays

        return ProblemArrays.from_instance(self)

    def replace(self, **changes: Any) -> Instance:
        """A copy with some top-level fields (server, blocks, models, users, meta) replaced."""
        kw = {f.name: getattr(self, f.name) for f in fields(self)}
        kw.update(changes)
        return Instance(**kw)

    def with_server(self, **changes: Any) -> Instance:
        """A copy whose server has some fields replaced (e.g. ``total_bandwidth=1e7``)."""
        kw = {f.name: getattr(self.server, f.name) for f in fields(self.server)}
        kw.update(changes)
        return self.replace(server=Server(**kw))

    def without_sharing(self) -> Instance:
        """The same instance where no two models share a block (each model owns private copies).

        Every switch between different models then reloads the full model: the paper's baseline.
        """
        blocks: list[Block] = []
        models: list[Model] = []
        by_id = {b.id: b for b in self.blocks}
        for m in self.models:
            own = []
            for b in m.blocks:
                nb = Block(f"{m.id}::{b}", by_id[b].bytes, by_id[b].tensors)
                blocks.append(nb)
                own.append(nb.id)
            models.append(Model(m.id, tuple(own), m.inference_time))
        return self.replace(blocks=tuple(blocks), models=tuple(models))

    def subset(self, user_ids: Sequence[str]) -> Instance:
        """The instance restricted to the given users (order preserved as in ``users``)."""
        keep = set(user_ids)
        return self.replace(users=tuple(u for u in self.users if u.id in keep))

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        s = self.server
        d: dict[str, Any] = {
            "schema": SCHEMA,
            "server": {
                "load_bandwidth": s.load_bandwidth,
                "tensor_overhead": s.tensor_overhead,
                "total_bandwidth": s.total_bandwidth,
                "noise_psd": s.noise_psd,
                "rate": s.rate,
                "overlap": s.overlap,
                "initial_model": s.initial_model,
            },
            "blocks": [{"id": b.id, "bytes": b.bytes, "tensors": b.tensors} for b in self.blocks],
            "models": [{"id": m.id, "blocks": list(m.blocks), "inference_time": m.inference_time} for m in self.models],
            "users": [
                {
                    "id": u.id,
                    "model": u.model,
                    "data_bits": u.data_bits,
                    "deadline": u.deadline,
                    "power": u.power,
                    "gain": u.gain,
                    "snr": u.snr,
                }
                for u in self.users
            ],
        }
        if self.meta:
            d["meta"] = dict(self.meta)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Instance:
        if not isinstance(d, Mapping):
            raise InstanceError(f"instance: expected a JSON object, got {type(d).__name__}")
        schema = d.get("schema")
        if schema != SCHEMA:
            raise InstanceError(f"schema: unknown schema version {schema!r} (expected {SCHEMA!r})")
        unknown = sorted(set(d) - {"schema", "server", "blocks", "models", "users", "meta"})
        if unknown:
            raise InstanceError(
                f"{unknown[0]}: unknown field (an instance has schema, server, blocks, models, users and meta)"
            )
        for key in ("server", "blocks", "models", "users"):
            if key not in d:
                raise InstanceError(f"{key}: missing field")
        server = build_record(Server, "server", d["server"], required=("load_bandwidth",))
        blocks = [
            build_record(Block, f"blocks[{i}]", b, required=("id", "bytes"))
            for i, b in enumerate(json_list("blocks", d["blocks"]))
        ]
        models = [
            build_record(Model, f"models[{i}]", m, required=("id", "blocks", "inference_time"), tuples=("blocks",))
            for i, m in enumerate(json_list("models", d["models"]))
        ]
        users = [
            build_record(User, f"users[{i}]", u, required=("id", "model", "data_bits", "deadline"))
            for i, u in enumerate(json_list("users", d["users"]))
        ]
        return cls(server, tuple(blocks), tuple(models), tuple(users), meta_object(d.get("meta")))
