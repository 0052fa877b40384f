"""Research workflow: sweeps over presets x parameters x seeds x methods (pandas tables, CSV),
on local processes or Ray, named sweeps for ``partialopt bench``, and analysis helpers.

    from partialopt.experiments import Sweep, run_sweep, add_reference

    if __name__ == "__main__":  # worker processes re-import the script under spawn (macOS, Windows)
        df = run_sweep(Sweep(("general",), users=(8,), seeds=(0, 1), methods=("greedy", "milp")))
        print(add_reference(df).groupby("method")["gap_to_best"].mean())
"""

from __future__ import annotations

from ..core.lazy import lazy_exports

# public name -> the module that defines it, imported on first access (PEP 562): the sweep names and
# backends (``partialopt bench --help``) load without pandas
_LAZY: dict[str, str] = {
    "add_reference": "partialopt.experiments.analysis",
    "instance_key": "partialopt.experiments.analysis",
    "pivot_means": "partialopt.experiments.analysis",
    "summarize": "partialopt.experiments.analysis",
    "LABELS": "partialopt.experiments.instances",
    "PARAMETERS": "partialopt.experiments.instances",
    "make_instance": "partialopt.experiments.instances",
    "shared_fraction": "partialopt.experiments.instances",
    "SWEEPS": "partialopt.experiments.named",
    "named_sweep": "partialopt.experiments.named",
    "BACKENDS": "partialopt.experiments.sweep",
    "Sweep": "partialopt.experiments.sweep",
    "run_sweep": "partialopt.experiments.sweep",
    "run_task": "partialopt.experiments.sweep",
}

__all__ = [
    "Sweep",
    "run_sweep",
    "run_task",
    "BACKENDS",
    "make_instance",
    "shared_fraction",
    "PARAMETERS",
    "LABELS",
    "add_reference",
    "summarize",
    "pivot_means",
    "instance_key",
    "SWEEPS",
    "named_sweep",
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
