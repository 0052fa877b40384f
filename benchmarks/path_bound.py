"""The ``path_lagrangian`` bound (:mod:`partialopt.path_bound`) against the least of the other
bounds of ``bound`` on the presets, K = 100 and 1,000, seeds 0-2, under a column-generation
budget: its value, whether it converged, the paths it priced and its time.

    python benchmarks/path_bound.py                  # 20 s budget
    python benchmarks/path_bound.py --seconds 5 --users 100

Prints a table and writes ``benchmarks/out/path_bound.csv``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

import partialopt as po
from partialopt.bounds import all_bounds
from partialopt.path_bound import path_lagrangian_bound

PRESETS = ("general", "vision-mixed", "vision-frozen-bottom", "llm-serving")
OUT = Path(__file__).parent / "out"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--users", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    rows = []
    for K in args.users:
        for preset in PRESETS:
            for seed in range(args.seeds):
                inst = po.generate(preset, users=K, seed=seed)
                arr = inst.arrays
                values = {k: v for k, v in all_bounds(inst).items() if not k.endswith("_s") and v is not None}
                best = min(values, key=lambda k: values[k])
                value, stats = path_lagrangian_bound(arr, arr.servable(), time_limit=args.seconds)
                rows.append(
                    {
                        "preset": preset,
                        "K": K,
                        "seed": seed,
                        "others": values[best],
                        "others_best": best,
                        "path_lagrangian": value,
                        "gain": None if value is None else values[best] - min(value, values[best]),
                        "lagrangian": round(stats.get("lagrangian", float("nan")), 3),
                        "converged": stats["converged"],
                        "paths": stats["paths"],
                        "seconds": round(stats.get("seconds", 0.0), 2),
                    }
                )
                print(rows[-1], flush=True)
    df = pd.DataFrame(rows)
    OUT.mkdir(exist_ok=True)
    df.to_csv(OUT / "path_bound.csv", index=False)
    print(df.to_string(index=False))
    print(f"wrote {OUT / 'path_bound.csv'}")


if __name__ == "__main__":
    main()
