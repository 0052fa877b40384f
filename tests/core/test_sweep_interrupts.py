"""Sweeps on a fresh machine (issue 11): ``refused`` only for NotApplicable, every other exception
an ``error`` row, and Ctrl-C stops a process sweep at once and leaves no worker behind."""

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from partialopt.core.errors import NotApplicable, SolverError
from partialopt.experiments import Sweep, run_sweep, run_task
from partialopt.experiments import sweep as sweep_module
from tests import ROOT

# -- refused vs error ------------------------------------------------------------------------------


def _task(methods):
    return Sweep(("general",), users=(5,), seeds=(0,), methods=methods, name="t").tasks()[0]


def test_only_not_applicable_is_refused(monkeypatch):
    real = sweep_module.solve

    def fake(inst, method, **opts):
        if method == "edf":
            raise NotApplicable("edf: not for this one")
        if method == "random":
            raise ValueError("random: looks like a refusal but is a plain ValueError")
        if method == "greedy":
            raise RuntimeError("greedy returned a schedule the evaluator rejects; this is a bug")
        if method == "no_sharing":
            raise SolverError("no_sharing: the solver failed")
        return real(inst, method, **opts)

    monkeypatch.setattr(sweep_module, "solve", fake)
    rows = {r["method"]: r for r in run_task(_task(("edf", "random", "greedy", "no_sharing", "local_search")))}
    assert rows["edf"]["status"] == "refused" and rows["edf"]["note"] == "edf: not for this one"
    assert rows["random"]["status"] == "error"
    assert rows["random"]["note"] == "ValueError: random: looks like a refusal but is a plain ValueError"
    assert rows["greedy"]["status"] == "error" and rows["greedy"]["note"].startswith("RuntimeError: greedy returned")
    assert rows["no_sharing"]["status"] == "error" and rows["no_sharing"]["note"].startswith("SolverError: ")
    assert rows["local_search"]["status"] in ("optimal", "feasible")


def test_dp_and_brute_force_refuse_what_they_do_not_cover():
    df = run_sweep(
        Sweep(("general",), users=(9,), seeds=(0,), methods=("dp", "brute_force", "greedy")),
        backend="serial",
        progress=False,
    )
    st = df.set_index("method")["status"]
    assert st["dp"] == "refused" and st["brute_force"] == "refused" and st["greedy"] != "error"


def test_an_interrupted_method_stops_a_serial_sweep(monkeypatch):
    calls = []

    def fake(inst, method, **opts):
        calls.append(method)
        from partialopt.result import Result

        r = Result.from_order(inst, [], method)
        r.status = "interrupted"
        return r

    monkeypatch.setattr(sweep_module, "solve", fake)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(
            Sweep(("general",), users=(4,), seeds=(0, 1), methods=("greedy", "edf")), backend="serial", progress=False
        )
    assert calls == ["greedy"]  # neither the next method nor the next instance ran


# -- Ctrl-C ----------------------------------------------------------------------------------------


def _children(pid):
    """Every descendant process of ``pid`` (psutil if installed, else /proc)."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        try:
            return {p.pid for p in psutil.Process(pid).children(recursive=True)}
        except psutil.NoSuchProcess:
            return set()
    parent = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            parent[int(d.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    out, frontier = set(), {pid}
    while frontier:
        frontier = {c for c, p in parent.items() if p in frontier} - out
        out |= frontier
    return out


def _alive(pid):
    """Running (a zombie, exited but not yet reaped by init, counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


SCRIPT = textwrap.dedent("""
    import multiprocessing, sys
    from partialopt.experiments import Sweep, run_sweep

    if __name__ == "__main__":
        multiprocessing.set_start_method(sys.argv[1], force=True)
        # four long tasks (a MILP with a 120 s limit each) on two workers
        sweep = Sweep(("general",), users=(40,), seeds=(0, 1, 2, 3), methods=("milp",),
                      options={"milp": {"time_limit": 120.0}})
        run_sweep(sweep, backend="process", jobs=2, progress=False)
        print("FINISHED")
""")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find the worker processes")
@pytest.mark.parametrize("method,target", [("fork", "parent"), ("spawn", "group")])
def test_ctrl_c_stops_a_process_sweep_and_leaves_no_workers(tmp_path, method, target):
    """``parent``: SIGINT to the sweep's process only (workers must be terminated by it);
    ``group``: SIGINT to the whole process group, as a terminal's Ctrl-C does."""
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} start method here")
    script = tmp_path / "sweep_script.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(
        [sys.executable, str(script), method],
        cwd=tmp_path,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        workers: set[int] = set()
        deadline = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
            workers |= _children(proc.pid)
            time.sleep(0.1)
        assert proc.poll() is None, proc.communicate()
        assert workers, "the sweep started no worker processes"
        end = time.monotonic() + 3  # let the workers start their tasks
        while time.monotonic() < end:
            workers |= _children(proc.pid)
            time.sleep(0.1)
        t0 = time.monotonic()
        if target == "group":
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        took = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert "FINISHED" not in out
    assert "KeyboardInterrupt" in err and proc.returncode != 0, err[-2000:]
    assert took < 20, f"the sweep took {took:.1f} s to stop"
    end = time.monotonic() + 10
    while time.monotonic() < end and any(_alive(p) for p in workers):
        time.sleep(0.1)
    left = [p for p in workers if _alive(p)]
    for p in left:  # never leave them behind, even when the test fails
        os.kill(p, signal.SIGKILL)
    assert not left, f"worker processes left behind: {left}"
