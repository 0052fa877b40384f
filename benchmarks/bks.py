"""Re-run exact methods on the frozen benchmark library and update its best-known table.

    python benchmarks/bks.py                                  # `exact`, 60 s, every instance
    python benchmarks/bks.py --methods bnb,benders,milp --users 20,30 --jobs 2
    python benchmarks/bks.py --write-instances                # (re)write the frozen JSON files only

The library (``partialopt.experiments.library``: 8 preset/budget families x K = 10, 15, 20, 25,
30, 40, 50 x seeds 0, 1) lives in ``benchmarks/instances/*.json``; every run reads those files,
not the generators. Each (instance, method) run is one row of ``benchmarks/instances/runs.csv``
(appended: method, status, objective, bound, seconds, time limit, nodes, which stage proved it).
``bks.csv`` is then rebuilt from every row of ``runs.csv``: best known objective (the most any
run served, every schedule re-judged), best proven bound (the least bound of a run that did not
fail), ``proved`` when they meet, the fastest method that proved it (or the one that found the
best known) and its time. A run that serves more than a proven optimum or reports a bound below
a known schedule is printed as ``BUG`` (and the script exits with status 1).

Runs use one thread each (HiGHS ``threads=1``, BLAS 1 thread); ``--jobs`` runs that many
instances at once (times are then those of a loaded machine: say so when you report them).
The summary printed at the end (and written to ``benchmarks/out/bks_summary.csv``) gives, per
family and K, the share proved and the mean final gap of each method.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

HERE = Path(__file__).resolve().parent
FOLDER = HERE / "instances"
RUNS = FOLDER / "runs.csv"
BKS = FOLDER / "bks.csv"
RUN_COLUMNS = (
    "name", "method", "status", "objective", "bound", "seconds", "time_limit", "nodes", "proved_by", "feasible",
)  # fmt: skip


def _run(task: tuple[str, str, float]) -> dict:
    import partialopt as po

    name, method, limit = task
    inst = po.load_instance(FOLDER / f"{name}.json")
    t = time.perf_counter()
    options: dict = {"time_limit": limit}
    if method in ("milp", "benders", "exact"):
        options["threads"] = 1
    try:
        r = po.solve(inst, method, **options)
    except Exception as exc:  # noqa: BLE001 - a refusal or failure is a row
        return {"name": name, "method": method, "status": f"refused: {type(exc).__name__}: {exc}"[:200],
                "seconds": round(time.perf_counter() - t, 3), "time_limit": limit}  # fmt: skip
    feasible = po.evaluate(inst, r).feasible
    st = r.stats
    return {
        "name": name,
        "method": method,
        "status": r.status,
        "objective": r.objective,
        "bound": "" if r.bound is None else int(math.floor(r.bound + 1e-9)),
        "seconds": round(r.wall_time, 3),
        "time_limit": limit,
        "nodes": st.get("nodes", st.get("subproblem_nodes", "")),
        "proved_by": st.get("proved_by", "") or "",
        "feasible": feasible,
    }


def read_runs() -> list[dict]:
    if not RUNS.exists():
        return []
    with open(RUNS, newline="") as fh:
        return list(csv.DictReader(fh))


def rebuild_bks(runs: list[dict]) -> tuple[dict, list[str]]:
    """``bks`` rows from every run, and the BUG lines (inconsistent runs)."""
    import partialopt as po
    from partialopt.experiments import library

    bugs: list[str] = []
    by_name: dict[str, list[dict]] = {}
    for r in runs:
        by_name.setdefault(r["name"], []).append(r)
    rows = {}
    for entry in library.entries():
        mine = [r for r in by_name.get(entry.name, []) if r.get("objective") not in (None, "")]
        if not mine:
            continue
        for r in mine:
            if r["feasible"] != "True":
                bugs.append(f"BUG {entry.name} {r['method']}: schedule refused by the evaluator")
        found = [r for r in mine if r["feasible"] == "True"]
        best_known = max((int(r["objective"]) for r in found), default=0)
        bounds = [int(r["bound"]) for r in mine if r["bound"] not in ("", None) and r["status"] != "error"]
        best_bound = min(bounds) if bounds else None
        if best_bound is not None and best_bound < best_known:
            low = [r["method"] for r in mine if r["bound"] not in ("", None) and int(r["bound"]) < best_known]
            bugs.append(f"BUG {entry.name}: bound {best_bound} ({low}) below a known schedule of {best_known}")
        proved = best_bound is not None and best_bound == best_known
        if proved:
            closing = [r for r in found if int(r["objective"]) == best_known and r["status"] == "optimal"]
            pick = min(closing or found, key=lambda r: float(r["seconds"]))
        else:
            pick = min((r for r in found if int(r["objective"]) == best_known), key=lambda r: float(r["seconds"]))
        inst = po.load_instance(FOLDER / entry.filename)
        rows[entry.name] = {
            "name": entry.name, "preset": entry.preset, "budget": entry.budget, "users": entry.users,
            "seed": entry.seed, "budget_ratio": round(library.budget_ratio(inst), 3), "best_known": best_known,
            "best_bound": "" if best_bound is None else best_bound, "proved": proved,
            "method": pick["method"] + (f" ({pick['proved_by']})" if pick.get("proved_by") else ""),
            "seconds": pick["seconds"],
        }  # fmt: skip
    return rows, bugs


def summary(runs: list[dict], bks: dict) -> list[dict]:
    """Per family, K and method: runs, share proved, mean final gap to that run's own bound."""
    from partialopt.experiments import library

    out = []
    groups: dict[tuple, list[dict]] = {}
    entry_of = {e.name: e for e in library.entries()}
    latest: dict[tuple, dict] = {}
    for r in runs:  # the latest run of each (instance, method)
        latest[(r["name"], r["method"])] = r
    for (name, method), r in latest.items():
        e = entry_of.get(name)
        if e is None or r.get("objective") in (None, ""):
            continue
        groups.setdefault((e.preset, e.budget, e.users, method), []).append(r)
    for (preset, budget, K, method), rs in sorted(groups.items()):
        gaps = []
        for r in rs:
            b = int(r["bound"]) if r["bound"] not in ("", None) else None
            gaps.append(
                0.0 if b in (None, 0) and r["status"] == "optimal" else ((b - int(r["objective"])) / b if b else 1.0)
            )
        out.append({
            "preset": preset, "budget": budget, "users": K, "method": method, "runs": len(rs),
            "proved": sum(r["status"] == "optimal" for r in rs), "mean_gap": round(sum(gaps) / len(gaps), 4),
            "mean_seconds": round(sum(float(r["seconds"]) for r in rs) / len(rs), 2),
        })  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    from partialopt.experiments import library

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--methods", default="exact", help="comma-separated exact methods (default: exact)")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--users", default="", help="comma-separated sizes (default: all)")
    ap.add_argument("--presets", default="", help="comma-separated presets (default: all)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--write-instances", action="store_true", help="only (re)write the frozen instance files")
    ap.add_argument("--table-only", action="store_true", help="only rebuild bks.csv and the summary from runs.csv")
    args = ap.parse_args(argv)
    if args.write_instances:
        paths = library.write(FOLDER)
        print(f"wrote {len(paths)} instance files to {FOLDER}")
        return 0
    entries = library.entries()
    if args.users:
        sizes = {int(x) for x in args.users.split(",")}
        entries = [e for e in entries if e.users in sizes]
    if args.presets:
        names = set(args.presets.split(","))
        entries = [e for e in entries if e.preset in names]
    tasks = [(e.name, m, args.time_limit) for e in entries for m in args.methods.split(",")]
    if not args.table_only:
        missing = [e for e in entries if not (FOLDER / e.filename).exists()]
        if missing:
            sys.exit(f"missing instance files ({missing[0].filename}, ...): run with --write-instances first")
        new_file = not RUNS.exists()
        with open(RUNS, "a", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(RUN_COLUMNS), lineterminator="\n")
            if new_file:
                w.writeheader()
            if args.jobs > 1:
                from multiprocessing import get_context

                with get_context("spawn").Pool(args.jobs) as pool:
                    for row in pool.imap_unordered(_run, tasks):
                        w.writerow(row)
                        fh.flush()
                        print(row, flush=True)
            else:
                for task in tasks:
                    row = _run(task)
                    w.writerow(row)
                    fh.flush()
                    print(row, flush=True)
    runs = read_runs()
    rows, bugs = rebuild_bks(runs)
    library.write_bks(BKS, rows)
    table = summary(runs, rows)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    with open(out / "bks_summary.csv", "w", newline="") as fh:
        if table:
            w = csv.DictWriter(fh, fieldnames=list(table[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(table)
    print(f"\n{'preset':22s} {'budget':8s} {'K':>3s} {'method':8s} {'runs':>4s} {'proved':>6s} {'gap':>7s} {'s':>7s}")
    for t in table:
        print(f"{t['preset']:22s} {t['budget']:8s} {t['users']:3d} {t['method']:8s} {t['runs']:4d} {t['proved']:6d} "
              f"{100 * t['mean_gap']:6.2f}% {t['mean_seconds']:7.2f}")  # fmt: skip
    print(f"\nbks.csv: {len(rows)} instances, {sum(r['proved'] for r in rows.values())} proved")
    for b in bugs:
        print(b)
    return 1 if bugs else 0


if __name__ == "__main__":
    sys.exit(main())
