"""Fixtures shared by every family's tests.

Instances used by more than one family's tests are built once per session (``scope="session"``):
they are frozen dataclasses, so no test can change them for another. Under ``pytest -n auto``
(pytest-xdist) each worker process builds its own copy. Tests that write files use ``tmp_path``;
tests that change process state (environment, module attributes, signal handlers) use
``monkeypatch`` or restore it in ``finally``.
"""

import os

import pytest
from hypothesis import settings

import partialopt as po
from tests import ROOT

FAST = os.environ.get("CI") == "true"

# property tests draw the same examples on every run and machine: a failure is reproducible, not flaky
settings.register_profile("partialopt", derandomize=True, database=None)
settings.load_profile("partialopt")


@pytest.fixture(scope="session")
def repo_root():
    """The repository root (README.md, notebooks/, partialopt/, formulations/)."""
    return ROOT


@pytest.fixture(scope="session")
def general_k8_seed1():
    """``po.generate("general", users=8, seed=1)``: greedy serves 4 of the 8, the optimum 6."""
    return po.generate("general", users=8, seed=1)


@pytest.fixture(scope="session")
def zoo_3x6():
    """``zoo_instance(3, 6, seed=0)``: a small pulling instance (3 cloudlets, 6 request groups)."""
    from partialopt.pulling import zoo_instance

    return zoo_instance(3, 6, seed=0)


@pytest.fixture(scope="session")
def eua_3x6():
    """``eua_instance(n_cloudlets=3, n_requests=6, seed=0)``: a small split instance."""
    from partialopt.split import eua_instance

    return eua_instance(n_cloudlets=3, n_requests=6, seed=0)
