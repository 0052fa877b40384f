"""The frozen benchmark library (``benchmarks/instances/``): the generators still write every file
byte for byte, the best-known table is consistent, and no exact method beats a proven optimum
or reports a bound below a known schedule on it."""

from __future__ import annotations

from pathlib import Path

import pytest

import partialopt as po
from partialopt.experiments import library

FOLDER = Path(__file__).resolve().parents[2] / "benchmarks" / "instances"


def test_the_generators_reproduce_every_frozen_file_byte_for_byte():
    entries = library.entries()
    assert len(entries) == len(library.FAMILIES) * len(library.SIZES) * len(library.SEEDS)
    drift = [e.filename for e in entries if (FOLDER / e.filename).read_text() != library.text(e)]
    assert not drift, f"generator drift (re-freeze only on purpose): {drift[:5]}"


def test_the_frozen_files_load_and_carry_their_sizes():
    for e in library.entries()[:: len(library.SEEDS)]:
        inst = po.load_instance(FOLDER / e.filename)
        assert inst.K == e.users


@pytest.fixture(scope="module")
def bks():
    return library.read_bks(FOLDER / "bks.csv")


def test_bks_covers_the_library_and_is_consistent(bks):
    names = {e.name for e in library.entries()}
    assert set(bks) == names
    for name, row in bks.items():
        assert row["best_bound"] is None or row["best_bound"] >= row["best_known"], name
        assert row["proved"] == (row["best_bound"] == row["best_known"]), name
        assert row["method"], name


@pytest.mark.parametrize("method", ["bnb", "benders", "exact"])
def test_no_method_beats_a_proven_optimum_or_bounds_below_a_known_schedule(bks, method):
    """K = 10 and 15 (every family, both seeds; K = 10 for benders, whose minimal-infeasible-subset
    searches cost more): each schedule passes the evaluator, never serves more than a proven
    optimum, and each bound is at least the best known schedule."""
    for e in library.entries():
        if e.users > (10 if method == "benders" else 15):
            continue
        row = bks[e.name]
        inst = po.load_instance(FOLDER / e.filename)
        r = po.solve(inst, method, time_limit=10)
        assert po.evaluate(inst, r).feasible, (e.name, method)
        if row["proved"]:
            assert r.objective <= row["best_known"], (e.name, method, r.objective)
            if r.status == "optimal":
                assert r.objective == row["best_known"], (e.name, method)
        assert r.bound is None or r.bound >= row["best_known"], (e.name, method, r.bound)
