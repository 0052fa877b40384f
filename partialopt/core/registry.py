"""The method registry shared by every problem family: lazy import paths, option checks,
``supports(instance)`` with the reason a method does not apply, re-evaluation of every returned
solution by the family's evaluator, and timing.

A family is declared once (``partialopt/solve.py`` declares the three: ``scheduling``,
``pulling``, ``split``) with import paths only, so that nothing heavy is imported before a method
runs. Adding a method is one function and one :class:`MethodSpec` line; adding a family is an
instance class with a ``schema`` tag, a result class following :class:`~.result.ResultBase`,
and one :class:`Family` entry.
"""

from __future__ import annotations

import importlib
import inspect
import math
import numbers
import textwrap
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import NotApplicable, OptionError

RANGES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "time_limit": (lambda v: math.isfinite(v) and v > 0, "must be a positive finite number of seconds"),
    "memory_limit": (lambda v: math.isfinite(v) and v > 0, "must be a positive finite number"),
    "threads": (lambda v: v >= 1, "must be an integer >= 1"),
    "mip_gap": (lambda v: 0 <= v <= 1, "must be in [0, 1]"),
    "seed": (lambda v: v >= 0, "must be an integer >= 0"),
    "max_evals": (lambda v: v >= 0, "must be an integer >= 0"),
    "max_rounds": (lambda v: v >= 0, "must be an integer >= 0"),
    "max_cut_rounds": (lambda v: v >= 1, "must be an integer >= 1"),
    "samples": (lambda v: v >= 1, "must be an integer >= 1"),
    "lagrangian_seconds": (lambda v: math.isfinite(v) and v >= 0, "must be a finite number of seconds >= 0"),
}
"""Ranges of the options methods share, by name (checked wherever a method takes one)."""
TYPE_OF_NONE_DEFAULT: dict[str, type] = {"threads": int, "max_evals": int}
"""Options whose default is None but whose value, when given, has a known type."""


def check_option(name: str, value: Any, default: Any, label: str | None = None) -> Any:
    """One option value checked against its default's type (bool, int, float; an int is accepted
    for a float and converted) and the shared :data:`RANGES`; other options (text, orders,
    objects, callables) are left to the method. Returns the value (floats as ``float``).
    Raises :class:`OptionError` naming ``label`` (default: the option's name)."""
    label = label or name
    expected = type(default) if default is not None else TYPE_OF_NONE_DEFAULT.get(name)
    if value is None or expected not in (bool, int, float):
        return value
    if expected is bool:
        ok = isinstance(value, bool)
    elif expected is int:
        ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
        value = int(value) if ok else value
    else:
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if ok:
            try:
                value = float(value)
            except OverflowError:
                raise OptionError(f"{label}: number too large") from None
            if not math.isfinite(value) and name not in RANGES:
                raise OptionError(f"{label}: must be a finite number, got {value!r}")
    if not ok:
        raise OptionError(f"{label}: expected {expected.__name__}, got {type(value).__name__} {value!r}")
    if name in RANGES and not isinstance(value, bool):
        test, rule = RANGES[name]
        if not test(value):
            raise OptionError(f"{label}: {rule}, got {value!r}")
    return value


def numpydoc_parameters(doc: str) -> dict[str, tuple[str, str]]:
    """``name -> (type, description)`` from the numpydoc ``Parameters`` section of ``doc``."""
    lines = doc.splitlines()
    out: dict[str, tuple[str, str]] = {}
    try:
        i = next(
            n for n in range(len(lines) - 1) if lines[n].strip() == "Parameters" and set(lines[n + 1].strip()) == {"-"}
        )
    except StopIteration:
        return out
    name: str | None = None
    typ, text = "", []  # type: tuple[str, list[str]]
    for n in range(i + 2, len(lines)):
        line = lines[n]
        if n + 1 < len(lines) and line.strip() and set(lines[n + 1].strip()) == {"-"}:
            break  # the next section
        if line and not line[0].isspace():
            if name:
                out[name] = (typ, " ".join(text))
            head, _, typ = line.partition(":")
            name, typ, text = head.strip().lstrip("*"), typ.strip(), []
        elif name and line.strip():
            text.append(line.strip())
    if name:
        out[name] = (typ, " ".join(text))
    return out


def load(path: str) -> Any:
    """The object at ``"package.module:name"``."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class MethodSpec:
    """One method: ``path`` to ``fn(instance, **options) -> result``; ``supports``: optional path to
    ``fn(instance) -> str`` giving the reason the method does not cover ``instance`` ("" if it
    does); ``kind``: ``exact``, ``heuristic``, ``baseline`` or ``bound``."""

    name: str
    path: str
    kind: str = "heuristic"
    supports: str | None = None

    def function(self) -> Callable[..., Any]:
        return load(self.path)

    def options(self) -> dict[str, Any]:
        """Keyword options the method accepts, with their defaults."""
        params = list(inspect.signature(self.function()).parameters.values())[1:]
        return {p.name: p.default for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}

    def describe(self) -> str:
        """What ``partialopt solve --method NAME --help`` prints: the docstring's summary, then
        every option with its default and its numpydoc ``Parameters`` entry."""
        fn = self.function()
        doc = inspect.getdoc(fn) or ""
        summary = " ".join(doc.split("\n\n", 1)[0].split())
        params = numpydoc_parameters(doc)
        lines = [f"{self.name} ({self.kind}): {summary}", "", "options (default):"]
        options = self.options()
        for name, default in options.items():
            typ, text = params.get(name, ("", ""))
            shown = "required" if default is inspect.Parameter.empty else repr(default)
            lines.append(f"  {name} = {shown}" + (f"   ({typ})" if typ else ""))
            lines += textwrap.wrap(text, 88, initial_indent="      ", subsequent_indent="      ")
        if not options:
            lines.append("  (none)")
        return "\n".join(lines)

    def why_not(self, instance: Any) -> str:
        """ "" when the method covers ``instance``, else the reason (``dp: ...``)."""
        return load(self.supports)(instance) if self.supports else ""


@dataclass(frozen=True)
class Family:
    """A problem family: its instance class and JSON schema tag, its result class, its methods and
    presets (``name -> path of fn(size, seed, **options) -> instance``), all as import paths."""

    name: str
    schema: str
    instance: str
    result: str
    methods: Mapping[str, MethodSpec]
    presets: Mapping[str, str] = field(default_factory=dict)
    default_method: str = ""

    def instance_class(self) -> Any:
        """The instance class (with ``from_dict`` / ``to_dict``)."""
        return load(self.instance)

    def result_class(self) -> Any:
        """The result class (a :class:`~.result.ResultBase`)."""
        return load(self.result)

    def method(self, name: str) -> MethodSpec:
        if name not in self.methods:
            raise OptionError(
                f"method: unknown method {name!r} of the {self.name} family (choose from {sorted(self.methods)})"
            )
        return self.methods[name]


class Registry:
    """The families, looked up by instance object, instance JSON schema or result JSON schema."""

    def __init__(self, families: list[Family]):
        self.families = {f.name: f for f in families}

    def family(self, name: str) -> Family:
        if name not in self.families:
            raise OptionError(f"family: unknown problem family {name!r} (choose from {sorted(self.families)})")
        return self.families[name]

    def family_of(self, instance: Any) -> Family:
        """The family whose instance class ``instance`` is (TypeError-style OptionError if none)."""
        path = f"{type(instance).__module__}:{type(instance).__qualname__}"
        for fam in self.families.values():
            if fam.instance == path:
                return fam
        for fam in self.families.values():  # subclasses
            if isinstance(instance, fam.instance_class()):
                return fam
        raise OptionError(
            f"instance: expected an instance of {sorted(f.instance for f in self.families.values())}, "
            f"got {type(instance).__name__}"
        )

    def family_of_schema(self, schema: Any) -> Family:
        """The family of an instance file's ``schema`` tag."""
        for fam in self.families.values():
            if fam.schema == schema:
                return fam
        raise OptionError(
            f"schema: unknown instance schema {schema!r} "
            f"(choose from {sorted(f.schema for f in self.families.values())})"
        )

    def family_of_result_schema(self, schema: Any) -> Family:
        for fam in self.families.values():
            if fam.result_class().SCHEMA == schema:
                return fam
        raise OptionError(f"schema: unknown result schema {schema!r}")

    def solve(self, instance: Any, method: str | None = None, **options: Any) -> Any:
        """Run ``method`` of ``instance``'s family: check the options, ask ``supports`` (raise
        :class:`NotApplicable` with the reason), time it, and re-check the returned solution with
        the family's evaluator (a method bug raises, never hides)."""
        fam = self.family_of(instance)
        spec = fam.method(method or fam.default_method)
        accepted = spec.options()
        unknown = sorted(set(options) - set(accepted))
        if unknown:
            raise OptionError(
                f"{spec.name}: unknown option {unknown[0]!r} (accepted: {', '.join(sorted(accepted)) or 'none'})"
            )
        options = {k: check_option(k, v, accepted[k]) for k, v in options.items()}
        reason = spec.why_not(instance)
        if reason:
            raise NotApplicable(reason)
        t0 = time.perf_counter()
        result = spec.function()(instance, **options)
        if not result.wall_time:
            result.wall_time = time.perf_counter() - t0
        problems = result.claim_problems(instance)
        if problems:
            raise RuntimeError(
                f"{spec.name}: the {fam.name} evaluator contradicts the result ({'; '.join(problems)}); this is a bug"
            )
        return result
