"""The one result type every method returns, and its JSON form (SPEC §9, ``partialopt/result@1``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

from .core.errors import InstanceError
from .core.jsonio import json_type
from .core.result import ResultBase, gap
from .core.status import STATUSES
from .core.validation import count, optional_number, status, text
from .evaluate import Evaluation, evaluate
from .instance import Instance

SCHEMA = "partialopt/result@1"


def relative_gap(objective: float, bound: float | None) -> float | None:
    """``(bound - objective) / bound`` (0 when the bound is 0); None without a bound
    (:func:`partialopt.core.result.gap` for a maximisation)."""
    return gap(objective, bound, "max")


@dataclass
class Result(ResultBase):
    """A schedule and what is known about it (the scheduling family's result; the common part,
    ``cost()``, ``is_feasible()``, ``summary()`` and JSON files, is :class:`ResultBase`).

    ``order``: served user ids in service order; ``bandwidth``: user id -> Hz; ``objective``:
    number of served users; ``bound``: a proven upper bound on the optimum (None if unknown);
    ``gap``: ``(bound - objective) / bound``; ``status``: ``optimal`` only when the bound is
    proven and met.
    """

    method: str
    status: str
    order: list[str]
    bandwidth: dict[str, float]
    objective: int
    bound: float | None = None
    gap: float | None = None
    wall_time: float = 0.0
    start: dict[str, float] = field(default_factory=dict)
    finish: dict[str, float] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)

    SCHEMA: ClassVar[str] = SCHEMA
    SENSE: ClassVar[str] = "max"

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status: unknown status {self.status!r} (choose from {STATUSES})")

    @classmethod
    def from_order(
        cls,
        instance: Instance,
        order: Sequence[str | int],
        method: str,
        *,
        bound: float | None = None,
        status: str | None = None,
        wall_time: float = 0.0,
        stats: Mapping[str, Any] | None = None,
    ) -> Result:
        """Build the result of a feasible order with the closed-form allocation of SPEC §5.

        Status defaults to ``optimal`` when ``bound`` equals the objective, else ``feasible``.
        """
        ev = evaluate(instance, order)
        if not ev.feasible:
            raise ValueError(f"{method}: internal error, the order it built is infeasible: {ev.violations[:1]}")
        obj = ev.objective
        if bound is not None:
            bound = float(bound)
        if status is None:
            status = "optimal" if bound is not None and obj >= bound - 1e-9 else "feasible"
        return cls(
            method=method,
            status=status,
            order=ev.order,
            bandwidth=ev.bandwidth,
            objective=obj,
            bound=bound,
            gap=relative_gap(obj, bound),
            wall_time=wall_time,
            start=ev.start,
            finish=ev.finish,
            stats=dict(stats or {}),
        )

    @property
    def last_finish(self) -> float:
        """Last finish under the reported allocation. With the least (closed-form) allocation
        every upload ends exactly at its latest start, so this is usually the last user's
        latest finish; the GPU's own busy time is the zero-upload finish
        (:func:`partialopt.evaluate.gpu_finish`), which is what the SPEC §4 tie-break minimises."""
        return max(self.finish.values(), default=0.0)

    def evaluate(self, instance: Instance) -> Evaluation:
        """The evaluator's verdict on this result's order and bandwidth."""
        return evaluate(instance, self.order, self.bandwidth or None)

    def is_feasible(self, instance: Instance) -> bool:
        return self.evaluate(instance).feasible

    def payload(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_payload(cls, d: Mapping[str, Any]) -> Result:
        """Validate and build a result from its JSON form (without the schema tag, checked by
        :meth:`ResultBase.from_dict`); an :class:`InstanceError` names the field
        (``order: expected a list of user ids, got str``). ``method``, ``status``, ``bandwidth`` and
        ``objective`` may be omitted (``unknown``, ``feasible``, none: closed form, ``len(order)``)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in d if k not in known)
        if unknown:
            raise InstanceError(f"{unknown[0]}: unknown field (a result has {sorted(known)})")
        if "order" not in d:
            raise InstanceError("order: missing field (the served user ids in service order)")
        order = _order(d["order"])
        kw: dict[str, Any] = {"order": order}
        kw["method"] = text("method", d.get("method", "unknown"))
        kw["status"] = status(d.get("status", "feasible"))
        kw["bandwidth"] = _number_map("bandwidth", d.get("bandwidth"))
        kw["objective"] = count("objective", d.get("objective", len(order)))
        for name in ("bound", "gap"):
            kw[name] = optional_number(name, d.get(name))
        kw["wall_time"] = optional_number("wall_time", d.get("wall_time")) or 0.0
        kw["start"] = _number_map("start", d.get("start"))
        kw["finish"] = _number_map("finish", d.get("finish"))
        stats = d.get("stats")
        if stats is not None and not isinstance(stats, Mapping):
            raise InstanceError(f"stats: expected a JSON object, got {json_type(stats)}")
        kw["stats"] = dict(stats or {})
        return cls(**kw)


def _order(value: Any) -> list[str]:
    """``order``: a list of distinct non-empty user id strings."""
    if not isinstance(value, list):
        raise InstanceError(f"order: expected a list of user ids, got {json_type(value)}")
    seen: set[str] = set()
    for i, u in enumerate(value):
        if not isinstance(u, str) or not u:
            raise InstanceError(f"order[{i}]: expected a user id (a non-empty string), got {u!r}")
        if u in seen:
            raise InstanceError(f"order[{i}]: user {u!r} appears more than once")
        seen.add(u)
    return list(value)


def _number_map(name: str, value: Any) -> dict[str, float]:
    """``bandwidth``/``start``/``finish``: user id -> finite non-negative number (null/absent: empty)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InstanceError(f"{name}: expected a JSON object (user id -> number), got {json_type(value)}")
    out: dict[str, float] = {}
    for k, v in value.items():
        field_name = f"{name}[{k!r}]"
        if v is None:
            raise InstanceError(f"{field_name}: expected a number, got null")
        number = optional_number(field_name, v)
        assert number is not None  # null was rejected above
        out[str(k)] = number
    return out
