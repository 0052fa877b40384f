"""Sweeps: presets x users x parameter grid x seeds x methods -> one pandas DataFrame.

One *task* is one instance (preset, K, seed, parameter point); every method of the sweep runs on
it in the same worker, so the rows of one instance are comparable. Tasks run serially, on local
processes (default, ``concurrent.futures``) or on Ray (``backend="ray"``; the ``ray`` extra).
Rows come back in task order whatever the backend, and every random choice is seeded by the
task's seed, so two runs of one sweep give identical tables except for ``time_s`` and for
methods stopped by a wall-clock limit (give ``local_search`` a ``max_evals`` budget and ``milp`` no
binding ``time_limit`` when bit-identical tables matter).

Presets of every problem family may be swept (``partialopt.solve.preset_names()``): for the pulling
families ``users`` is the number of request groups or requests, the objective is a delay
(``sense`` ``min``), and the grid parameters (scheduling only) do not apply.

Columns: ``sweep, preset, users, seed, <grid parameters>, method, status, objective,
served_fraction, bound, gap, time_s, shared_fraction, reference_bound, family, sense, note``
(``served_fraction``, ``shared_fraction`` and ``reference_bound`` for the scheduling family only:
``reference_bound`` is the ``bound`` method's certified upper bound on the instance, computed once
per instance in a fraction of a second, so that every row has a certified gap even where no exact
method finishes; see :func:`~.analysis.add_reference`). ``status`` is a Result status, or
``refused`` (the method raised :class:`~partialopt.core.errors.NotApplicable`: it does not cover the
instance's class; ``note`` says why) or ``error`` (any other exception, e.g. a method that built a
schedule the evaluator rejects; ``note`` is ``"ExceptionType: message"``).

Interrupts: Ctrl-C (``KeyboardInterrupt``) stops a sweep on every backend. Pending tasks are
cancelled, the worker processes are terminated (they ignore SIGINT themselves, so only this
process handles it) and joined, a local Ray started by the sweep is shut down, and the
``KeyboardInterrupt`` is re-raised: no partial table is returned and nothing is written to
``output``.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.errors import NotApplicable
from ..solve import REGISTRY, method_options, solve
from .instances import PARAMETERS, make_instance, shared_fraction

if TYPE_CHECKING:
    import pandas as pd

BACKENDS = ("process", "serial", "ray")
ROW_COLUMNS = (
    "method",
    "status",
    "objective",
    "served_fraction",
    "bound",
    "gap",
    "time_s",
    "shared_fraction",
    "reference_bound",
    "family",
    "sense",
    "note",
)
"""The columns of one (instance, method) row after the instance's key and grid parameters."""


@dataclass(frozen=True)
class Sweep:
    """What to run. ``grid``: parameter -> values (their cartesian product is swept; see
    :mod:`.instances` for the parameters). ``options``: method -> keyword options; methods that
    take a ``seed`` get the task's seed unless ``options`` sets one. ``reference``: how the
    certified ``reference_bound`` of every scheduling instance is computed: ``"bound"`` (the
    scalable bounds, default) or ``"exact"`` (the exact portfolio within ``reference_time_limit``
    seconds: its bound, a proven optimum wherever it finishes; its schedule joins ``best_found``
    only if ``exact`` is also among the methods)."""

    presets: tuple[str, ...]
    users: tuple[int, ...] = (10,)
    seeds: tuple[int, ...] = (0, 1, 2)
    methods: tuple[str, ...] = ("greedy", "no_sharing")
    grid: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    name: str = "sweep"
    reference: str = "bound"
    reference_time_limit: float = 60.0

    def validate(self) -> None:
        if self.reference not in ("bound", "exact"):
            raise ValueError(f"reference: expected 'bound' or 'exact', got {self.reference!r}")
        if not (isinstance(self.reference_time_limit, (int, float)) and self.reference_time_limit > 0):
            raise ValueError(
                f"reference_time_limit: must be a positive number of seconds, got {self.reference_time_limit!r}"
            )
        if not self.presets:
            raise ValueError("presets: a sweep needs at least one preset")
        from ..solve import REGISTRY, preset_names

        families = preset_names()
        for p in self.presets:
            if p not in families:
                raise ValueError(f"presets: unknown preset {p!r} (choose from {sorted(families)})")
        used = {families[p] for p in self.presets}
        if self.grid and used != {"scheduling"}:
            raise ValueError(
                "grid: sweep parameters apply to the scheduling presets only; give the pulling and "
                "split presets a sweep of their own"
            )
        for k in self.users:
            if int(k) < 1:
                raise ValueError(f"users: every K must be >= 1, got {k}")
        if not self.seeds:
            raise ValueError("seeds: a sweep needs at least one seed")
        for fam in sorted(used):
            known = REGISTRY.family(fam).methods
            for m in self.methods:
                if m not in known:
                    raise ValueError(f"methods: unknown method {m!r} of the {fam} family (choose from {sorted(known)})")
        for m, opts in self.options.items():
            if m not in self.methods:
                raise ValueError(f"options: options given for {m!r}, which is not among the methods")
            for fam in sorted(used):
                bad = set(opts) - set(method_options(m, fam))
                if bad:
                    raise ValueError(f"options: {m} has no option {sorted(bad)[0]!r}")
        for k, values in self.grid.items():
            if k not in PARAMETERS:
                raise ValueError(f"grid: unknown parameter {k!r} (choose from {PARAMETERS})")
            if not len(values):
                raise ValueError(f"grid: parameter {k!r} has no values")

    def tasks(self) -> list[dict]:
        """The instances to run, in the order rows are reported."""
        keys = list(self.grid)
        points = [dict(zip(keys, vals)) for vals in itertools.product(*(self.grid[k] for k in keys))] or [{}]
        return [
            {
                "sweep": self.name,
                "preset": p,
                "users": int(k),
                "seed": int(s),
                "params": point,
                "methods": tuple(self.methods),
                "options": {m: dict(o) for m, o in self.options.items()},
                "reference": (self.reference, float(self.reference_time_limit)),
            }
            for p in self.presets
            for k in self.users
            for point in points
            for s in self.seeds
        ]


def run_task(task: Mapping[str, Any]) -> list[dict]:
    """Build one instance and run every method on it; one row per method (never raises, except
    ``KeyboardInterrupt``). A method that raises :class:`NotApplicable` gives a ``refused`` row,
    any other exception an ``error`` row; a method that reports status ``interrupted`` (Ctrl-C
    caught inside a solver) ends the task: the remaining methods get no row."""
    base = {
        "sweep": task["sweep"],
        "preset": task["preset"],
        "users": task["users"],
        "seed": task["seed"],
        **task["params"],
    }
    try:
        inst = make_instance(task["preset"], task["users"], task["seed"], task["params"])
    except Exception as exc:  # a bad point is a row, not a crashed sweep
        return [
            {**base, "method": m, "status": "error", "note": f"instance: {type(exc).__name__}: {exc}"}
            for m in task["methods"]
        ]
    family = REGISTRY.family_of(inst)
    scheduling = family.name == "scheduling"
    share = shared_fraction(inst) if scheduling else None
    reference, reference_note = None, ""
    if scheduling:
        from ..bounds import bound

        kind, limit = task.get("reference", ("bound", 60.0))
        try:
            if kind == "exact":
                reference = solve(inst, method="exact", time_limit=limit, threads=1).bound
            else:
                reference = bound(inst).bound
        except Exception as exc:  # noqa: BLE001 - the rows still run; each says why it lacks one
            reference_note = f"reference bound failed: {type(exc).__name__}: {exc}"
    sense = family.result_class().SENSE
    rows = []
    for m in task["methods"]:
        opts = dict(task["options"].get(m, {}))
        if "seed" in method_options(m, family.name) and "seed" not in opts:
            opts["seed"] = task["seed"]
        row = {
            **base,
            "method": m,
            "family": family.name,
            "sense": sense,
            "shared_fraction": share,
            "reference_bound": reference,
        }
        try:
            r = solve(inst, method=m, **opts)
        except NotApplicable as exc:
            rows.append({**row, "status": "refused", "note": str(exc)})
            continue
        except Exception as exc:
            rows.append({**row, "status": "error", "note": f"{type(exc).__name__}: {exc}"})
            continue
        rows.append(
            {
                **row,
                "status": str(r.status),
                "objective": r.objective,
                "served_fraction": r.objective / inst.K if scheduling else None,
                "bound": r.bound,
                "gap": r.gap,
                "time_s": r.wall_time,
                "note": reference_note,
            }
        )
        if str(r.status) == "interrupted":
            break
    return rows


def _interrupted(rows: list[dict]) -> bool:
    return any(row.get("status") == "interrupted" for row in rows)


def _ignore_sigint() -> None:
    """Pool initializer: workers ignore Ctrl-C (the terminal sends SIGINT to the whole process
    group); the parent alone handles it and terminates them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _TrackedContext:
    """A multiprocessing context that keeps a handle on every process it starts, so that an
    interrupted sweep can terminate and join its workers (``ProcessPoolExecutor`` has no public
    handle on them)."""

    def __init__(self, ctx) -> None:
        self._ctx = ctx
        self.processes: list = []

    def __getattr__(self, name: str):
        return getattr(self._ctx, name)

    def Process(self, *args, **kwargs):  # noqa: N802 (multiprocessing's name)
        p = self._ctx.Process(*args, **kwargs)
        self.processes.append(p)
        return p


def _run_processes(tasks: list[dict], workers: int, progress: bool, desc: str) -> list[list[dict]]:
    ctx = _TrackedContext(multiprocessing.get_context())
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_ignore_sigint)
    results: list[list[dict] | None] = [None] * len(tasks)
    try:
        futures = {pool.submit(run_task, t): i for i, t in enumerate(tasks)}
        with _progress(as_completed(futures), len(tasks), progress, desc) as bar:
            for f in bar:
                results[futures[f]] = f.result()
    except BaseException:  # Ctrl-C (or a broken pool): no worker may outlive the sweep
        _stop_workers(pool, ctx.processes)
        raise
    pool.shutdown(wait=True)
    return results  # type: ignore[return-value]


def _stop_workers(pool: ProcessPoolExecutor, processes: list) -> None:
    """Cancel what is pending, terminate the workers (SIGTERM, then SIGKILL after 5 s) and reap
    them; a further Ctrl-C meanwhile is ignored so the clean-up always finishes."""
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        pool.shutdown(wait=False, cancel_futures=True)
        for p in processes:
            if p.is_alive():
                p.terminate()
        for p in processes:
            p.join(timeout=5)
            if p.is_alive():
                p.kill()
                p.join(timeout=5)
    finally:
        if main and previous is not None:  # None: a handler not set from Python, leave it
            signal.signal(signal.SIGINT, previous)


def _progress(iterable: Iterable | None, total: int, enabled: bool, desc: str):
    """A progress bar: the notebook widget inside Jupyter when ipywidgets is installed, else the
    text bar (``tqdm.auto`` would warn "IProgress not found" without ipywidgets)."""
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        from tqdm.std import tqdm
    else:
        from tqdm.auto import tqdm
    return tqdm(iterable, total=total, disable=not enabled, desc=desc, unit="inst")


def run_sweep(
    sweep: Sweep,
    backend: str = "process",
    jobs: int | None = None,
    progress: bool = True,
    output: str | Path | None = None,
) -> pd.DataFrame:
    """Run ``sweep`` and return its table (also written as CSV to ``output`` if given).

    ``backend``: ``"process"`` (local processes, ``jobs`` workers, default the CPU count),
    ``"serial"`` (this process) or ``"ray"`` (``ray.init()`` on a local cluster unless one is
    already connected; ``jobs`` caps the CPUs of a local one).

    Ctrl-C cancels what is pending, terminates the workers and re-raises ``KeyboardInterrupt``
    (see the module docstring); under the ``spawn`` start method (macOS, Windows) call it from
    the ``if __name__ == "__main__":`` block of a script."""
    import pandas as pd  # here: the sweep's names (partialopt bench --help) load without pandas

    sweep.validate()
    if backend not in BACKENDS:
        raise ValueError(f"backend: unknown backend {backend!r} (choose from {BACKENDS})")
    tasks = sweep.tasks()
    results: list[list[dict] | None] = [None] * len(tasks)
    if backend == "serial" or (backend == "process" and (jobs == 1 or len(tasks) == 1)):
        with _progress(tasks, len(tasks), progress, sweep.name) as bar:
            for i, t in enumerate(bar):
                results[i] = run_task(t)
                if _interrupted(results[i]):  # a solver caught Ctrl-C: stop the sweep too
                    raise KeyboardInterrupt
    elif backend == "process":
        workers = jobs or os.cpu_count() or 1
        results = _run_processes(tasks, min(workers, len(tasks)), progress, sweep.name)
    else:
        results = _run_ray(tasks, jobs, progress, sweep.name)
    columns = [
        "sweep",
        "preset",
        "users",
        "seed",
        *sweep.grid,
        *ROW_COLUMNS,
    ]
    df = pd.DataFrame([row for rows in results for row in rows]).reindex(columns=columns)
    if output is not None:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(output, index=False)
    return df


def _run_ray(tasks: list[dict], jobs: int | None, progress: bool, desc: str) -> list[list[dict]]:
    try:
        import ray
    except ImportError as exc:
        raise ImportError("backend: 'ray' needs Ray, which is not installed: pip install \"partialopt[ray]\"") from exc
    started = False
    if not ray.is_initialized():
        ray.init(num_cpus=jobs, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
        started = True
    try:
        remote = ray.remote(run_task)
        refs = [remote.remote(t) for t in tasks]
        index = {ref: i for i, ref in enumerate(refs)}
        out: list[list[dict] | None] = [None] * len(tasks)
        pending = list(refs)
        try:
            with _progress(None, len(tasks), progress, desc) as bar:
                while pending:
                    done, pending = ray.wait(pending, num_returns=1)
                    for ref in done:
                        out[index[ref]] = ray.get(ref)
                        bar.update(1)
        except BaseException:  # Ctrl-C: cancel what is still queued or running, then re-raise
            for ref in pending:
                try:
                    ray.cancel(ref, force=True)
                except Exception:  # already finished or gone
                    pass
            raise
        return out  # type: ignore[return-value]
    finally:
        if started:
            ray.shutdown()
