"""Command line: ``partialopt generate | solve | evaluate | bench | demo | profile`` (SPEC §9)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .evaluate import evaluate
from .instance import Instance, InstanceError
from .presets import PRESETS, generate
from .result import Result
from .solve import METHODS, solve


def _cmd_generate(args: argparse.Namespace) -> int:
    inst = generate(args.preset, args.users, args.seed, calibration=args.calibration, loading=args.loading)
    text = inst.to_json()
    if args.output:
        Path(args.output).write_text(text)
        print(f"wrote {args.output}: {inst.K} users, {len(inst.models)} models, {len(inst.blocks)} blocks")
    else:
        print(text)
    return 0


def _parse_option(text: str) -> tuple[str, object]:
    if "=" not in text:
        raise SystemExit(f"--option: expected KEY=VALUE, got {text!r}")
    key, value = text.split("=", 1)
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def _cmd_solve(args: argparse.Namespace) -> int:
    inst = Instance.load(args.instance)
    options = dict(_parse_option(o) for o in args.option or [])
    if args.time_limit is not None:
        options["time_limit"] = args.time_limit
    if args.seed is not None:
        options["seed"] = args.seed
    res = solve(inst, method=args.method, **options)
    if args.output:
        res.save(args.output)
    bound = "-" if res.bound is None else f"{res.bound:g}"
    gap = "-" if res.gap is None else f"{100 * res.gap:.2f}%"
    print(f"{res.method}: status={res.status} served={res.objective}/{inst.K} bound={bound} gap={gap} "
          f"time={res.wall_time:.3f}s" + (f" -> {args.output}" if args.output else ""))
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    inst = Instance.load(args.instance)
    res = Result.load(args.result)
    ev = evaluate(inst, res.order, res.bandwidth or None)
    print(f"served {ev.objective}/{inst.K}; bandwidth {ev.bandwidth_total:.6g} / {inst.server.total_bandwidth:.6g} Hz"
          f" ({'ok' if ev.bandwidth_ok else 'OVER BUDGET'}); makespan {ev.makespan:.6g} s")
    for v in ev.violations:
        print(f"  deadline missed: {v['user']} finishes {v['finish']:.6g} s > deadline {v['deadline']:.6g} s")
    print("feasible" if ev.feasible else "INFEASIBLE")
    return 0 if ev.feasible else 1


def _cmd_bench(args: argparse.Namespace) -> int:
    from .experiments import add_reference, named_sweep, pivot_means, run_sweep

    sweep, x = named_sweep(args.sweep, seeds=args.seeds, small=args.small)
    out = Path(args.output or f"bench_out/{args.sweep}.csv")
    df = add_reference(run_sweep(sweep, backend=args.backend, jobs=args.jobs, progress=not args.no_progress))
    out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(out, index=False)
    print(f"sweep {args.sweep!r}: {df[['preset', 'users', 'seed', *sweep.grid]].drop_duplicates().shape[0]} "
          f"instances x {len(sweep.methods)} methods, backend {args.backend}")
    rows = ["preset", x] if len(sweep.presets) > 1 else [x]
    print(f"\nmean served users ({' x '.join(rows)} down, method across):")
    print(pivot_means(df, rows).round(2).to_string())
    if df["bound"].notna().any():
        proven = df.groupby(["preset", "users", "seed", *sweep.grid])["proven"].first()
        print(f"\nmean gap to the best proven bound (%); {proven.mean():.0%} of {len(proven)} instances proven optimal:")
        print((100 * pivot_means(df, rows, "gap_to_best")).round(2).to_string())
    bad = df[df["status"] == "error"]
    if len(bad):
        print(f"\n{len(bad)} error row(s); first: {bad['note'].iloc[0]}", file=sys.stderr)
    plot = Path(args.plot) if args.plot else out.with_suffix(".png")
    _bench_plot(df, x, args.sweep, plot)
    print(f"\nwrote {out} and {plot}")
    return 1 if len(bad) else 0


def _bench_plot(df, x: str, name: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plotting import plot_gap_distribution, plot_lines

    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    if name == "gaps":
        plot_gap_distribution(df[df["status"] != "refused"], ax=ax, title="gap to the best proven bound, per instance")
    else:
        plot_lines(df, x, "served_fraction", ax=ax, title=f"sweep {name!r}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    run_demo(Path(args.output_dir), users=args.users, seed=args.seed)
    return 0


def _cmd_profile(args: argparse.Namespace) -> int:
    from .profiling import DEFAULT_ARCHS, ProfileError, profile

    try:
        cal = profile(args.output, archs=args.arch or DEFAULT_ARCHS,
                      repeats=args.repeats, device=args.device)
    except ProfileError as exc:
        print(f"partialopt profile: {exc}", file=sys.stderr)
        return 3
    for source in ("pinned", "pageable", "disk"):
        try:
            f = cal.fit(source)
        except ValueError:
            continue
        print(f"{source:>8}: alpha = {f.alpha * 1e6:.2f} us/tensor, v = {f.v / 1e9:.2f} GB/s (R^2 {f.r2:.3f})")
    print(f"wrote {args.output} ({cal.device}); use it with: partialopt generate PRESET --calibration {args.output}")
    return 0


def _presets_epilog() -> str:
    lines = ["presets:"]
    for name, p in PRESETS.items():
        lines.append(f"  {name:<28} {p.description}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="partialopt",
        description="Scheduling and bandwidth allocation for parameter-sharing edge inference.",
    )
    sub = p.add_subparsers(dest="command", required=True)

    g = sub.add_parser("generate", help="write a preset instance as JSON (SPEC §9)", epilog=_presets_epilog(),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    g.add_argument("preset", choices=list(PRESETS), metavar="PRESET", help="instance preset (listed below)")
    g.add_argument("--users", "-k", type=int, default=10, help="number of users K (default 10)")
    g.add_argument("--seed", "-s", type=int, default=0, help="random seed (default 0)")
    g.add_argument("--calibration", help="calibration JSON from 'partialopt profile' (realistic presets; "
                   "default: the bundled H100 measurements)")
    g.add_argument("--loading", choices=["pinned", "pageable", "disk"],
                   help="where weights are loaded from (realistic presets; default: the preset's)")
    g.add_argument("-o", "--output", help="output file (default: stdout)")
    g.set_defaults(func=_cmd_generate)

    s = sub.add_parser("solve", help="solve an instance file with one method")
    s.add_argument("instance", help="instance JSON file")
    s.add_argument("--method", "-m", default="greedy" if "greedy" in METHODS else "edf",
                   choices=sorted(METHODS), help="solution method")
    s.add_argument("--time-limit", type=float, help="time limit in seconds (methods that take one)")
    s.add_argument("--seed", type=int, help="random seed (methods that take one)")
    s.add_argument("--option", action="append", metavar="KEY=VALUE",
                   help="extra method option, value parsed as JSON (repeatable), e.g. formulation=\"arc\"")
    s.add_argument("-o", "--output", help="result JSON file")
    s.set_defaults(func=_cmd_solve)

    e = sub.add_parser("evaluate", help="check a result against an instance; exit 1 if infeasible")
    e.add_argument("instance", help="instance JSON file")
    e.add_argument("result", help="result JSON file (bandwidth optional: closed form used if absent)")
    e.set_defaults(func=_cmd_evaluate)

    from .experiments import BACKENDS, SWEEPS

    b = sub.add_parser("bench", help="run a named sweep; print tables, write CSV and a plot",
                       epilog="sweeps:\n" + "\n".join(f"  {k:<10} {(v.__doc__ or '').strip().splitlines()[0]}"
                                                       for k, v in SWEEPS.items()),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    b.add_argument("sweep", choices=list(SWEEPS), metavar="SWEEP", help="named sweep (listed below)")
    b.add_argument("--seeds", type=int, default=5, help="seeds per point: 0..N-1 (default 5)")
    b.add_argument("--small", action="store_true", help="small sizes (seconds; for smoke tests)")
    b.add_argument("--backend", choices=BACKENDS, default="process",
                   help="process (local processes, default), serial, or ray (needs the 'ray' extra)")
    b.add_argument("--jobs", type=int, help="parallel workers (default: all CPUs)")
    b.add_argument("-o", "--output", help="CSV file (default bench_out/SWEEP.csv)")
    b.add_argument("--plot", help="PNG file (default: the CSV's name with .png)")
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
    b.set_defaults(func=_cmd_bench)

    d = sub.add_parser("demo", help="solve a small preset with every method, print a table, write a plot")
    d.add_argument("--users", type=int, default=8, help="number of users (default 8)")
    d.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    d.add_argument("--output-dir", default="demo_out", help="where to write demo.csv and demo.png")
    d.set_defaults(func=_cmd_demo)

    pr = sub.add_parser("profile", help="measure block loading and inference on the local GPU (needs the "
                        "'profile' extra: torch) and write a calibration file for the presets")
    pr.add_argument("-o", "--output", default="calibration.json", help="calibration file (default calibration.json)")
    pr.add_argument("--arch", action="append", help="architecture to measure (repeatable; default: the 7 of the "
                    "bundled H100 data)")
    pr.add_argument("--repeats", type=int, default=20, help="timed copies per block; the median is kept (default 20)")
    pr.add_argument("--device", default="cuda", help="torch device (default cuda)")
    pr.set_defaults(func=_cmd_profile)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (InstanceError, ValueError, TypeError, FileNotFoundError) as exc:
        print(f"partialopt {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
