"""The scaling picture: every method on the same instances, side by side, from K = 8 to 10,000, each
schedule judged against a certified reference (a proven optimum or a certified upper bound).

    python benchmarks/scaling.py                        # full run (40-50 minutes on 2 cores)
    python benchmarks/scaling.py --quick                # small sizes, short limits (1-2 minutes)
    python benchmarks/scaling.py --only dpclass         # one section, or several: --only dpclass,presets
    python benchmarks/scaling.py --only plot            # redraw scaling.png from the CSVs in benchmarks/out/

Sections (each a function below; ``--only`` picks them, default all three):

- ``dpclass``: the DP's class (backbone sharing, one common deadline, loose budget):
  ``random_instance(K, M = min(50, max(4, K // 20)), structure="backbone", n_clusters = max(2, M // 5),
  deadline="common", bandwidth="loose", tightness=0.3, seed=s)``, K = 100, 1,000, 10,000, seeds
  0-2. ``dp`` is the proven optimum; ``lns`` (``time_limit`` 10 s), ``paper_greedy``, ``greedy``,
  ``no_sharing`` and ``edf`` are compared to it (``bound`` is run as a check: it must not be below
  the optimum). Target: median over the seeds of ``lns``'s gap to the optimum at K = 10,000 <= 1 %.
- ``presets``: ``po.generate(preset, users=K, seed=s)`` for ``general``, ``vision-mixed``,
  ``vision-frozen-bottom`` and ``llm-serving``, K = 100, 1,000, 10,000, seeds 0-2. Certified gap
  = (best bound - served) / best bound, the best bound being the least of the ``bound`` method's
  and ``dp``'s where ``dp`` applies. Targets: median certified gap of ``lns`` (``time_limit``
  ``--lns-time-limit``, 30 s) at K = 1,000 <= 3 % per preset; ``bound`` at K = 10,000 within 5 s
  and 500 MB.
- ``small``: K = 8, 10, 12, 15, 20 on the presets above plus ``backbone-deadlines``, seeds 0-4,
  against proven optima: ``brute_force`` at K = 8, ``exact`` (``time_limit`` 60 s, 1 thread) above,
  keeping only the instances it proves ``optimal`` (at this size ``exact`` runs ``dp``, ``edd_dp``,
  the Benders master and ``bnb``, never ``lns``: the optima are independent of the method checked). ``lns`` runs with ``iterations=2000,
  time_limit=10``, ``local_search`` with its defaults. Targets for ``lns``: mean gap <= 0.5 %,
  worst gap <= 1 user.

Every method runs in this process on the same instance object, one after the other, on one thread
(BLAS limited to 1 thread, ``milp`` and ``exact`` with ``threads=1``), so times within a table are comparable even on a noisy machine. Time is the wall
time of ``po.solve`` (which re-checks the schedule); memory is the increase of the peak resident
set size during the call (Linux: the high-water mark is reset before each call through
``/proc/self/clear_refs``; memory the allocator reuses is not seen) and, for ``bound``, the
tracemalloc peak of a second, untimed call (Python and numpy allocations only). Every schedule is
re-judged here too (feasible, served count as reported, never above the certified bound); a
violation is printed as ``BUG`` and listed at the end.

Writes benchmarks/out/scaling_dpclass.csv, scaling_presets.csv, scaling_small.csv (one row per
instance and method) and scaling.png (served users and certified gap against K, log x axis, one
panel per preset, every method; sections not run in this invocation are drawn from their CSV if
one is there). ``--quick`` writes the same files (column ``quick`` = True).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # one thread, before numpy loads
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import re  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import NullFormatter  # noqa: E402

import partialopt as po  # noqa: E402
from partialopt.core.errors import NotApplicable  # noqa: E402
from partialopt.generators import random_instance  # noqa: E402

OUT = Path(__file__).parent / "out"
SECTIONS = ("dpclass", "presets", "small")
PRESETS = ("general", "vision-mixed", "vision-frozen-bottom", "llm-serving")
SMALL_PRESETS = (*PRESETS, "backbone-deadlines")
HEURISTICS = ("lns", "paper_greedy", "greedy", "no_sharing", "edf")
SMALL_METHODS = ("lns", "local_search", "paper_greedy", "greedy", "no_sharing", "edf")
BUGS: list[str] = []


# -- measuring one call ------------------------------------------------------------------------------
def _status_kb(field: str) -> int | None:
    try:
        m = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    except OSError:
        return None
    return int(m.group(1)) if m else None


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # Linux >= 4.0: VmHWM := VmRSS
        return True
    except OSError:
        return False


def measured(fn):
    """``(fn(), wall seconds, peak RSS increase in MB or None)``. The peak is the kernel's
    high-water mark after a reset, else the largest of samples taken every 2 ms by a thread."""
    before = _status_kb("VmRSS")
    peak = [before or 0]
    stop = threading.Event()
    sampler = None
    if before is not None and not _reset_peak():

        def sample() -> None:
            while not stop.wait(0.002):
                peak[0] = max(peak[0], _status_kb("VmRSS") or 0)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
    t0 = time.perf_counter()
    try:
        out = fn()
    finally:
        dt = time.perf_counter() - t0
        stop.set()
        if sampler is not None:
            sampler.join()
    if before is None:
        return out, dt, None
    hwm = peak[0] if sampler is not None else (_status_kb("VmHWM") or before)
    return out, dt, max(hwm - before, 0) / 1024.0


def traced_peak(fn) -> float:
    """Peak of the memory Python and numpy allocate during ``fn()`` (tracemalloc), in MB: a second,
    untimed call, since tracing slows the call down. It does not see what a C library allocates on
    its own (HiGHS); the RSS increase does, but misses memory the allocator reuses."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def bug(msg: str) -> None:
    BUGS.append(msg)
    print(f"BUG: {msg}", flush=True)


def run_method(inst, name: str, where: dict, **opts) -> dict | None:
    """One ``po.solve`` call, measured and re-judged; ``None`` when the method refuses the instance."""
    try:
        r, dt, mem = measured(lambda: po.solve(inst, method=name, **opts))
    except NotApplicable:
        return None
    row = {**where, "method": name, "status": str(r.status), "time_s": dt, "rss_mb": mem}
    if name == "bound":
        row.update(bound=r.bound, served=np.nan, best_bound_name=r.stats.get("best"))
        row.update({f"b_{k}": v for k, v in r.stats.get("bounds", {}).items()})
        row.update({f"t_{k}": v for k, v in r.stats.get("times", {}).items()})
        row["tracemalloc_mb"] = traced_peak(lambda: po.solve(inst, method=name, **opts))
        return row
    ev = po.evaluate(inst, r.order)
    if not ev.feasible or ev.objective != r.objective:
        bug(
            f"{name} on {where}: evaluator says feasible={ev.feasible}, served {ev.objective} vs reported {r.objective}"
        )
    if r.bound is not None and r.objective > r.bound + 1e-9:
        bug(f"{name} on {where}: serves {r.objective} above its own bound {r.bound}")
    row.update(served=r.objective, bound=r.bound)
    return row


def check_against(rows: list[dict], ref: float, what: str) -> None:
    for row in rows:
        if row["method"] != "bound" and row["served"] > ref + 1e-9:
            where = {k: row[k] for k in ("preset", "K", "seed") if k in row}
            bug(f"{row['method']} serves {row['served']} > {what} {ref} on {where}")


# -- tables -----------------------------------------------------------------------------------------
def _fmt(values, digits: int = 0) -> str:
    return " / ".join("-" if pd.isna(v) else f"{v:,.{digits}f}" for v in values)


def summary(df: pd.DataFrame, keys: list[str], order: tuple[str, ...], gap: str) -> pd.DataFrame:
    """One line per (keys, method): served per seed (the bound's value on the bound row), gap %
    median and max over seeds, time median and max, peak RSS increase max."""
    lines = []
    for key, g in df.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        for m in order:
            h = g[g.method == m].sort_values("seed")
            if not len(h):
                continue
            value = h["bound"] if m == "bound" else h["served"]
            lines.append(
                {
                    **dict(zip(keys, key)),
                    "method": m,
                    "served (per seed)": ("bound " if m == "bound" else "") + _fmt(value),
                    "gap % med": np.nan if m == "bound" else 100 * h[gap].median(),
                    "gap % max": np.nan if m == "bound" else 100 * h[gap].max(),
                    "time s med": h.time_s.median(),
                    "time s max": h.time_s.max(),
                    "RSS MB max": h.rss_mb.max(),
                    "traced MB max": h.tracemalloc_mb.max() if "tracemalloc_mb" in h else np.nan,
                }
            )
    return pd.DataFrame(lines).set_index([*keys, "method"])


def show(title: str, table: pd.DataFrame) -> None:
    print(f"\n{title}")
    print(
        table.to_string(
            float_format=lambda v: f"{v:,.2f}",
            formatters={"gap % med": "{:.2f}".format, "gap % max": "{:.2f}".format},
            na_rep="-",
        ),
        flush=True,
    )


def verdict(ok: bool, text: str) -> str:
    line = f"{'PASS' if ok else 'FAIL'}: {text}"
    print(line, flush=True)
    return line


# -- (a) the DP's class ------------------------------------------------------------------------------
def dpclass(quick: bool, lns_time_limit: float) -> tuple[pd.DataFrame, list[str]]:
    sizes = (100, 1000) if quick else (100, 1000, 10000)
    seeds = (0,) if quick else (0, 1, 2)
    rows = []
    for K in sizes:
        M = min(50, max(4, K // 20))
        for s in seeds:
            inst = random_instance(
                K,
                M,
                structure="backbone",
                n_clusters=max(2, M // 5),
                deadline="common",
                bandwidth="loose",
                tightness=0.3,
                seed=s,
            )
            _ = inst.arrays
            where = {"preset": "dpclass", "K": K, "seed": s, "models": M}
            part = [run_method(inst, "dp", where)]
            opt = part[0]["served"]
            if part[0]["status"] != "optimal":
                print(f"note: dp not proven optimal on {where} (status {part[0]['status']}; bound {part[0]['bound']})")
            part.append(run_method(inst, "bound", where))
            if part[-1]["bound"] < opt:
                bug(f"bound {part[-1]['bound']} below the dp optimum {opt} on {where}")
            for m in HEURISTICS:
                part.append(run_method(inst, m, where, **({"time_limit": lns_time_limit} if m == "lns" else {})))
            check_against(part, part[0]["bound"] if part[0]["bound"] is not None else opt, "the dp bound")
            for row in part:
                row["reference"] = opt
                row["gap"] = np.nan if row["method"] == "bound" else (opt - row["served"]) / max(opt, 1)
                print(
                    f"dpclass K={K:6d} seed={s} {row['method']:12s} served={row['served']:7.0f} "
                    f"bound={row['bound'] if row['bound'] is not None else '-'} gap={100 * row['gap']:6.2f}% "
                    f"time={row['time_s']:7.2f}s",
                    flush=True,
                )
            rows += part
    df = pd.DataFrame(rows)
    show(
        f"(a) DP class (backbone, common deadline, loose budget), seeds {list(seeds)}: gap to the DP optimum; "
        f"lns time_limit {lns_time_limit:g} s",
        summary(df, ["K"], ("dp", "bound", *HEURISTICS), "gap"),
    )
    Kt = max(sizes)
    g = df[(df.K == Kt) & (df.method == "lns")].gap
    lines = [
        verdict(
            100 * g.median() <= 1.0,
            f"dpclass K={Kt:,}: median lns gap to the DP optimum {100 * g.median():.2f} % "
            f"(seeds {_fmt(100 * g, 2)} %) <= 1 % with time_limit {lns_time_limit:g} s",
        )
    ]
    return df, lines


# -- (b) realistic and general presets up to K = 10,000 --------------------------------------------
def presets(quick: bool, lns_time_limit: float) -> tuple[pd.DataFrame, list[str]]:
    sizes = (100, 1000) if quick else (100, 1000, 10000)
    seeds = (0,) if quick else (0, 1, 2)
    rows = []
    for preset in PRESETS:
        for K in sizes:
            for s in seeds:
                inst = po.generate(preset, users=K, seed=s)
                _ = inst.arrays
                where = {"preset": preset, "K": K, "seed": s, "models": len(inst.models)}
                part = [run_method(inst, "bound", where)]  # first: its memory is not hidden by earlier calls
                best, best_name = part[0]["bound"], f"bound:{part[0]['best_bound_name']}"
                d = run_method(inst, "dp", where)
                if d is not None:
                    part.append(d)
                    if d["bound"] is not None and d["bound"] < best:
                        best, best_name = d["bound"], "dp"
                for m in HEURISTICS:
                    part.append(run_method(inst, m, where, **({"time_limit": lns_time_limit} if m == "lns" else {})))
                check_against(part, best, "the certified bound")
                for row in part:
                    row.update(best_bound=best, best_bound_from=best_name)
                    row["gap"] = np.nan if row["method"] == "bound" else (best - row["served"]) / max(best, 1)
                    print(
                        f"{preset:20s} K={K:6d} seed={s} {row['method']:12s} served={row['served']:7.0f} "
                        f"best_bound={best:7.0f} gap={100 * row['gap']:6.2f}% time={row['time_s']:7.2f}s"
                        + (f" rss+={row['rss_mb']:.0f}MB" if row["rss_mb"] is not None else ""),
                        flush=True,
                    )
                rows += part
    df = pd.DataFrame(rows)
    show(
        f"(b) presets, seeds {list(seeds)}: certified gap = (best bound - served) / best bound; "
        f"lns time_limit {lns_time_limit:g} s; bound row: the bound per seed, its time and peak RSS increase",
        summary(df, ["preset", "K"], ("bound", "dp", *HEURISTICS), "gap"),
    )
    b = df[df.method == "bound"]
    print("\nwhich bound is the least (count of instances):")
    print(b.groupby(["preset", "K"]).best_bound_name.value_counts().unstack(fill_value=0).to_string(), flush=True)
    lines = []
    Kg = 1000
    for preset in PRESETS:
        g = df[(df.preset == preset) & (df.K == Kg) & (df.method == "lns")].gap
        lines.append(
            verdict(
                100 * g.median() <= 3.0,
                f"presets {preset} K={Kg:,}: median certified lns gap {100 * g.median():.2f} % "
                f"(seeds {_fmt(100 * g, 2)} %) <= 3 % with time_limit {lns_time_limit:g} s",
            )
        )
    Kb = max(sizes)
    bb = b[b.K == Kb]
    t, mem, traced = bb.time_s.max(), bb.rss_mb.max(), bb.tracemalloc_mb.max()
    lines.append(
        verdict(
            t < 5.0 and (pd.isna(mem) or mem < 500.0) and traced < 500.0,
            f"bound at K={Kb:,}: worst wall time {t:.2f} s (< 5 s), worst peak RSS increase "
            f"{mem:.0f} MB and tracemalloc peak {traced:.0f} MB (< 500 MB) over {len(bb)} instances",
        )
    )
    if len(bb):
        slow = bb.filter(regex="^t_").astype(float).max().sort_values(ascending=False)
        top = slow.round(2).head(4).to_dict()
        print(f"  slowest parts of bound at K={Kb:,} (max s over instances): {top}")
    return df, lines


# -- (c) K <= 20 against proven optima -------------------------------------------------------------
def small(quick: bool, exact_time_limit: float) -> tuple[pd.DataFrame, list[str]]:
    sizes = (8, 10) if quick else (8, 10, 12, 15, 20)
    seeds = (0,) if quick else (0, 1, 2, 3, 4)
    lns_opts = {"iterations": 2000, "time_limit": 10.0}
    rows, tried = [], []
    for preset in SMALL_PRESETS:
        for K in sizes:
            for s in seeds:
                inst = po.generate(preset, users=K, seed=s)
                where = {"preset": preset, "K": K, "seed": s}
                if K <= 8:
                    ex = run_method(inst, "brute_force", where)
                else:
                    ex = run_method(inst, "exact", where, time_limit=exact_time_limit, threads=1)
                proven = ex["status"] == "optimal"
                tried.append({**where, "exact": ex["method"], "proven": proven, "exact_time_s": ex["time_s"]})
                print(
                    f"small {preset:20s} K={K:3d} seed={s} {ex['method']:11s} {ex['status']:10s} "
                    f"served={ex['served']:.0f} bound={ex['bound']} time={ex['time_s']:.1f}s",
                    flush=True,
                )
                if not proven:
                    continue
                opt = ex["served"]
                part = [ex, run_method(inst, "bound", where)]
                if part[-1]["bound"] < opt:
                    bug(f"bound {part[-1]['bound']} below the proven optimum {opt} on {where}")
                for m in SMALL_METHODS:
                    part.append(run_method(inst, m, where, **(lns_opts if m == "lns" else {})))
                check_against(part, opt, "the proven optimum")
                for row in part:
                    row.update(optimum=opt, exact=ex["method"])
                    if row["method"] != "bound":
                        row["gap_users"] = opt - row["served"]
                        row["gap"] = row["gap_users"] / max(opt, 1)
                rows += part
    df = pd.DataFrame(rows)
    tr = pd.DataFrame(tried)
    print(f"\n(c) K <= 20 against proven optima (brute_force at K = 8, exact {exact_time_limit:g} s / 1 thread above)")
    print("instances proven optimal (of those tried):")
    print(
        tr.groupby(["preset", "K"]).proven.agg(lambda x: f"{int(x.sum())}/{len(x)}").unstack().to_string(),
        flush=True,
    )
    print(f"total: {int(tr.proven.sum())} of {len(tr)} proven")
    h = df[df.method.isin(SMALL_METHODS)]
    if not len(h):
        return df, [verdict(False, "small: no instance proven optimal")]
    mean = (100 * h.pivot_table(index=["preset", "K"], columns="method", values="gap", aggfunc="mean")).reindex(
        columns=list(SMALL_METHODS)
    )
    print("\nmean gap to the proven optimum (%), proven instances only:")
    print(mean.round(2).to_string(), flush=True)
    overall = h.groupby("method").agg(
        instances=("gap", "size"),
        mean_gap_pct=("gap", lambda x: 100 * x.mean()),
        worst_gap_pct=("gap", lambda x: 100 * x.max()),
        mean_gap_users=("gap_users", "mean"),
        worst_gap_users=("gap_users", "max"),
        at_optimum_pct=("gap_users", lambda x: 100 * (x == 0).mean()),
        time_s_mean=("time_s", "mean"),
        time_s_max=("time_s", "max"),
    )
    overall = overall.reindex(list(SMALL_METHODS))
    print("\nover all proven instances:")
    print(overall.round(3).to_string(), flush=True)
    b = df[df.method == "bound"]
    slack = b.bound - b.optimum
    print(f"bound method on these instances: mean bound - optimum = {slack.mean():.2f} users, max {slack.max():.0f}")
    lns = overall.loc["lns"]
    lines = [
        verdict(
            lns.mean_gap_pct <= 0.5,
            f"small: lns mean gap {lns.mean_gap_pct:.2f} % <= 0.5 % over {int(lns.instances)} proven instances",
        ),
        verdict(lns.worst_gap_users <= 1, f"small: lns worst gap {lns.worst_gap_users:.0f} user(s) <= 1"),
    ]
    return df, lines


# -- plot --------------------------------------------------------------------------------------------
COLOURS = {
    "dp": "black",
    "bound": "grey",
    "lns": "tab:red",
    "local_search": "tab:purple",
    "paper_greedy": "tab:orange",
    "greedy": "tab:blue",
    "no_sharing": "tab:green",
    "edf": "tab:brown",
}

MARKERS = {
    "dp": "o",
    "lns": "o",
    "local_search": "s",
    "paper_greedy": "^",
    "greedy": "v",
    "no_sharing": "D",
    "edf": "x",
}


def plot(frames: dict[str, pd.DataFrame], path: Path) -> None:
    panels = []
    if "dpclass" in frames:
        panels.append(("dpclass", "DP class (common deadline)", frames["dpclass"]))
    big = frames.get("presets")
    sm = frames.get("small")
    for preset in SMALL_PRESETS:
        parts = [d[d.preset == preset] for d in (sm, big) if d is not None]
        part = pd.concat(parts) if parts else pd.DataFrame()
        if len(part):
            panels.append((preset, preset, part))
    if not panels:
        return
    fig, axes = plt.subplots(2, len(panels), figsize=(3.6 * len(panels), 7), squeeze=False)
    for col, (_, title, d) in enumerate(panels):
        top, bottom = axes[0, col], axes[1, col]
        for m in COLOURS:
            g = d[d.method == m]
            if not len(g):
                continue
            y = g.groupby("K")["bound" if m == "bound" else "served"].mean()
            style = dict(color=COLOURS[m], label=("bound (certified)" if m == "bound" else m), alpha=0.85)
            line = "--" if m in ("bound", "dp") else MARKERS[m] + "-"
            top.plot(y.index, y.values, line, ms=4, mfc="none", **style)
            if m != "bound" and "gap" in g:
                gap = 100 * g.groupby("K")["gap"].mean()
                bottom.plot(gap.index, gap.values, MARKERS.get(m, "o") + "-", ms=4, mfc="none", **style)
        ks = sorted(d.K.unique())
        ticks = ks if max(ks) <= 20 else [k for k in (10, 100, 1000, 10000) if ks[0] <= k <= ks[-1]]
        for ax in (top, bottom):
            ax.set_xscale("log")
            ax.set_xticks(ticks, [f"{k:,}" for k in ticks])
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.grid(True, which="both", alpha=0.3)
        top.set_yscale("log")
        top.set_title(title, fontsize=10)
        bottom.set_xlabel("users K")
        if col == 0:
            top.set_ylabel("served users (mean over seeds)")
            bottom.set_ylabel("certified gap % (mean over seeds)")
    handles, labels = {}, {}
    for ax in axes[0]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    fig.legend(list(handles.values()), list(handles), loc="lower center", ncol=len(handles), fontsize=9)
    del labels
    fig.suptitle(
        "served users and certified gap against K (K <= 20: gap to proven optima; larger K: to the "
        "best certified bound; DP class: to the DP optimum)",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0.05, 1, 0.96))
    fig.savefig(path, dpi=120)
    plt.close(fig)


def warm_up() -> None:
    """Run every method once on a tiny instance, so that no timed call pays for first imports
    (HiGHS, Pyomo, scipy) or caches."""
    for preset in ("backbone-common", "general"):
        inst = po.generate(preset, users=8, seed=0)
        for m in ("bound", "dp", *SMALL_METHODS, "brute_force"):
            try:
                po.solve(inst, method=m, **({"time_limit": 1.0} if m in ("lns", "local_search") else {}))
            except NotApplicable:
                pass
        po.solve(inst, method="milp", time_limit=5.0, threads=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes, one seed, 2 s limits (1-2 minutes)")
    ap.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections of {SECTIONS}, or plot (redraw from the CSVs)",
    )
    ap.add_argument("--lns-time-limit", type=float, default=None, help="lns limit in presets (default 30 s)")
    ap.add_argument("--dp-lns-time-limit", type=float, default=None, help="lns limit in dpclass (default 10 s)")
    ap.add_argument(
        "--exact-time-limit", type=float, default=None, help="limit of exact, the optima of small (default 60 s)"
    )
    args = ap.parse_args()
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    bad = set(chosen) - set(SECTIONS) - {"plot"}
    if bad:
        ap.error(f"--only: unknown section(s) {sorted(bad)} (choose from {SECTIONS})")
    q = args.quick
    lns_b = args.lns_time_limit if args.lns_time_limit is not None else (2.0 if q else 30.0)
    lns_a = args.dp_lns_time_limit if args.dp_lns_time_limit is not None else (2.0 if q else 10.0)
    exact_tl = args.exact_time_limit if args.exact_time_limit is not None else (10.0 if q else 60.0)
    OUT.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    warm_up()
    frames, lines = {}, []
    for name in SECTIONS:
        if name not in chosen:
            continue
        ts = time.perf_counter()
        if name == "dpclass":
            df, out = dpclass(q, lns_a)
        elif name == "presets":
            df, out = presets(q, lns_b)
        else:
            df, out = small(q, exact_tl)
        df["quick"] = q
        df.to_csv(OUT / f"scaling_{name}.csv", index=False)
        frames[name] = df
        lines += out
        print(f"[{name}: {(time.perf_counter() - ts) / 60:.1f} min; wrote {OUT / f'scaling_{name}.csv'}]", flush=True)
    for name in SECTIONS:
        csv = OUT / f"scaling_{name}.csv"
        if name not in frames and csv.exists():
            frames[name] = pd.read_csv(csv)
            print(f"plot: section {name} drawn from the existing {csv} (quick={bool(frames[name].quick.any())})")
    plot(frames, OUT / "scaling.png")
    if not lines:
        print(f"wrote {OUT / 'scaling.png'}")
        return
    print("\ntargets" + (" (--quick: not the targets' sizes or limits)" if q else "") + ":")
    for line in lines:
        print("  " + line)
    if BUGS:
        print(f"\n{len(BUGS)} BUG(S):")
        for b in BUGS:
            print("  " + b)
    print(f"total {(time.perf_counter() - t0) / 60:.1f} min; wrote {OUT / 'scaling.png'}")


if __name__ == "__main__":
    main()
