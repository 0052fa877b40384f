"""Lazy package namespaces (PEP 562): a package lists its public names and the modules that
define them, and imports a module only when one of its names is first used, so that
``import partialopt`` (or ``partialopt.pulling``) stays light."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, names: Mapping[str, str], submodules: Mapping[str, str] | None = None
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: ``names`` maps a public name to the module that
    defines it, ``submodules`` a public name to a module exported whole. A name is imported on
    first access and then bound on the package, so later lookups skip ``__getattr__``."""
    submodules = dict(submodules or {})

    def __getattr__(name: str) -> Any:
        if name in submodules:
            value = importlib.import_module(submodules[name])
        elif name in names:
            value = getattr(importlib.import_module(names[name]), name)
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(names) | set(submodules))

    return __getattr__, __dir__
