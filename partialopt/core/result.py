"""The result base every family's result type shares (the PyVRP habit: ``cost()``,
``is_feasible()``, ``summary()``), the one gap function, and JSON with a schema tag.

A family's result is a dataclass with at least the fields ``method``, ``status``, ``objective``,
``bound``, ``gap``, ``wall_time`` and ``stats``, plus its own solution fields; it mixes in
:class:`ResultBase` and sets the class attributes ``SCHEMA`` (the JSON tag), ``SENSE``
(``"max"``: the scheduling model serves the most users; ``"min"``: the pulling models' delay)
and implements :meth:`ResultBase.evaluate` with its family's evaluator.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from .errors import InstanceError
from .status import Status


def gap(objective: float, bound: float | None, sense: str = "max") -> float | None:
    """Relative optimality gap, the same for every family (None without a bound)::

        max:  (bound - objective) / bound        (0 when bound <= 0)
        min:  (objective - bound) / objective    (0 when objective <= 0)

    clipped at 0 (an objective that meets its bound has gap 0)."""
    if bound is None:
        return None
    if sense == "max":
        return 0.0 if bound <= 0 else max(0.0, (bound - objective) / bound)
    if sense == "min":
        return 0.0 if objective <= 0 else max(0.0, (objective - bound) / objective)
    raise ValueError(f"sense: expected 'max' or 'min', got {sense!r}")


class ResultBase:
    """What every result offers; see the module docstring for what a family's result provides."""

    SCHEMA: ClassVar[str] = ""
    SENSE: ClassVar[str] = "max"

    method: str
    status: str
    objective: float
    bound: float | None
    wall_time: float
    stats: dict

    @property
    def sense(self) -> str:
        return self.SENSE

    def cost(self) -> float:
        """The objective (served users, or total delay), as the family's evaluator computes it."""
        return self.objective

    def relative_gap(self) -> float | None:
        """:func:`gap` of this result's objective and bound."""
        return gap(self.objective, self.bound, self.SENSE)

    @property
    def proven_optimal(self) -> bool:
        return str(self.status) == Status.OPTIMAL

    def evaluate(self, instance: Any) -> Any:  # pragma: no cover - every family overrides
        raise NotImplementedError

    def is_feasible(self, instance: Any) -> bool:
        """The family's evaluator's verdict on this result's solution."""
        return bool(self.evaluate(instance).feasible)

    def claim_problems(self, instance: Any) -> list[str]:
        """What this result claims that its family's evaluator contradicts: an infeasible solution,
        an objective other than the evaluator's, a bound on the wrong side of the objective, an
        ``optimal`` without a bound that meets it. Empty when every claim holds."""
        ev = self.evaluate(instance)
        out = [] if ev.feasible else ["the solution is infeasible"]
        actual = float(ev.total if self.SENSE == "min" else ev.objective)
        tol = 1e-6 * max(1.0, abs(actual))
        if abs(float(self.objective) - actual) > tol:
            out.append(f"objective {self.objective:g} differs from the evaluator's {actual:g}")
        if self.bound is not None:
            wrong_side = self.bound < actual - tol if self.SENSE == "max" else self.bound > actual + tol
            if wrong_side:
                side = "below" if self.SENSE == "max" else "above"
                out.append(f"bound {self.bound:g} is {side} a feasible objective {actual:g}: not a bound")
        if str(self.status) == Status.OPTIMAL and (self.bound is None or abs(self.bound - actual) > tol):
            out.append(f"status optimal, but the bound {self.bound} does not meet the objective {actual:g}")
        return out

    def summary(self) -> str:
        """One line: method, status, objective, bound, gap, wall time."""
        b = "-" if self.bound is None else f"{self.bound:g}"
        g = self.relative_gap()
        gtxt = "-" if g is None else f"{100 * g:.2f}%"
        return (
            f"{self.method}: status={self.status} objective={self.objective:g} bound={b} gap={gtxt} "
            f"time={self.wall_time:.3f}s"
        )

    # -- JSON -------------------------------------------------------------------------------
    COMMON_FIELDS: ClassVar[tuple[str, ...]] = ("method", "status", "objective", "bound", "gap", "wall_time", "stats")

    def common_payload(self) -> dict[str, Any]:
        """The JSON form of the fields every result has."""
        return {
            "method": self.method,
            "status": str(self.status),
            "objective": self.objective,
            "bound": self.bound,
            "gap": getattr(self, "gap", None),
            "wall_time": self.wall_time,
            "stats": self.stats,
        }

    @classmethod
    def common_fields(cls, d: Mapping[str, Any], own: tuple[str, ...], required: tuple[str, ...]) -> dict[str, Any]:
        """Check a payload's fields (the common ones plus ``own``; ``required`` present) and parse
        the common ones (field-named errors); the family parses its ``own``."""
        from .validation import finite_number, json_object, status, text

        known = set(cls.COMMON_FIELDS) | set(own)
        unknown = sorted(set(d) - known)
        if unknown:
            raise InstanceError(f"{unknown[0]}: unknown field (a {cls.__name__} has {sorted(known)})")
        for name in required:
            if name not in d:
                raise InstanceError(f"{name}: missing field")
        return {
            "method": text("method", d.get("method", "unknown")),
            "status": status(d.get("status", "feasible")),
            "objective": finite_number("objective", d["objective"]),
            "bound": None if d.get("bound") is None else finite_number("bound", d["bound"]),
            "gap": None if d.get("gap") is None else finite_number("gap", d["gap"]),
            "wall_time": finite_number("wall_time", d.get("wall_time", 0.0)),
            "stats": json_object("stats", d.get("stats")),
        }

    def payload(self) -> dict[str, Any]:  # pragma: no cover - every family overrides
        raise NotImplementedError

    @classmethod
    def from_payload(cls, d: Mapping[str, Any]):  # pragma: no cover - every family overrides
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        return {"schema": self.SCHEMA, **self.payload()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]):
        from .jsonio import json_type

        if not isinstance(d, Mapping):
            raise InstanceError(f"expected a JSON object (a result), got {json_type(d)}")
        if d.get("schema") != cls.SCHEMA:
            raise InstanceError(f"schema: unknown result schema {d.get('schema')!r} (expected {cls.SCHEMA!r})")
        return cls.from_payload({k: v for k, v in d.items() if k != "schema"})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    def save(self, path: str | Path) -> None:
        """Write the JSON atomically (temporary file + rename)."""
        from .jsonio import write_text_atomic

        write_text_atomic(path, self.to_json())

    @classmethod
    def load(cls, path: str | Path):
        """Read and validate a result file; every error is an :class:`InstanceError` starting with
        the path."""
        from .jsonio import check_numbers, read_json

        try:
            data = read_json(path, "result")
            check_numbers(data)
            return cls.from_dict(data)
        except InstanceError as exc:
            if str(exc).startswith(f"{path}: "):
                raise
            raise InstanceError(f"{path}: {exc}") from None
