"""The frozen benchmark library of exact ground truth (``benchmarks/instances/``).

Each entry is an instance JSON file written from a preset, a size, a seed and a budget variant,
and one row of ``bks.csv``: the best known objective, the best proven bound, whether it is
proved, which method and how long. The files are frozen: :func:`build` must reproduce each one
byte for byte (a test checks it), so drift in a generator shows at once, and results in papers
can name the file they were computed on.

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
