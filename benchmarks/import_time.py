"""Import and start-up times: best of N fresh-process wall times (issue 12: `import partialopt` and
`partialopt --help` under 0.5 s; heavy dependencies, scipy, pandas, Pyomo, cvxpy, load lazily).

Rows: the bare interpreter (`python -c pass`, the floor), `import partialopt`, `import formulations`
(loads Pyomo: the formulations are Pyomo models), `python -m partialopt.cli --help`, the console
script `partialopt --help` when it is on PATH, and `po.generate` + `po.evaluate` on a synthetic
preset (what a first script does). Each command runs in a fresh process; the table shows the best
and the median wall time of --repeats runs, and which heavy modules the process loaded.

    python benchmarks/import_time.py              # best of 5
    python benchmarks/import_time.py --repeats 9

Prints a table and writes benchmarks/out/import_time.csv.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HEAVY = ("scipy", "pandas", "matplotlib", "pyomo", "cvxpy", "tqdm")

SNIPPETS = {
    "python -c pass": "pass",
    "import partialopt": "import partialopt",
    "import formulations": "import formulations",
    "po.generate + po.evaluate (general, K=8)": (
        "import partialopt as po; inst = po.generate('general', users=8, seed=1); "
        "po.evaluate(inst, [u.id for u in inst.users[:3]])"
    ),
}

# prints the heavy top-level packages a snippet left in sys.modules (a separate, untimed run)
PROBE = "import sys\n{code}\nprint(','.join(m for m in {heavy!r} if m in sys.modules))"


def wall(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t0


def loaded(code: str, env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(code=code, heavy=HEAVY)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout.strip()
    return out or "-"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default=str(Path(__file__).parent / "out" / "import_time.csv"))
    args = ap.parse_args()
    env = dict(os.environ)
    cases: list[tuple[str, list[str], str]] = [
        (name, [sys.executable, "-c", code], code) for name, code in SNIPPETS.items()
    ]
    help_code = "from partialopt.cli import build_parser; build_parser().format_help()"
    cases.insert(3, ("python -m partialopt.cli --help", [sys.executable, "-m", "partialopt.cli", "--help"], help_code))
    script = shutil.which("partialopt")
    if script:
        cases.insert(4, ("partialopt --help (console script)", [script, "--help"], help_code))
    for _, cmd, _ in cases:  # warm the bytecode caches and the page cache once
        wall(cmd, env)
    rows = []
    for name, cmd, code in cases:
        times = [wall(cmd, env) for _ in range(args.repeats)]
        rows.append(
            {
                "command": name,
                "best_s": round(min(times), 3),
                "median_s": round(statistics.median(times), 3),
                "repeats": args.repeats,
                "heavy_modules_loaded": loaded(code, env),
            }
        )
    width = max(len(r["command"]) for r in rows)
    print(f"{'command':<{width}}  best (s)  median (s)  heavy modules loaded")
    for r in rows:
        print(f"{r['command']:<{width}}  {r['best_s']:8.3f}  {r['median_s']:10.3f}  {r['heavy_modules_loaded']}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
