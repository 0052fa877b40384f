"""One entry point, ``solve(instance, method=..., **options)``, and the table of methods.

Adding a method is one module exposing ``fn(instance, **options) -> Result`` and one line in
:data:`METHODS`. Entries are import paths so that heavy dependencies (Pyomo) load only when used.
"""
from __future__ import annotations

import importlib
import inspect
import time
from typing import Any, Callable

from .core.errors import OptionError
from .instance import Instance
from .result import Result

METHODS: dict[str, str] = {
    "greedy": "partialopt.algorithms.greedy:greedy",
    "dp": "partialopt.algorithms.dp:dp",
    "local_search": "partialopt.algorithms.local_search:local_search",
    "no_sharing": "partialopt.algorithms.greedy:no_sharing",
    "brute_force": "partialopt.algorithms.brute_force:brute_force",
    "edf": "partialopt.algorithms.baselines:edf",
    "random": "partialopt.algorithms.baselines:random_order",
    "milp": "partialopt.exact:milp",
    "lp_bound": "partialopt.exact:lp_bound",
}


def get_method(name: str) -> Callable[..., Result]:
    if name not in METHODS:
        raise OptionError(f"method: unknown method {name!r} (choose from {sorted(METHODS)})")
    module, fn = METHODS[name].split(":")
    return getattr(importlib.import_module(module), fn)


def method_options(name: str) -> dict[str, Any]:
    """Keyword options a method accepts, with their defaults."""
    sig = inspect.signature(get_method(name))
    return {p.name: p.default for p in list(sig.parameters.values())[1:]}


def solve(instance: Instance, method: str = "greedy", **options: Any) -> Result:
    """Solve ``instance`` with the named method; the returned schedule is re-checked by
    :func:`partialopt.evaluate` before it is handed back (a method bug raises, never hides)."""
    fn = get_method(method)
    accepted = method_options(method)
    unknown = set(options) - set(accepted)
    if unknown:
        raise OptionError(
            f"{method}: unknown option {sorted(unknown)[0]!r} (accepted: {sorted(accepted) or 'none'})"
        )
    t0 = time.perf_counter()
    result = fn(instance, **options)
    elapsed = time.perf_counter() - t0
    if not result.wall_time:
        result.wall_time = elapsed
    if result.order and not result.is_feasible(instance):
        raise RuntimeError(f"{method} returned a schedule the evaluator rejects; this is a bug")
    return result
