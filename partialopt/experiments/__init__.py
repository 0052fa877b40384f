"""Research workflow: sweeps over presets x parameters x seeds x methods (pandas tables, CSV),
on local processes or Ray, named sweeps for ``partialopt bench``, and analysis helpers.

    from partialopt.experiments import Sweep, run_sweep, add_reference

    if __name__ == "__main__":  # worker processes re-import the script under spawn (macOS, Windows)
        df = run_sweep(Sweep(("general",), users=(8,), seeds=(0, 1), methods=("greedy", "milp")))
        print(add_reference(df).groupby("method")["gap_to_best"].mean())
"""
from .analysis import add_reference, instance_key, pivot_means, summarize
from .instances import LABELS, PARAMETERS, make_instance, shared_fraction
from .named import SWEEPS, named_sweep
from .sweep import BACKENDS, Sweep, run_sweep, run_task

__all__ = ["Sweep", "run_sweep", "run_task", "BACKENDS", "make_instance", "shared_fraction", "PARAMETERS",
           "LABELS", "add_reference", "summarize", "pivot_means", "instance_key", "SWEEPS", "named_sweep"]
