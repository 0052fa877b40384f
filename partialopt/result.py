"""The one result type every method returns, and its JSON form (SPEC §9, ``partialopt/result@1``)."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from .core.status import STATUSES
from .evaluate import Evaluation, evaluate
from .instance import Instance

SCHEMA = "partialopt/result@1"


def relative_gap(objective: float, bound: float | None) -> float | None:
    """``(bound - objective) / bound`` (0 when both are 0); None without a bound."""
    if bound is None:
        return None
    if bound <= 0:
        return 0.0
    return max(0.0, (bound - objective) / bound)


@dataclass
class Result:
    """A schedule and what is known about it.

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
    ) -> "Result":
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
    def makespan(self) -> float:
        """Last finish under the reported allocation. With the least (closed-form) allocation
        every upload ends exactly at its latest start, so this is usually the last user's
        latest finish; the GPU's own busy time is the zero-upload finish (``Timeline.makespan``),
        which is what the SPEC §4 tie-break minimises."""
        return max(self.finish.values(), default=0.0)

    def evaluate(self, instance: Instance) -> Evaluation:
        """The evaluator's verdict on this result's order and bandwidth."""
        return evaluate(instance, self.order, self.bandwidth or None)

    def is_feasible(self, instance: Instance) -> bool:
        return self.evaluate(instance).feasible

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d = {"schema": SCHEMA, **d}
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Result":
        if d.get("schema") != SCHEMA:
            raise ValueError(f"schema: unknown result schema {d.get('schema')!r} (expected {SCHEMA!r})")
        if "order" not in d:
            raise ValueError("order: missing field")
        kw = {k: v for k, v in d.items() if k != "schema"}
        kw.setdefault("method", "unknown")
        kw.setdefault("status", "feasible")
        kw.setdefault("bandwidth", {})
        kw.setdefault("objective", len(kw["order"]))
        return cls(**kw)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json())

    @classmethod
    def load(cls, path: str | Path) -> "Result":
        return cls.from_dict(json.loads(Path(path).read_text()))
