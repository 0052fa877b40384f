"""The one HiGHS runner: every exact method of every family solves its Pyomo model through
:class:`HighsRunner` (scheduling ``milp`` and ``lp_bound``, the pulling ILP and its assignment
LPs, ``split``).

What it takes care of, once:

- **Options**: time limit, relative and absolute MIP gap, threads, random seed, presolve.
- **Threads**: HiGHS keeps one thread pool per process, sized by the first solve; a later solve
  that asks for another size fails at once (``kNotset``; seen with highspy 1.16). The runner
  resets the pool before every solve, so any sequence of solves with any thread settings gives
  the answers each would give alone. ``threads`` defaults to 1 (reproducible runs).
- **Interrupts**: the solve runs in a helper thread while the calling (main) thread waits, so
  Ctrl-C reaches Python at once: the first press (see :mod:`.interrupt`) makes HiGHS stop at its
  next interrupt callback (status ``interrupted``, incumbent and bound kept), a second one raises
  ``KeyboardInterrupt`` in the caller.
- **Honest reports**: HiGHS's own model status is kept verbatim (``termination``) beside what it
  means for us (``status``: optimal / time_limit / interrupted / infeasible / error). A solver
  error is ``error``, never a solution.
- **Fault injection** for tests (:func:`inject`): a solver error, a build that eats the time
  limit, an interrupt.
"""

from __future__ import annotations

import logging
import math
import numbers
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from . import interrupt
from .status import Status

DEFAULT_THREADS = 1
MEMORY_LIMIT_MB = 2048.0
"""Default cap on the estimated memory of a Pyomo model plus its HiGHS copy (MB)."""
# Measured on this project's machines (benchmarks/time_limits.py): Pyomo building plus loading
# into HiGHS costs about 3-8 us and 170-470 bytes per nonzero; the estimates take the high ends.
SECONDS_PER_NONZERO = 8e-6
BYTES_PER_NONZERO = 500.0

# HiGHS model status name -> our status of one solve
_STATUS_OF = {
    "kOptimal": Status.OPTIMAL,
    "kTimeLimit": Status.TIME_LIMIT,
    "kIterationLimit": Status.TIME_LIMIT,
    "kSolutionLimit": Status.TIME_LIMIT,
    "kObjectiveBound": Status.TIME_LIMIT,
    "kObjectiveTarget": Status.TIME_LIMIT,
    "kInterrupt": Status.INTERRUPTED,
    "kInfeasible": Status.INFEASIBLE,
}

_faults: dict[str, str] = {}


@contextmanager
def inject(point: str, fault: str) -> Iterator[None]:
    """Test hook: make the runner misbehave at ``point``.

    ``inject("solve", "error")``: every solve reports a HiGHS solve error (no solution, no bound).
    ``inject("solve", "interrupt")``: Ctrl-C is requested just before each solve.
    ``inject("build", "timeout")``: model building is taken to have used up the time limit
    (:meth:`Budget.check_build` reports it spent).
    """
    if point not in ("solve", "build") or fault not in ("error", "interrupt", "timeout"):
        raise ValueError(f"inject: unknown fault {point!r}/{fault!r}")
    _faults[point] = fault
    try:
        yield
    finally:
        _faults.pop(point, None)


def check_time_limit(
    time_limit: float | None, optional: bool = False, name: str = "time_limit", zero: bool = False
) -> None:
    """The one check of every method's ``time_limit`` (and of other budgets in seconds, named
    ``name``): a real number (numpy's included, bools not; numpy's bool is not a
    ``numbers.Real``), finite and positive (``>= 0`` with ``zero``: a budget that 0 switches
    off); None only if ``optional`` (no limit)."""
    if time_limit is None and optional:
        return
    ok = isinstance(time_limit, numbers.Real) and not isinstance(time_limit, bool)
    try:  # an int beyond a float's range (10**400) is not finite either
        ok = (
            ok
            and time_limit is not None
            and math.isfinite(time_limit)
            and (time_limit >= 0 if zero else time_limit > 0)
        )
    except OverflowError:
        ok = False
    if not ok:
        from .errors import OptionError

        rule = "a finite number of seconds >= 0" if zero else "a positive finite number of seconds"
        raise OptionError(f"{name}: must be {rule}, got {time_limit!r}")


class Budget:
    """Wall-clock budget of one method call (model building included)."""

    def __init__(self, time_limit: float | None):
        """``time_limit``: seconds (a positive finite number) or None (no limit); anything else
        (a bool, a string, NaN, inf, <= 0) is an :class:`OptionError` naming the option."""
        check_time_limit(time_limit, optional=True)
        self.time_limit = math.inf if time_limit is None else float(time_limit)
        self.t0 = time.perf_counter()
        self._spent = False

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def left(self) -> float:
        return 0.0 if self._spent else self.time_limit - self.elapsed()

    def spent(self) -> bool:
        return self.left() <= 0

    def check_build(self) -> bool:
        """Call after building a model: whether the budget is spent (fault hook ``build``)."""
        if _faults.get("build") == "timeout":
            self._spent = True
        return self.spent()


@dataclass
class SizeEstimate:
    """Estimated size of a model before it is built: nonzeros of its constraint matrix, and the
    time and memory that building it in Pyomo and loading it into HiGHS would take."""

    nonzeros: int

    @property
    def seconds(self) -> float:
        return self.nonzeros * SECONDS_PER_NONZERO

    @property
    def megabytes(self) -> float:
        return self.nonzeros * BYTES_PER_NONZERO / 1e6

    def refusal(self, budget: Budget, memory_limit: float) -> str:
        """Why the model must not be built ("" when it may): it would not fit in ``memory_limit``
        MB, or building it would take longer than the time left."""
        if self.megabytes > memory_limit:
            return (
                f"the model would take about {self.megabytes:.0f} MB ({self.nonzeros:,} nonzeros) "
                f"> memory_limit {memory_limit:g} MB"
            )
        if self.seconds > budget.left():
            return (
                f"building the model would take about {self.seconds:.1f} s ({self.nonzeros:,} nonzeros) "
                f"> the {max(budget.left(), 0):.1f} s left of time_limit"
            )
        return ""


def check_memory_limit(memory_limit: float) -> None:
    if isinstance(memory_limit, bool) or not isinstance(memory_limit, (int, float)) or not memory_limit > 0:
        from .errors import OptionError

        raise OptionError(f"memory_limit: must be a positive number of MB, got {memory_limit!r}")


@dataclass
class SolveReport:
    """One HiGHS solve: what HiGHS said and what it means."""

    termination: str
    status: Status
    objective: float | None
    bound: float | None
    has_solution: bool
    nodes: int
    seconds: float
    error: str = ""


def _run_waiting(fn: Callable[[], Any], cancel: threading.Event) -> Any:
    """``fn()`` in a helper thread while this thread waits, so that Ctrl-C is handled here at once.
    A ``KeyboardInterrupt`` while waiting sets ``cancel`` (the solver's interrupt callbacks then
    stop HiGHS within milliseconds), waits up to 10 s for the helper to leave HiGHS, and re-raises.

    The wait is on an event the helper sets when it ends, not on ``Thread.join``: a join
    interrupted by Ctrl-C can afterwards report the thread finished while it still runs (seen with
    CPython 3.11), and a process that then exits with HiGHS running aborts."""
    if threading.current_thread() is not threading.main_thread():
        return fn()
    box: dict[str, Any] = {}
    finished = threading.Event()

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # re-raised in the caller
            box["error"] = exc
        finally:
            finished.set()

    worker = threading.Thread(target=target, name="partialopt-highs", daemon=True)
    worker.start()
    try:
        while not finished.wait(0.05):
            pass
    except KeyboardInterrupt:
        cancel.set()
        finished.wait(10.0)
        raise
    if "error" in box:
        raise box["error"]
    return box["value"]


class HighsRunner:
    """Solve one Pyomo model with HiGHS (persistent: cuts added to the model between solves are
    loaded incrementally).

    Parameters
    ----------
    model : pyomo ConcreteModel with one objective.
    threads : HiGHS threads (default 1).
    seed : HiGHS ``random_seed``.
    mip_gap : relative MIP gap at which HiGHS may stop (0 proves optimality).
    mip_abs_gap : absolute MIP gap (e.g. ``1 - 1e-6`` for an integral objective), or None.
    presolve : False turns HiGHS presolve off (the safe re-solve after a suspicious answer).
    verbose : stream HiGHS's log.
    """

    def __init__(
        self,
        model: Any,
        *,
        threads: int | None = None,
        seed: int = 0,
        mip_gap: float = 0.0,
        mip_abs_gap: float | None = None,
        presolve: bool = True,
        verbose: bool = False,
    ):
        from pyomo.contrib.appsi.solvers import Highs

        self.model = model
        self.threads = DEFAULT_THREADS if threads is None else int(threads)
        if self.threads < 1:
            from .errors import OptionError

            raise OptionError(f"threads: must be >= 1, got {threads!r}")
        self.opt = Highs()
        self.opt.config.stream_solver = verbose
        self.opt.config.load_solution = False
        self.opt.config.mip_gap = mip_gap
        opts: dict[str, Any] = {"threads": self.threads, "random_seed": int(seed)}
        if mip_abs_gap is not None:
            opts["mip_abs_gap"] = float(mip_abs_gap)
        if not presolve:
            opts["presolve"] = "off"
        self.opt.highs_options = opts
        self._callbacks = False
        self._cancel = threading.Event()

    def _subscribe(self) -> None:
        h = self.opt._solver_model
        if self._callbacks or h is None:
            return

        def stop_if_asked(event) -> None:
            if interrupt.requested() or self._cancel.is_set():
                event.interrupt()

        h.cbMipInterrupt += stop_if_asked
        h.cbSimplexInterrupt += stop_if_asked
        h.cbIpmInterrupt += stop_if_asked
        self._callbacks = True

    def solve(self, time_limit: float, warmstart: bool = False) -> SolveReport:
        """One solve within ``time_limit`` seconds (> 0)."""
        import highspy

        t0 = time.perf_counter()
        if _faults.get("solve") == "interrupt":
            interrupt.request()
        if interrupt.requested():
            return SolveReport("not run: interrupted", Status.INTERRUPTED, None, None, False, 0, 0.0)
        if _faults.get("solve") == "error":
            return SolveReport(
                "kSolveError (injected)",
                Status.ERROR,
                None,
                None,
                False,
                0,
                0.0,
                error="HiGHS reported a solve error (injected by a test)",
            )
        self.opt.config.warmstart = warmstart

        def run():
            highspy.Highs.resetThreadScheduler(True)  # a pool of the size this solve asks for
            if self.opt._solver_model is None or self.opt._model is not self.model:
                self.opt.set_instance(self.model)
            # the limit counts from this call: loading the model into HiGHS is part of it
            self.opt.config.time_limit = max(float(time_limit) - (time.perf_counter() - t0), 1e-3)
            self._subscribe()
            logger = logging.getLogger("pyomo.contrib.appsi.solvers.highs")
            level = logger.level
            logger.setLevel(logging.ERROR)  # appsi warns about kInterrupt, which we handle
            try:
                return self.opt.solve(self.model)
            finally:
                logger.setLevel(level)
                highspy.Highs.resetThreadScheduler(True)

        try:
            _run_waiting(run, self._cancel)
        except (KeyboardInterrupt, MemoryError):
            raise
        except Exception as exc:  # a crash inside Pyomo/HiGHS is a solver error, reported as such
            return SolveReport(
                f"exception: {type(exc).__name__}",
                Status.ERROR,
                None,
                None,
                False,
                0,
                time.perf_counter() - t0,
                error=f"{type(exc).__name__}: {exc}",
            )
        return self._report(time.perf_counter() - t0)

    def _report(self, seconds: float) -> SolveReport:
        h = self.opt._solver_model
        name = h.getModelStatus().name
        info = h.getInfo()
        status = _STATUS_OF.get(name, Status.ERROR)
        has_solution = int(info.primal_solution_status) == 2  # kSolutionStatusFeasible
        nodes = int(info.mip_node_count)
        objective = float(info.objective_function_value) if has_solution else None
        bound: float | None
        if nodes >= 0:  # a MIP: HiGHS's dual bound (valid whatever stopped the search)
            bound = float(info.mip_dual_bound)
        else:  # an LP: its optimum is its bound
            bound = objective if status == Status.OPTIMAL else None
        if bound is not None and not math.isfinite(bound):
            bound = None
        error = "" if status != Status.ERROR else f"HiGHS ended with model status {name}"
        return SolveReport(name, status, objective, bound, has_solution, max(nodes, 0), seconds, error)

    def load_solution(self) -> None:
        """Load HiGHS's current solution into the Pyomo variables (needs ``has_solution``)."""
        self.opt.load_vars()


def solve_once(
    model: Any, time_limit: float, mip_gap: float = 1e-9, threads: int | None = None, presolve: bool = True
) -> SolveReport:
    """One HiGHS solve of ``model``; its solution (if any) is loaded into the Pyomo variables."""
    runner = HighsRunner(model, threads=threads, mip_gap=mip_gap, presolve=presolve)
    rep = runner.solve(time_limit)
    if rep.has_solution:
        runner.load_solution()
    return rep


def solve_lp(model: Any, what: str, time_limit: float = 60.0) -> SolveReport:
    """Solve an LP that a method cannot do without: its report (optimal, with an ``objective``),
    or ``KeyboardInterrupt`` on Ctrl-C, or :class:`~.errors.SolverError` naming ``what`` and
    HiGHS's status (never a result built on a failed solve)."""
    from .errors import SolverError

    rep = solve_once(model, time_limit)
    if rep.status == Status.INTERRUPTED:
        raise KeyboardInterrupt(f"{what}: interrupted")
    if rep.status != Status.OPTIMAL or not rep.has_solution or rep.objective is None:
        raise SolverError(f"{what}: HiGHS ended with {rep.termination} {rep.error}".rstrip())
    return rep


def lp_value(model: Any, what: str, time_limit: float = 60.0) -> float:
    """The optimum of an LP that a method cannot do without (see :func:`solve_lp`)."""
    value = solve_lp(model, what, time_limit).objective
    assert value is not None  # solve_lp raises otherwise
    return float(value)


def _silent_highs() -> Any:
    """A ``highspy.Highs`` with its log off. The first one of a process prints HiGHS's banner on
    the C++ standard output before any option can be set, so file descriptor 1 points at the null
    device while it is built (command-line output, e.g. ``partialopt solve``, stays clean)."""
    import os
    import sys

    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)
    h.setOptionValue("output_flag", False)
    return h


def highs_lp_optimum(lp: Any, time_limit: float = 60.0, threads: int | None = None) -> float | None:
    """The optimum of a ``highspy.HighsLp`` built in arrays (no Pyomo: for LPs with 10^4-10^5
    columns that must solve in a second), under the runner's rules: one thread by default, the
    thread pool reset around the solve, Ctrl-C answered at once (``KeyboardInterrupt``). None
    unless HiGHS reports the model optimal."""
    solved = highs_lp_solve(lp, time_limit, threads)
    return None if solved is None else solved[0]


def highs_lp_solve(lp: Any, time_limit: float = 60.0, threads: int | None = None) -> tuple[float, Any] | None:
    """:func:`highs_lp_optimum` with the optimal column values: ``(optimum, x)``, x a float array
    of ``lp.num_col_`` values; None unless HiGHS reports the model optimal."""
    import highspy
    import numpy as np

    if _faults.get("solve") == "interrupt":
        interrupt.request()  # the hook stands for Ctrl-C: the first press is recorded as one
    if interrupt.requested():
        raise KeyboardInterrupt("LP: interrupted")
    if _faults.get("solve") == "error":
        return None
    h = _silent_highs()
    h.setOptionValue("threads", DEFAULT_THREADS if threads is None else int(threads))
    h.setOptionValue("time_limit", max(float(time_limit), 1e-3))
    cancel = threading.Event()

    def stop_if_asked(event) -> None:
        if interrupt.requested() or cancel.is_set():
            event.interrupt()

    h.cbSimplexInterrupt += stop_if_asked
    h.cbIpmInterrupt += stop_if_asked

    def run() -> str:
        highspy.Highs.resetThreadScheduler(True)
        try:
            h.passModel(lp)
            h.run()
            return h.getModelStatus().name
        finally:
            highspy.Highs.resetThreadScheduler(True)

    try:
        name = _run_waiting(run, cancel)
    except (KeyboardInterrupt, MemoryError):
        raise
    except Exception:
        return None
    if interrupt.requested():
        raise KeyboardInterrupt("LP: interrupted")
    if name != "kOptimal":
        return None
    return float(h.getInfo().objective_function_value), np.asarray(h.getSolution().col_value, dtype=float)


@dataclass
class ArrayMip:
    """A small MIP held by a ``highspy.Highs`` and grown row by row (the Benders master), solved
    under the runner's rules (:meth:`solve`). Maximises ``sum c x`` over columns with bounds
    ``[0, upper]``; ``integer`` marks the integral ones."""

    highs: Any

    @classmethod
    def build(cls, cost: Any, upper: Any, integer: Any, threads: int | None = None, seed: int = 0) -> ArrayMip:
        import highspy
        import numpy as np

        h = _silent_highs()
        h.setOptionValue("threads", DEFAULT_THREADS if threads is None else int(threads))
        h.setOptionValue("random_seed", int(seed))
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", 1.0 - 1e-6)
        cost = np.asarray(cost, dtype=float)
        n = len(cost)
        h.addCols(
            n,
            cost,
            np.zeros(n),
            np.asarray(upper, dtype=float),
            0,
            np.zeros(0, np.int32),
            np.zeros(0, np.int32),
            np.zeros(0),
        )
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        idx = np.flatnonzero(np.asarray(integer, dtype=bool)).astype(np.int32)
        if len(idx):
            h.changeColsIntegrality(len(idx), idx, np.full(len(idx), highspy.HighsVarType.kInteger))
        return cls(h)

    def add_row(self, lower: float, upper: float, cols: Any, vals: Any) -> None:
        import numpy as np

        cols = np.asarray(cols, dtype=np.int32)
        self.highs.addRow(float(lower), float(upper), len(cols), cols, np.asarray(vals, dtype=float))

    def solve(self, time_limit: float) -> SolveReport:
        """One solve (thread pool reset around it, Ctrl-C answered through HiGHS's interrupt
        callback); ``SolveReport.bound`` is HiGHS's dual bound. :attr:`values` holds the columns'
        values when ``has_solution``."""
        import highspy

        h = self.highs
        t0 = time.perf_counter()
        if interrupt.requested() or _faults.get("solve") == "interrupt":
            return SolveReport("not run: interrupted", Status.INTERRUPTED, None, None, False, 0, 0.0)
        if _faults.get("solve") == "error":
            return SolveReport(
                "kSolveError (injected)", Status.ERROR, None, None, False, 0, 0.0,
                error="HiGHS reported a solve error (injected by a test)",
            )  # fmt: skip
        h.setOptionValue("time_limit", max(float(time_limit), 1e-3))
        cancel = threading.Event()
        if not getattr(self, "_subscribed", False):

            def stop_if_asked(event) -> None:
                if interrupt.requested() or cancel.is_set():
                    event.interrupt()

            h.cbMipInterrupt += stop_if_asked
            h.cbSimplexInterrupt += stop_if_asked
            self._subscribed = True

        def run() -> None:
            highspy.Highs.resetThreadScheduler(True)
            try:
                h.run()
            finally:
                highspy.Highs.resetThreadScheduler(True)

        try:
            _run_waiting(run, cancel)
        except (KeyboardInterrupt, MemoryError):
            raise
        except Exception as exc:
            return SolveReport(
                f"exception: {type(exc).__name__}", Status.ERROR, None, None, False, 0,
                time.perf_counter() - t0, error=f"{type(exc).__name__}: {exc}",
            )  # fmt: skip
        name = h.getModelStatus().name
        info = h.getInfo()
        status = _STATUS_OF.get(name, Status.ERROR)
        has_solution = int(info.primal_solution_status) == 2
        bound = float(info.mip_dual_bound) if int(info.mip_node_count) >= 0 else None
        if bound is not None and not math.isfinite(bound):
            bound = None
        self.values = list(h.getSolution().col_value) if has_solution else []
        objective = float(info.objective_function_value) if has_solution else None
        error = "" if status != Status.ERROR else f"HiGHS ended with model status {name}"
        return SolveReport(
            name, status, objective, bound, has_solution, max(int(info.mip_node_count), 0),
            time.perf_counter() - t0, error,
        )  # fmt: skip
