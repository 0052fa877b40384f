"""Position-based vs arc-based MILP (named milp_formulations.py: a benchmarks/formulations.py would
shadow the `formulations` package for every script run from this folder) on a fixed, seeded instance set.

For K in --sizes and structure in (general, backbone) (per-user deadlines, binding budget,
seed = K), solve with each formulation under --time-limit seconds and --threads HiGHS threads,
and report time, status, nodes, cut rounds, the LP-relaxation ("root") gap
``(LP - best) / LP`` against the best objective any formulation found, and the final gap.

    python benchmarks/milp_formulations.py                       # K = 10..30, 60 s, 2 threads
    python benchmarks/milp_formulations.py --sizes 10 15 --time-limit 20

Prints a table and writes benchmarks/out/milp_formulations.csv.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

import partialopt as po
from partialopt.generators import random_instance


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 15, 20, 25, 30])
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--formulations", nargs="+", default=["arc", "position"])
    ap.add_argument("--out", default=str(Path(__file__).parent / "out" / "milp_formulations.csv"))
    args = ap.parse_args()
    rows = []
    for K in args.sizes:
        for structure in ("general", "backbone"):
            inst = random_instance(K, 6, structure=structure, bandwidth="binding", tightness=0.8, seed=K)
            for form in args.formulations:
                lp = po.solve(inst, method="lp_bound", formulation=form).stats["lp_relaxation"]
                t0 = time.perf_counter()
                r = po.solve(inst, method="milp", formulation=form, time_limit=args.time_limit, threads=args.threads)
                rows.append(
                    {
                        "K": K,
                        "structure": structure,
                        "formulation": form,
                        "status": r.status,
                        "objective": r.objective,
                        "bound": r.bound,
                        "time_s": round(time.perf_counter() - t0, 2),
                        "nodes": r.stats["nodes"],
                        "cut_rounds": r.stats["rounds"],
                        "lp_relaxation": round(lp, 3),
                        "final_gap_%": round(100 * (r.gap or 0), 2),
                    }
                )
                print(rows[-1], flush=True)
    df = pd.DataFrame(rows)
    best = df.groupby(["K", "structure"])["objective"].transform("max")
    df["root_gap_%"] = (100 * (df["lp_relaxation"] - best) / df["lp_relaxation"]).round(2)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(args.out, index=False)
    print(df.to_string(index=False))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
