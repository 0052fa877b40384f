"""Fixtures of the pulling model's tests: small seeded instances, each built once per session."""

import functools

import numpy as np
import pytest

from partialopt.instance import Block
from partialopt.pulling import Cloudlet, PullingInstance, PullModel, RequestGroup, zoo_instance


def tiny_instance(seed: int) -> PullingInstance:
    """2 cloudlets, 4 models over 5 shared blocks, 2 task types, 4 groups; storage binds."""
    rng = np.random.default_rng(seed)
    blocks = tuple(Block(f"b{j}", int(rng.integers(1, 10)) * 10**8) for j in range(5))
    models = []
    for k in range(4):
        J = sorted(rng.choice(5, size=int(rng.integers(1, 4)), replace=False))
        models.append(
            PullModel(
                f"m{k}",
                tuple(f"b{j}" for j in J),
                "ab"[k % 2],
                float(rng.uniform(0.6, 0.95)),
                float(rng.uniform(0.005, 0.05)),
            )
        )
    cloudlets = tuple(
        Cloudlet(
            f"c{i}",
            float(rng.uniform(5, 15)) * 10**8,
            float(rng.uniform(0.2, 1.0)),
            float(rng.uniform(0.5, 2.0)) * 10**9,
        )
        for i in range(2)
    )
    groups = tuple(
        RequestGroup(
            f"r{r}",
            f"c{int(rng.integers(2))}",
            "ab"[int(rng.integers(2))],
            float(rng.uniform(2, 20)),
            float(rng.uniform(1e5, 1e6)),
            float(rng.choice([0.0, 0.75])),
            0.3,
        )
        for r in range(4)
    )
    h = float(rng.uniform(1e-9, 1e-8))
    return PullingInstance(blocks, tuple(models), cloudlets, groups, ((0.0, h), (h, 0.0)))


@pytest.fixture(scope="session")
def tiny():
    """``tiny(seed)``: :func:`tiny_instance`, built once per seed (instances are frozen)."""
    return functools.lru_cache(maxsize=None)(tiny_instance)


@pytest.fixture(scope="session")
def zoo():
    """``zoo(n_cloudlets, n_groups, seed=...)``: ``zoo_instance``, built once per arguments."""
    return functools.lru_cache(maxsize=None)(zoo_instance)
