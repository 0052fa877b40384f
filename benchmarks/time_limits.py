"""Do the exact methods honour ``time_limit`` and memory at scale? (issue 11)

Each run is a fresh process (``partialopt solve``), so its peak memory is its own. Target:
``milp --time-limit 10`` returns within 20 s and under 1 GB at K = 1,000 and K = 10,000.

    python benchmarks/time_limits.py                 # K = 100, 300, 1000, 10000
    python benchmarks/time_limits.py --users 1000    # one size

Prints a table and writes ``benchmarks/out/time_limits.csv``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

import partialopt as po

RUNS = [("milp", "arc"), ("milp", "position"), ("lp_bound", "position")]


WRAP = (
    "import resource, sys\nfrom partialopt.cli import main\nrc = main(sys.argv[1:])\n"
    "print('MAXRSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\nsys.exit(rc)"
)


def run_one(inst_path: Path, method: str, formulation: str, time_limit: float, out: Path) -> dict:
    """``partialopt solve`` in a fresh process: wall time (process start included), its own peak
    resident memory, and what it reported."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            WRAP,
            "solve",
            str(inst_path),
            "-m",
            method,
            "--time-limit",
            str(time_limit),
            "--option",
            f'formulation="{formulation}"',
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    rss = [int(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("MAXRSS_KB")]
    row = {
        "method": method,
        "formulation": formulation,
        "time_limit": time_limit,
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(rss[0] / 1024, 1) if rss else None,
        "exit": proc.returncode,
    }
    if proc.returncode == 0:
        res = json.loads(out.read_text())
        row.update(
            status=res["status"], objective=res["objective"], bound=res["bound"], note=res["stats"].get("limit", "")
        )
    else:
        lines = [ln for ln in proc.stderr.strip().splitlines() if not ln.startswith("MAXRSS_KB")]
        row.update(status="exit", note=lines[-1] if lines else "")
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--users", type=int, nargs="*", default=[100, 300, 1000, 10000])
    p.add_argument("--preset", default="general")
    p.add_argument("--time-limit", type=float, default=10.0)
    args = p.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for K in args.users:
            inst_path = Path(tmp) / f"k{K}.json"
            po.generate(args.preset, users=K, seed=0).save(inst_path)
            for method, formulation in RUNS:
                row = {
                    "preset": args.preset,
                    "users": K,
                    **run_one(inst_path, method, formulation, args.time_limit, Path(tmp) / "r.json"),
                }
                rows.append(row)
                print(row, flush=True)
    df = pd.DataFrame(rows)
    out = Path(__file__).parent / "out" / "time_limits.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(out, index=False)
    print(df.to_string(index=False))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
