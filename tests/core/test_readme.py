"""Every README snippet runs as written (issue 11), also under the ``spawn`` start method that
macOS and Windows use: each ```python block runs as its own script in a fresh directory, with
``multiprocessing.set_start_method("spawn", force=True)`` put in front of it, so a sweep that
starts processes without an ``if __name__ == "__main__":`` guard fails here as it would there.
The cheap ```bash blocks (``partialopt generate | solve | evaluate``) run too, in order, in one
directory; blocks that install packages or need a GPU (``pip``, ``partialopt profile``) do not."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests import ROOT

README = ROOT / "README.md"
BLOCK = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.S | re.M)
SPAWN = 'import multiprocessing\nmultiprocessing.set_start_method("spawn", force=True)\n'
CHEAP = ("partialopt generate ", "partialopt solve ", "partialopt evaluate ")


def _blocks(lang):
    return [
        (README.read_text()[: m.start()].count("\n") + 1, m.group(2))
        for m in BLOCK.finditer(README.read_text())
        if m.group(1) == lang
    ]


def _env():
    bin_dir = str(Path(sys.executable).parent)  # the venv's `partialopt` script
    return {**os.environ, "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")]), "MPLBACKEND": "Agg"}


def _cheap(code):
    lines = [ln for ln in code.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    return bool(lines) and all(ln.lstrip().startswith(CHEAP) for ln in lines)


PYTHON = _blocks("python")
BASH = [(line, code) for line, code in _blocks("bash") if _cheap(code)]


def test_readme_has_the_snippets():
    assert len(PYTHON) >= 4
    assert any("run_sweep" in code for _, code in PYTHON)
    assert BASH, "the generate/solve/evaluate example should be runnable"


@pytest.mark.parametrize("line,code", PYTHON, ids=[f"line{line}" for line, _ in PYTHON])
def test_python_snippet_runs_under_spawn(line, code, tmp_path):
    script = tmp_path / "snippet.py"
    script.write_text(SPAWN + code)
    r = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, f"README.md line {line}:\n{code}\n--- stderr ---\n{r.stderr[-3000:]}"


def test_bash_snippets_run(tmp_path):
    for line, code in BASH:
        r = subprocess.run(
            ["bash", "-e", "-c", code], cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300
        )
        assert r.returncode == 0, f"README.md line {line}:\n{code}\n--- stderr ---\n{r.stderr[-3000:]}"
