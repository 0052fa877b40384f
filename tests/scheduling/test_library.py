"""The frozen benchmark library (``benchmarks/instances/``): the generators still write every file
(up to last-bit rounding, ``library.drift``), the best-known table is consistent, and no exact method beats a proven optimum
or reports a bound below a known schedule on it."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest

import partialopt as po
from partialopt.experiments import library

FOLDER = Path(__file__).resolve().parents[2] / "benchmarks" / "instances"


def test_the_generators_reproduce_every_frozen_file():
    """Byte for byte on the machine that froze them; elsewhere up to numpy's CPU-dependent
    last-bit rounding (library.drift)."""
    entries = library.entries()
    assert len(entries) == len(library.FAMILIES) * len(library.SIZES) * len(library.SEEDS)
    drifted = {}
    for e in entries:
        where = library.drift((FOLDER / e.filename).read_text(), library.text(e))
        if where:
            drifted[e.filename] = where[:3]
    assert not drifted, f"generator drift (re-freeze only on purpose): {list(drifted.items())[:3]}"


def test_drift_sees_every_change_beyond_rounding():
    frozen = (FOLDER / library.entries()[0].filename).read_text()
    data = json.loads(frozen)
    assert library.drift(frozen, frozen) == []
    ulps = copy.deepcopy(data)
    ulps["users"][0]["gain"] = math.nextafter(math.nextafter(data["users"][0]["gain"], 1.0), 1.0)
    assert library.drift(frozen, json.dumps(ulps)) == []  # two ulps: rounding, not drift
    assert library.drift('{"x": 1.0}', '{"x": Infinity}') and not library.drift('{"x": NaN}', '{"x":  NaN}')
    for change in (
        lambda d: d["users"][0].__setitem__("gain", d["users"][0]["gain"] * (1 + 1e-9)),
        lambda d: d["users"][1].__setitem__("model", "another"),
        lambda d: d["users"].pop(),
        lambda d: d["server"].__setitem__("rate", "fixed"),
        lambda d: d["server"].pop("noise_psd"),
        lambda d: d["meta"].__setitem__("seed", 7),
    ):
        changed = copy.deepcopy(data)
        change(changed)
        assert library.drift(frozen, json.dumps(changed)), change


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
