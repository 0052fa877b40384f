"""partialopt: scheduling and uplink-bandwidth allocation for parameter-sharing edge inference.

Quick start::

    import partialopt as po
    inst = po.generate("backbone-common", users=10, seed=1)
    res = po.solve(inst, method="brute_force")
    po.evaluate(inst, res.order).feasible

    pull = po.generate("pulling-zoo", users=6, seed=0)      # the second problem family
    po.solve(pull, "ilp").summary()

``solve``, ``evaluate``, ``generate``, ``load_instance`` and ``load_result`` dispatch on the
problem family (:mod:`partialopt.solve`).

The public names load lazily (PEP 562): ``import partialopt`` imports nothing heavy, and
``po.NAME`` imports the module that defines NAME on first use. Add a public name with one entry in
:data:`_LAZY` (and one in ``__all__``).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

from .core.lazy import lazy_exports

__version__ = "0.1.0"

# public name -> the module that defines it (imported on first access of partialopt.NAME)
_LAZY: dict[str, str] = {
    "Block": "partialopt.instance",
    "Model": "partialopt.instance",
    "User": "partialopt.instance",
    "Server": "partialopt.instance",
    "Instance": "partialopt.instance",
    "PartialoptError": "partialopt.core.errors",
    "InstanceError": "partialopt.core.errors",
    "NotApplicable": "partialopt.core.errors",
    "OptionError": "partialopt.core.errors",
    "SolverError": "partialopt.core.errors",
    "Status": "partialopt.core.status",
    "STATUSES": "partialopt.core.status",
    "evaluate": "partialopt.solve",
    "Evaluation": "partialopt.evaluate",
    "Timeline": "partialopt.evaluate",
    "closed_form_allocation": "partialopt.evaluate",
    "Result": "partialopt.result",
    "ResultBase": "partialopt.core.result",
    "solve": "partialopt.solve",
    "METHODS": "partialopt.solve",
    "REGISTRY": "partialopt.solve",
    "load_instance": "partialopt.solve",
    "load_result": "partialopt.solve",
    "generate": "partialopt.solve",
    "PRESETS": "partialopt.presets",
}

__all__ = [
    "Block",
    "Model",
    "User",
    "Server",
    "Instance",
    "PartialoptError",
    "InstanceError",
    "NotApplicable",
    "OptionError",
    "SolverError",
    "Status",
    "STATUSES",
    "evaluate",
    "Evaluation",
    "Timeline",
    "closed_form_allocation",
    "Result",
    "ResultBase",
    "solve",
    "METHODS",
    "REGISTRY",
    "load_instance",
    "load_result",
    "generate",
    "PRESETS",
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


class _Package(types.ModuleType):
    """Keeps ``partialopt.evaluate`` and ``partialopt.solve`` the functions (the family dispatchers
    of :mod:`partialopt.solve`): importing the submodule ``partialopt.evaluate`` (or ``.solve``)
    binds the module as an attribute of its package, which would shadow the exported function."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and name in _LAZY and value.__name__ == f"{__name__}.{name}":
            value = getattr(importlib.import_module(_LAZY[name]), name, value)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
