"""The small instances that every exact method and bound is checked on against brute force:
6 presets x 5 variants (both timelines, both rate models, a resident model, a tight budget),
shared by the test modules, with each brute-force optimum computed once per process."""

from __future__ import annotations

import dataclasses
import functools
import itertools

import numpy as np

import partialopt as po

PRESETS = (
    "general",
    "backbone-common",
    "backbone-deadlines",
    "vision-mixed",
    "vision-frozen-bottom",
    "llm-serving",
)


def _fixed_snr(inst):
    users = tuple(dataclasses.replace(u, snr=3.0 + (i % 5)) for i, u in enumerate(inst.users))
    B = sum(u.data_bits for u in inst.users) / np.log2(4.0) / np.median([u.deadline for u in inst.users])
    return inst.replace(users=users).with_server(rate="fixed_snr", total_bandwidth=float(B))


VARIANTS = {
    "base": lambda i: i,
    "pipelined": lambda i: i.with_server(overlap="pipelined"),
    "resident": lambda i: i.with_server(initial_model=i.users[0].model),
    "tight_budget": lambda i: i.with_server(total_bandwidth=i.server.total_bandwidth * 0.25),
    "fixed_snr": _fixed_snr,
}


def _cases():
    """6 presets x 5 variants x K in (4, 5, 6) x seeds: 330 instances."""
    out = []
    for preset, variant, K in itertools.product(PRESETS, VARIANTS, (4, 5, 6)):
        seeds = (0, 1, 2, 3) if K < 6 else (0, 1, 2)
        out.extend((preset, variant, K, s) for s in seeds)
    return out


CASES = _cases()
DEEP_CASES = [(p, v, 7, 5) for p in PRESETS for v in ("base", "pipelined", "fixed_snr", "tight_budget")] + [
    (p, v, 8, 5) for p in PRESETS for v in ("base", "pipelined")
]
"""Larger ones (K = 7, 8; 36 instances) for the exact methods."""


def instance(case):
    preset, variant, K, seed = case
    return VARIANTS[variant](po.generate(preset, users=K, seed=seed))


@functools.cache
def brute_force_optimum(case):
    """``(instance, brute-force optimum)`` of a case (cached for the process)."""
    inst = instance(case)
    return inst, po.solve(inst, "brute_force").objective
