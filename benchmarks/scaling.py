"""Time against K for dp, greedy, local_search and milp on backbone instances (common deadline),
and the optimality gaps of greedy / local_search against proven MILP optima on general instances.

    python benchmarks/scaling.py                 # full run (about 10-15 minutes on 2 cores)
    python benchmarks/scaling.py --quick         # small sizes only

Writes benchmarks/out/scaling.csv, scaling_gaps.csv and scaling.png (log-log). All timings in
one process, side by side, so ratios are comparable even on a noisy machine.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

import partialopt as po  # noqa: E402
from partialopt.generators import random_instance  # noqa: E402

OUT = Path(__file__).parent / "out"


def timed(inst, method, **opts):
    t0 = time.perf_counter()
    r = po.solve(inst, method=method, **opts)
    return r, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--milp-time-limit", type=float, default=60.0)
    ap.add_argument("--ls-time-limit", type=float, default=5.0)
    args = ap.parse_args()
    fast_sizes = [10, 30, 100, 300] if args.quick else [10, 30, 100, 300, 1000, 2000, 5000, 10000]
    milp_sizes = [10, 15] if args.quick else [10, 15, 20, 25]
    rows = []
    for K in sorted(set(fast_sizes) | set(milp_sizes)):
        M = min(50, max(4, K // 20))
        inst = random_instance(
            K,
            M,
            structure="backbone",
            n_clusters=max(2, M // 5),
            deadline="common",
            bandwidth="loose",
            tightness=0.3,
            seed=K,
        )
        _ = inst.arrays
        methods = []
        if K in fast_sizes:
            methods += [
                ("dp", {}),
                ("greedy", {}),
                ("no_sharing", {}),
                ("local_search", {"start": "greedy", "time_limit": args.ls_time_limit}),
            ]
        if K in milp_sizes:
            methods += [("milp", {"formulation": "arc", "time_limit": args.milp_time_limit, "warm_start": "dp"})]
            if ("dp", {}) not in methods:
                methods.insert(0, ("dp", {}))
        for name, opts in methods:
            r, dt = timed(inst, name, **opts)
            rows.append(
                {
                    "K": K,
                    "models": M,
                    "method": name,
                    "time_s": dt,
                    "served": r.objective,
                    "status": r.status,
                    "bound": r.bound,
                }
            )
            print(f"K={K:6d} {name:13s} served={r.objective:6d} status={r.status:10s} time={dt:8.4f}s", flush=True)
    df = pd.DataFrame(rows)
    OUT.mkdir(exist_ok=True)
    df.to_csv(OUT / "scaling.csv", index=False)

    proven = df[(df.method == "milp") & (df.status == "optimal")]
    if len(proven):
        Kp = int(proven.K.max())
        t_dp = df[(df.K == Kp) & (df.method == "dp")].time_s.item()
        t_milp = proven[proven.K == Kp].time_s.item()
        print(f"\nlargest K the MILP proves: {Kp}; time dp/milp = {t_dp:.4f}/{t_milp:.2f} = {t_dp / t_milp:.2e}")
    for name, target_K, limit in [("dp", 2000, 1.0), ("greedy", 10000, 2.0)]:
        sel = df[(df.method == name) & (df.K == target_K)]
        if len(sel):
            print(f"target: {name} at K={target_K}: {sel.time_s.item():.3f} s (target < {limit} s)")

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for name, g in df.groupby("method"):
        ax.loglog(g.K, g.time_s, "o-", label=name)
    ax.set_xlabel("users K")
    ax.set_ylabel("wall time (s)")
    ax.set_title("backbone sharing, common deadline")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(OUT / "scaling.png", dpi=120)

    # optimality gaps on general instances (per-user deadlines, binding budget)
    gap_rows = []
    gap_sizes = [8, 10] if args.quick else [8, 10, 12, 15]
    for K in gap_sizes:
        for seed in range(5):
            inst = random_instance(K, 5, structure="general", bandwidth="binding", tightness=0.9, seed=100 * K + seed)
            m, _ = timed(inst, "milp", formulation="arc", time_limit=args.milp_time_limit)
            if m.status != "optimal":
                continue
            g, _ = timed(inst, "greedy")
            ls, _ = timed(inst, "local_search", seed=seed, max_evals=20000, time_limit=args.ls_time_limit)
            gap_rows.append(
                {
                    "K": K,
                    "seed": seed,
                    "optimum": m.objective,
                    "greedy": g.objective,
                    "local_search": ls.objective,
                    "greedy_gap_%": 100 * (m.objective - g.objective) / max(m.objective, 1),
                    "local_search_gap_%": 100 * (m.objective - ls.objective) / max(m.objective, 1),
                }
            )
    gaps = pd.DataFrame(gap_rows)
    gaps.to_csv(OUT / "scaling_gaps.csv", index=False)
    print("\n" + df.pivot_table(index="K", columns="method", values="time_s").round(4).to_string())
    if len(gaps):
        print("\nmean optimality gap against proven MILP optima (general sharing, per-user deadlines):")
        print(gaps.groupby("K")[["greedy_gap_%", "local_search_gap_%"]].mean().round(2).to_string())
        print(
            f"overall: greedy {gaps['greedy_gap_%'].mean():.2f}%, local_search {gaps['local_search_gap_%'].mean():.2f}% "
            f"over {len(gaps)} proven instances"
        )
    print(f"wrote {OUT / 'scaling.csv'}, {OUT / 'scaling_gaps.csv'}, {OUT / 'scaling.png'}")


if __name__ == "__main__":
    main()
