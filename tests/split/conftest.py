"""Fixtures of the split variant's tests: seeded EUA-style instances, each built once per session."""

import functools

import pytest

from partialopt.split import eua_instance


@pytest.fixture(scope="session")
def eua():
    """``eua(n_cloudlets, n_requests, seed=..., ...)``: ``eua_instance``, built once per arguments
    (instances are frozen, so tests share them)."""
    return functools.lru_cache(maxsize=None)(eua_instance)
