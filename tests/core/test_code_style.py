"""Habits of a maintained package, checked by the test command itself (so `.ci/run` and the
README's command run them): ruff lint and format, and a type check of the public API (mypy)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_API = [
    "partialopt/core",
    "partialopt/solve.py",
    "partialopt/result.py",
    "partialopt/instance.py",
    "partialopt/evaluate.py",
    "partialopt/bounds.py",
    "partialopt/exact.py",
    "partialopt/arrays.py",
    "partialopt/bandwidth.py",
    "partialopt/loading.py",
    "partialopt/algorithms",
    "partialopt/pulling/methods.py",
    "partialopt/split/methods.py",
    "partialopt/split/instance.py",
    "partialopt/split/evaluate.py",
    "formulations/protocol.py",
]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_lint_and_format():
    lint = _run("ruff", "check", ".")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = _run("ruff", "format", "--check", ".")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_public_api_type_checks():
    out = _run("mypy", *PUBLIC_API)
    assert out.returncode == 0, out.stdout + out.stderr


def test_package_is_typed():
    assert (ROOT / "partialopt" / "py.typed").exists() and (ROOT / "formulations" / "py.typed").exists()
