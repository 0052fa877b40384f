"""The frozen benchmark library of exact ground truth (``benchmarks/instances/``).

Each entry is an instance JSON file written from a preset, a size, a seed and a budget variant,
and one row of ``bks.csv``: the best known objective, the best proven bound, whether it is
proved, which method and how long. The files are frozen: the frozen JSON *is* the instance
(results in papers name the file, and loading it is exact on every machine). :func:`drift`
checks that the generators still write each file: every key, string, integer and list length
equal, every float within :data:`FLOAT_RTOL` relative. On the machine that froze them the files come back
byte for byte; on another CPU numpy's vectorised ``log10``/``power``/``exp`` (AVX-512 and AVX2
kernels) may round the channel gains and the budget differently in the last 1-20 ulps (4e-15
relative measured), which is not drift of a generator.

Budget variants: ``preset`` (the preset's own budget; binding for ``general`` and
``backbone-deadlines``, loose for the realistic presets), ``loose`` (4 times the preset's: the
sum of ``beta_k(T_k - e_k)`` is about half of it at K = 30) and ``binding`` (a quarter of the
preset's, for the realistic presets). The budget ratio of each instance is in the table.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SIZES = (10, 15, 20, 25, 30, 40, 50)
SEEDS = (0, 1)
FAMILIES = (
    ("general", "preset"),
    ("general", "loose"),
    ("backbone-deadlines", "preset"),
    ("backbone-deadlines", "loose"),
    ("vision-mixed", "preset"),
    ("vision-frozen-bottom", "preset"),
    ("vision-frozen-bottom", "binding"),
    ("llm-serving", "preset"),
)
BUDGET_FACTOR = {"preset": 1.0, "loose": 4.0, "binding": 0.25}
BKS_COLUMNS = (
    "name", "preset", "budget", "users", "seed", "budget_ratio", "best_known", "best_bound", "proved",
    "method", "seconds",
)  # fmt: skip


@dataclass(frozen=True)
class Entry:
    """One library instance."""

    preset: str
    budget: str
    users: int
    seed: int

    @property
    def name(self) -> str:
        return f"{self.preset}-{self.budget}-K{self.users}-s{self.seed}"

    @property
    def filename(self) -> str:
        return f"{self.name}.json"


def entries() -> list[Entry]:
    """Every library instance, in the table's order."""
    return [Entry(p, b, K, s) for p, b in FAMILIES for K in SIZES for s in SEEDS]


def build(entry: Entry):
    """The instance of ``entry``, from its preset's generator."""
    from ..solve import generate

    inst = generate(entry.preset, users=entry.users, seed=entry.seed)
    factor = BUDGET_FACTOR[entry.budget]
    if factor != 1.0:
        inst = inst.with_server(total_bandwidth=inst.server.total_bandwidth * factor)
    return inst


def text(entry: Entry) -> str:
    """The frozen file's exact content."""
    return build(entry).to_json() + "\n"


FLOAT_RTOL = 1e-12
"""Relative difference of a float allowed by :func:`drift` (CPU-dependent last-bit rounding)."""


def drift(frozen: str, generated: str, rtol: float = FLOAT_RTOL) -> list[str]:
    """Where two instance JSON texts differ beyond rounding: the JSON paths of keys, strings,
    integers, list lengths that differ and of floats with ``|a - b| > rtol * max(|a|, |b|)``
    (an infinite or NaN float only matches the same value; empty: the same instance up to last-bit rounding; identical texts give ``[]`` at once)."""
    import json

    if frozen == generated:
        return []
    out: list[str] = []

    def walk(a, b, path: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            if a.keys() != b.keys():
                out.append(f"{path}: keys {sorted(set(a) ^ set(b))}")
            for k in a.keys() & b.keys():
                walk(a[k], b[k], f"{path}.{k}")
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                out.append(f"{path}: length {len(a)} != {len(b)}")
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{path}[{i}]")
        elif isinstance(a, float) and isinstance(b, float):
            close = math.isfinite(a) and math.isfinite(b) and abs(a - b) <= rtol * max(abs(a), abs(b))
            if not (a == b or (math.isnan(a) and math.isnan(b)) or close):
                out.append(f"{path}: {a!r} != {b!r}")
        elif type(a) is not type(b) or a != b:
            out.append(f"{path}: {a!r} != {b!r}")

    walk(json.loads(frozen), json.loads(generated), "")
    return out


def budget_ratio(instance) -> float:
    """``sum_k beta_k(T_k - e_k) / B`` over the servable users: above 1 the budget binds."""
    arr = instance.arrays
    cand = arr.servable()
    need = arr.beta(cand, arr.T[cand] - arr.e[cand])
    return float(np.sum(need[np.isfinite(need)]) / arr.B)


def write(folder: str | Path) -> list[Path]:
    """Write every library file into ``folder`` (created if needed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for entry in entries():
        path = folder / entry.filename
        path.write_text(text(entry))
        out.append(path)
    return out


def read_bks(path: str | Path) -> dict[str, dict]:
    """``name -> row`` of a ``bks.csv`` (numbers parsed; ``best_bound`` None when unknown)."""
    rows = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            row["users"] = int(row["users"])
            row["seed"] = int(row["seed"])
            row["budget_ratio"] = float(row["budget_ratio"])
            row["best_known"] = int(row["best_known"])
            row["best_bound"] = int(row["best_bound"]) if row["best_bound"] not in ("", "None") else None
            row["proved"] = row["proved"] == "True"
            row["seconds"] = float(row["seconds"]) if row["seconds"] else math.nan
            rows[row["name"]] = row
    return rows


def write_bks(path: str | Path, rows: dict[str, dict]) -> None:
    """Write ``bks.csv`` in the library's order."""
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(BKS_COLUMNS), lineterminator="\n")
        w.writeheader()
        for entry in entries():
            if entry.name in rows:
                w.writerow({c: rows[entry.name].get(c, "") for c in BKS_COLUMNS})
