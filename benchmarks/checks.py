"""Cost of the feasibility check inside the schedulers: wall time of ``greedy``, ``dp`` and ``edf``
and the share of it spent in :class:`partialopt.evaluate.Timeline` (``can_push``/``push``), at
K = 1,000 and 10,000 on backbone instances with a common deadline (every append moves every
latest start), with a loose and a binding budget, plus the judge's re-check of the result.

    python benchmarks/checks.py            # K = 1,000 and 10,000 (about a minute on 2 cores)
    python benchmarks/checks.py --quick    # K = 1,000 only

Writes benchmarks/out/checks.csv. Times are the best of ``--repeat`` runs in one process.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import time
from pathlib import Path

import partialopt as po
from partialopt.generators import random_instance

OUT = Path(__file__).parent / "out"
evaluate_module = importlib.import_module("partialopt.evaluate")  # the package exports a function of that name

CASES = {
    "loose": dict(bandwidth="loose", tightness=0.3),
    "binding": dict(bandwidth="binding", tightness=0.3),
    "loose-init": dict(bandwidth="loose", tightness=0.3, initial_model=True),
}
METHODS = ("greedy", "dp", "edf")


class TimelineClock:
    """Adds the time spent in the outermost ``Timeline.can_push``/``push`` calls (``push`` calls
    ``can_push``: counted once)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._depth = 0
        self._saved = {}

    def _wrap(self, fn):
        def timed(tl, k):
            if self._depth:
                return fn(tl, k)
            self._depth = 1
            t0 = time.perf_counter()
            try:
                return fn(tl, k)
            finally:
                self.seconds += time.perf_counter() - t0
                self._depth = 0

        return timed

    def __enter__(self) -> TimelineClock:
        T = evaluate_module.Timeline
        for name in ("can_push", "push"):
            self._saved[name] = getattr(T, name)
            setattr(T, name, self._wrap(self._saved[name]))
        return self

    def __exit__(self, *exc) -> None:
        for name, fn in self._saved.items():
            setattr(evaluate_module.Timeline, name, fn)


def run(inst, method: str, repeat: int) -> dict:
    best = None
    for _ in range(repeat):
        with TimelineClock() as clock:
            t0 = time.perf_counter()
            res = po.solve(inst, method)
            wall = time.perf_counter() - t0
        t0 = time.perf_counter()
        problems = res.claim_problems(inst)
        check = time.perf_counter() - t0
        assert not problems, problems
        row = {
            "served": res.objective,
            "wall_s": wall,
            "timeline_s": clock.seconds,
            "timeline_share": clock.seconds / wall if wall else 0.0,
            "recheck_s": check,
        }
        if best is None or row["wall_s"] < best["wall_s"]:
            best = row
    assert best is not None
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    sizes = [1000] if args.quick else [1000, 10000]
    rows = []
    header = f"{'K':>6} {'case':<11} {'method':<7} {'served':>6} {'wall s':>8} {'timeline s':>10} {'share':>6} {'recheck s':>9}"
    print(header)
    for K in sizes:
        for case, kw in CASES.items():
            inst = random_instance(K, 50, structure="backbone", n_clusters=10, deadline="common", seed=K, **kw)
            _ = inst.arrays
            for method in METHODS:
                r = {"K": K, "case": case, "method": method, **run(inst, method, args.repeat)}
                rows.append(r)
                print(
                    f"{K:>6} {case:<11} {method:<7} {r['served']:>6} {r['wall_s']:>8.3f} {r['timeline_s']:>10.3f}"
                    f" {100 * r['timeline_share']:>5.0f}% {r['recheck_s']:>9.3f}"
                )
    OUT.mkdir(exist_ok=True)
    path = OUT / "checks.csv"
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
