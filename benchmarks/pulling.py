"""The pulling model (docs/SPEC_PULLING.md): total delay of each method against cloudlet storage and
the number of request groups, with and without parameter sharing; randomized rounding's ratio to
the ILP optimum over many seeds; the online method's regret curve; the authors' variant
(``split``) with and without common knowledge.

    python benchmarks/pulling.py [--quick]

Writes benchmarks/out/pulling_*.csv and pulling.png and prints the tables.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from partialopt.experiments.analysis import pivot_means  # noqa: E402
from partialopt.pulling.experiments import (  # noqa: E402
    delay_sweep,
    plot_all,
    regret_curve,
    rounding_ratios,
    split_online_table,
    split_table,
)

OUT = Path(__file__).resolve().parent / "out"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (seconds)")
    args = ap.parse_args()
    seeds = (0, 1) if args.quick else (0, 1, 2, 3, 4)
    OUT.mkdir(exist_ok=True)
    storage = delay_sweep("storage_scale", (0.03, 0.06, 0.125, 0.25, 1.0), seeds)
    groups = delay_sweep("n_groups", (4, 8, 16, 32) if args.quick else (4, 8, 16, 32, 64), seeds)
    ratios = rounding_ratios(seeds, range(5 if args.quick else 20))
    regret = __import__("pandas").concat([regret_curve(s, 1000 if args.quick else 5000) for s in seeds[:3]])
    for name, df in (("storage", storage), ("groups", groups), ("rounding", ratios), ("regret", regret)):
        df.to_csv(OUT / f"pulling_{name}.csv", index=False)
    print("mean total delay (s per frame), storage scale down, method across (no_sharing = without sharing):")
    print(pivot_means(storage, "storage_scale", "total").round(3).to_string())
    print("\nmean total delay (s per frame), request groups down:")
    print(pivot_means(groups, "n_groups", "total").round(3).to_string())
    print("\nrandomized rounding / ILP optimum over instances x seeds:")
    print(ratios.groupby("samples")["ratio"].describe(percentiles=[0.5, 0.9]).round(3).to_string())
    print(
        f"ILP proven optimal on {ratios.drop_duplicates('instance')['ilp_status'].eq('optimal').mean():.0%} of instances"
    )
    last = regret.groupby("seed").tail(1)[["seed", "frame", "regret", "avg_regret", "normalized"]]
    quarter = regret[regret["frame"] == regret["frame"].max() // 4][["seed", "avg_regret"]]
    print("\nonline bandit: regret at the horizon, and average regret at T/4 for comparison:")
    print(last.merge(quarter, on="seed", suffixes=("", "_at_T/4")).round(4).to_string(index=False))
    split = split_table(seeds)
    split.to_csv(OUT / "pulling_split.csv", index=False)
    print("\nvariant 'split' (authors' model, EUA-style preset, 8 cloudlets, 30 requests): total delay (s)")
    print(split.round(3).to_string(index=False))
    online = split_online_table(seeds)
    online.to_csv(OUT / "pulling_split_online.csv", index=False)
    print("\nvariant 'split' online (Thompson sampling on link congestion), pseudo-regret:")
    print(online.round(5).to_string(index=False))
    fig = plot_all(storage, groups, ratios, regret)
    fig.savefig(OUT / "pulling.png", dpi=120)
    print(f"\nwrote {OUT}/pulling_*.csv and pulling.png")


if __name__ == "__main__":
    main()
