"""Validation helpers shared by every family's instance classes: each checks one JSON value and
raises :class:`~partialopt.core.errors.InstanceError` whose message starts with the field's path
(``users[3].deadline: is NaN``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any

from .errors import InstanceError
from .jsonio import json_type
from .status import STATUSES


def number(path: str, value: Any, *, positive: bool = False, allow_zero: bool = True) -> float:
    """A finite number, >= 0 (> 0 with ``positive``); the error names ``path``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InstanceError(f"{path}: expected a number, got {value!r}")
    v = float(value)
    if math.isnan(v):
        raise InstanceError(f"{path}: is NaN")
    if math.isinf(v):
        raise InstanceError(f"{path}: is infinite")
    if positive and v <= 0:
        raise InstanceError(f"{path}: must be > 0, got {value!r}")
    if not allow_zero and v == 0:
        raise InstanceError(f"{path}: must be non-zero")
    if v < 0:
        raise InstanceError(f"{path}: must be >= 0, got {value!r}")
    return v


def integer(path: str, value: Any) -> int:
    """A non-negative integer (an integral float is accepted); the error names ``path``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or float(value) != int(value)
    ):
        raise InstanceError(f"{path}: expected a non-negative integer, got {value!r}")
    if value < 0:
        raise InstanceError(f"{path}: must be >= 0, got {value!r}")
    return int(value)


def ident(path: str, value: Any) -> str:
    """A non-empty string id; the error names ``path``."""
    if not isinstance(value, str) or not value:
        raise InstanceError(f"{path}: expected a non-empty string id, got {value!r}")
    return value


def meta_object(value: Any) -> dict[str, Any]:
    """``meta``: a JSON object of free-form annotations (absent or null: empty)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InstanceError(f"meta: expected a JSON object, got {json_type(value)}")
    return dict(value)


def json_list(path: str, value: Any) -> list:
    """A JSON list; the error names ``path``."""
    if not isinstance(value, list):
        raise InstanceError(f"{path}: expected a list, got {type(value).__name__}")
    return value


def build_record(cls: type, path: str, data: Any, required: Sequence[str], tuples: Sequence[str] = ()) -> Any:
    """``cls(**data)`` for a dataclass ``cls`` from a JSON object: every ``required`` field present,
    no unknown field, the ``tuples`` fields given as lists (and stored as tuples); errors name
    ``path.field``."""
    if not isinstance(data, Mapping):
        raise InstanceError(f"{path}: expected an object, got {type(data).__name__}")
    names = {f.name for f in fields(cls)}
    for key in required:
        if key not in data:
            raise InstanceError(f"{path}.{key}: missing field")
    unknown = set(data) - names
    if unknown:
        raise InstanceError(f"{path}.{sorted(unknown)[0]}: unknown field")
    kw = dict(data)
    for name in tuples:
        if name in kw:
            kw[name] = tuple(json_list(f"{path}.{name}", kw[name]))
    return cls(**kw)


def text(name: str, value: Any) -> str:
    """A JSON string."""
    if not isinstance(value, str):
        raise InstanceError(f"{name}: expected a string, got {json_type(value)}")
    return value


def status(value: Any) -> str:
    """A status of the shared vocabulary (:data:`~partialopt.core.status.STATUSES`)."""
    if not isinstance(value, str) or value not in STATUSES:
        raise InstanceError(f"status: unknown status {value!r} (choose from {list(STATUSES)})")
    return value


def finite_number(name: str, value: Any) -> float:
    """A finite JSON number (not a boolean)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InstanceError(f"{name}: expected a number, got {json_type(value)}")
    try:
        v = float(value)
    except OverflowError:
        raise InstanceError(f"{name}: number too large") from None
    if not math.isfinite(v):
        raise InstanceError(f"{name}: must be finite, got {v!r}")
    return v


def optional_number(name: str, value: Any) -> float | None:
    """A finite non-negative number, or None for null/absent."""
    if value is None:
        return None
    v = finite_number(name, value)
    if v < 0:
        raise InstanceError(f"{name}: must be >= 0, got {value!r}")
    return v


def count(name: str, value: Any) -> int:
    """A non-negative JSON integer (not a boolean)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InstanceError(f"{name}: expected a non-negative integer, got {value!r}")
    return value


def flag(name: str, value: Any) -> bool:
    """A JSON boolean."""
    if not isinstance(value, bool):
        raise InstanceError(f"{name}: expected true or false, got {value!r}")
    return value


def json_object(name: str, value: Any) -> dict:
    """A JSON object (absent or null: empty)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InstanceError(f"{name}: expected a JSON object, got {json_type(value)}")
    return dict(value)
