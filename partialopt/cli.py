"""Command line: ``partialopt generate | solve | evaluate | bench | demo | profile`` (SPEC §9).

``generate``, ``solve`` and ``evaluate`` work for every problem family: presets of every family,
instance and result files told apart by their ``schema`` tag (:mod:`partialopt.solve`)."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from . import __version__
from .core.errors import InstanceError, OptionError, PartialoptError, SolverError
from .core.jsonio import json_type, read_json, write_text_atomic
from .core.registry import check_option
from .instance import Instance
from .presets import PRESETS
from .solve import METHODS, REGISTRY, generate, load_instance, load_result, method_options, solve

EXIT_OK, EXIT_INFEASIBLE, EXIT_BAD_INPUT, EXIT_MISSING_DEPENDENCY, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

EXIT_CODES_HELP = """exit codes:
  0    ok
  1    evaluate: the schedule is infeasible or the result's claims (objective, bound, status)
       contradict the evaluator (bench: some runs failed; solve: the solver failed)
  2    bad input: a file, field, option or argument (one line on stderr names it)
  3    a missing optional dependency (e.g. ray for --backend ray, torch for profile)
  130  interrupted (Ctrl-C); solve first writes the interrupted result (incumbent + bound)"""


# ---------------------------------------------------------------------- argument types
def _int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: an integer >= ``minimum`` (argparse names the flag in its message)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    return parse


def _positive_seconds(text: str) -> float:
    """An argparse type: a positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive finite number of seconds, got {text!r}")
    return value


# ---------------------------------------------------------------------- output paths
def _same_file(a: str | Path, b: str | Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def check_output(
    path: str | None, flag: str = "-o", inputs: Iterable[str | Path | None] = (), create_parent: bool = False
) -> None:
    """Fail early (before any solving) when ``path`` cannot be written as a file: an empty name, a
    folder, a missing parent folder (unless the command creates it), or one of the input files."""
    if path is None:
        return
    if not str(path).strip():
        raise OptionError(f"{flag}: empty file name")
    if str(path).endswith(("/", os.sep)) or Path(path).is_dir():
        raise OptionError(f"{flag}: {path} is a directory; give a file name")
    target = Path(os.path.realpath(path))
    if target.exists() and not target.is_file():
        raise OptionError(f"{flag}: {path} exists and is not a regular file")
    parent = target.parent
    if parent.exists():
        if not parent.is_dir():
            raise OptionError(f"{flag}: {str(Path(path).parent)!r} is not a folder")
        if not os.access(parent, os.W_OK):
            raise OptionError(f"{flag}: folder {str(Path(path).parent)!r} is not writable")
    elif not create_parent:
        raise OptionError(f"{flag}: folder {str(Path(path).parent)!r} does not exist; create it first")
    for src in inputs:
        if src is not None and _same_file(path, src):
            raise OptionError(f"{flag}: {path} is the same file as the input {src}; write the output elsewhere")


# ---------------------------------------------------------------------- method options
# options that take a method name or an order of user ids
_ORDER_OPTIONS = ("start", "warm_start")
# options that only Python callers can set
_PYTHON_ONLY = ("customize",)


def _check_order_option(key: str, value: Any, instance: Instance, label: str) -> Any:
    """``start``/``warm_start``: a method name (``"best"`` too for ``start``), a list of distinct
    user ids (or indices) of the instance, or (``warm_start``) null/false for none."""
    if key == "warm_start" and (value is None or value is False):
        return value
    names = sorted(METHODS) + (["best"] if key == "start" else [])
    if isinstance(value, str):
        if value not in names:
            raise OptionError(
                f"{label}: unknown method {value!r} (choose from {names}, or give a JSON list of user ids)"
            )
        return value
    if not isinstance(value, list):
        raise OptionError(f"{label}: expected a method name or a JSON list of user ids, got {json_type(value)}")
    seen: set[int] = set()
    for i, u in enumerate(value):
        if isinstance(u, str) and u in instance.user_index:
            k = instance.user_index[u]
        elif isinstance(u, int) and not isinstance(u, bool) and 0 <= u < instance.K:
            k = u
        else:
            raise OptionError(
                f"{label}[{i}]: {u!r} is not a user of the instance (ids like "
                f"{instance.users[0].id!r}, or indices 0..{instance.K - 1})"
            )
        if k in seen:
            raise OptionError(f"{label}[{i}]: user {u!r} appears more than once")
        seen.add(k)
    return value


def _check_option(key: str, value: Any, default: Any, instance: Instance, label: str) -> Any:
    """The registry's check (:func:`partialopt.core.registry.check_option`: types of numeric and
    boolean options, ranges) plus what only the command line needs: orders given as user ids,
    text for text options, no Python callables."""
    if key in _PYTHON_ONLY:
        raise OptionError(f"{label}: takes a Python callable; it cannot be set from the command line")
    if key in _ORDER_OPTIONS:
        return _check_order_option(key, value, instance, label)
    if isinstance(default, str) and not isinstance(value, str):
        raise OptionError(f"{label}: expected str, got {json_type(value)} {value!r}")
    if value is None and default is not None:
        raise OptionError(f"{label}: must not be null (default {default!r})")
    return check_option(key, value, default, label)


def validate_options(
    method: str,
    options: Mapping[str, Any],
    instance: Any,
    labels: Mapping[str, str] | None = None,
    family: str = "scheduling",
) -> dict[str, Any]:
    """Check method options before solving: known names (``method_options``), the default's type,
    ranges (``time_limit`` > 0, ``threads`` >= 1, ``mip_gap`` in [0, 1], ...) and user ids of
    ``start``/``warm_start`` orders. ``labels`` maps a name to how the user wrote it (``--time-limit``).
    Raises :class:`OptionError` naming the option; returns the (float-converted) options."""
    accepted = method_options(method, family)
    labels = labels or {}
    out: dict[str, Any] = {}
    for key, value in options.items():
        label = labels.get(key, f"--option {key}")
        if key not in accepted:
            raise OptionError(
                f"{label}: method {method!r} has no option {key!r} (accepted: {', '.join(sorted(accepted)) or 'none'})"
            )
        out[key] = _check_option(key, value, accepted[key], instance, label)
    return out


def _parse_option(text: str) -> tuple[str, object]:
    """``KEY=VALUE``: the value as JSON when it parses (``5``, ``true``, ``["u1","u2"]``), else the text."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key.isidentifier():
        raise OptionError(f"--option: expected KEY=VALUE with KEY an option name, got {text!r}")
    try:
        return key, json.loads(value)
    except (ValueError, RecursionError):
        return key, value


def _collect_options(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, str]]:
    """Options from ``--option`` and the ``--time-limit``/``--seed`` shortcuts, and how each was spelled."""
    options: dict[str, Any] = {}
    labels: dict[str, str] = {}
    for text in args.option or []:
        key, value = _parse_option(text)
        if key in options:
            raise OptionError(f"--option {key}: given twice")
        options[key], labels[key] = value, f"--option {key}"
    for key, flag in (("time_limit", "--time-limit"), ("seed", "--seed")):
        value = getattr(args, key)
        if value is None:
            continue
        if key in options:
            raise OptionError(f"{flag}: also given as --option {key}; give it once")
        options[key], labels[key] = value, flag
    return options, labels


# ---------------------------------------------------------------------- commands
def _load_calibration(path: str | None):
    """A calibration file read up front, so that its errors name the file."""
    if path is None:
        return None
    from .presets.calibration import load

    if not isinstance(read_json(path, "calibration"), dict):
        raise InstanceError(f"{path}: expected a JSON object (a calibration from 'partialopt profile')")
    try:
        return load(path)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise InstanceError(f"{path}: {exc}") from None


def _describe(inst: Any) -> str:
    """``K users, M models, J blocks`` (or the pulling families' sizes)."""
    fam = REGISTRY.family_of(inst).name
    if fam == "scheduling":
        return f"{inst.K} users, {len(inst.models)} models, {len(inst.blocks)} blocks"
    if fam == "pulling":
        return f"pulling: {len(inst.groups)} request groups, {len(inst.cloudlets)} cloudlets, {len(inst.models)} models"
    return f"split: {len(inst.requests)} requests, {len(inst.cloudlets)} cloudlets, {len(inst.models)} models"


def _cmd_generate(args: argparse.Namespace) -> int:
    check_output(args.output, "-o", inputs=[args.calibration])
    realistic = args.preset in PRESETS and PRESETS[args.preset].realistic
    for flag, value in (("--calibration", args.calibration), ("--loading", args.loading)):
        if value is not None and not realistic:
            raise OptionError(f"{flag}: only the realistic scheduling presets take it, not {args.preset!r}")
    cal = _load_calibration(args.calibration)
    extra = {k: v for k, v in (("calibration", cal), ("loading", args.loading)) if v is not None}
    inst = generate(args.preset, args.users, args.seed, **extra)
    text = inst.to_json()
    if args.output:
        write_text_atomic(args.output, text)
        print(f"wrote {args.output}: {_describe(inst)}")
    else:
        print(text)
    return EXIT_OK


def _method_help(name: str | None) -> str:
    """Every family's description of method ``name`` (all methods when None)."""
    blocks = []
    for fam in REGISTRY.families.values():
        names = [name] if name else list(fam.methods)
        for m in names:
            if m in fam.methods:
                blocks.append(f"[{fam.name}] " + fam.methods[m].describe())
    if name and not blocks:
        raise OptionError(f"--method: unknown method {name!r} (choose from {_all_methods()})")
    return "\n\n".join(blocks)


def _all_methods() -> list[str]:
    return sorted({m for fam in REGISTRY.families.values() for m in fam.methods})


def _cmd_solve(args: argparse.Namespace) -> int:
    if args.help:
        print(args.parser.format_help())
        print(
            _method_help(args.method)
            if args.method
            else "methods (--method M --help for one):\n  "
            + "\n  ".join(
                f"{fam.name}: {', '.join(sorted(fam.methods))} (default {fam.default_method})"
                for fam in REGISTRY.families.values()
            )
        )
        return EXIT_OK
    if args.instance is None:
        raise OptionError("instance: the instance JSON file is required (partialopt solve INSTANCE ...)")
    check_output(args.output, "-o", inputs=[args.instance])
    inst = load_instance(args.instance)
    family = REGISTRY.family_of(inst)
    method = args.method or family.default_method
    if method not in family.methods:
        raise OptionError(
            f"--method: unknown method {method!r} of the {family.name} family of {args.instance} "
            f"(choose from {sorted(family.methods)})"
        )
    options, labels = _collect_options(args)
    options = validate_options(method, options, inst, labels, family.name)
    res = solve(inst, method=method, **options)
    if args.output:
        res.save(args.output)
    served = f" served={res.objective}/{inst.K}" if family.name == "scheduling" else ""
    print(res.summary() + served + (f" -> {args.output}" if args.output else ""))
    return EXIT_INTERRUPTED if res.status == "interrupted" else EXIT_OK


def _cmd_evaluate(args: argparse.Namespace) -> int:
    inst = load_instance(args.instance)
    res = load_result(args.result)
    family = REGISTRY.family_of(inst)
    if not isinstance(res, family.result_class()):
        raise InstanceError(
            f"{args.result}: a {type(res).__name__}, not a result of the {family.name} family of {args.instance}"
        )
    try:
        ev = res.evaluate(inst)
    except (ValueError, KeyError) as exc:  # the result does not fit this instance (unknown ids, ...)
        raise InstanceError(f"{args.result}: {_one_line(exc)}") from None
    if family.name == "scheduling":
        print(
            f"served {ev.objective}/{inst.K}; bandwidth {ev.bandwidth_total:.6g} / "
            f"{inst.server.total_bandwidth:.6g} Hz ({'ok' if ev.bandwidth_ok else 'OVER BUDGET'}); "
            f"last finish {ev.last_finish:.6g} s"
        )
        for v in ev.violations:
            print(f"  deadline missed: {v['user']} finishes {v['finish']:.6g} s > deadline {v['deadline']:.6g} s")
    else:
        print(f"total delay {ev.total:.9g} s per frame ({family.name})")
        for v in ev.violations:
            print(f"  violated: {v}")
    claims = [p for p in res.claim_problems(inst) if p != "the solution is infeasible"]
    for p in claims:
        print(f"  claim contradicted: {p}")
    print("feasible" if ev.feasible else "INFEASIBLE")
    return EXIT_OK if ev.feasible and not claims else EXIT_INFEASIBLE


def _cmd_bench(args: argparse.Namespace) -> int:
    from .experiments import add_reference, named_sweep, pivot_means, run_sweep

    out = Path(args.output or f"bench_out/{args.sweep}.csv")
    plot = Path(args.plot) if args.plot else out.with_suffix(".png")
    check_output(str(out), "-o", create_parent=True)
    if _same_file(out, plot):
        raise OptionError(f"--plot: {plot} is also the CSV output (-o); give the plot another name")
    check_output(str(plot), "--plot", create_parent=True)
    sweep, x = named_sweep(args.sweep, seeds=args.seeds, small=args.small)
    df = add_reference(run_sweep(sweep, backend=args.backend, jobs=args.jobs, progress=not args.no_progress))
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out, df.to_csv(index=False))
    print(
        f"sweep {args.sweep!r}: {df[['preset', 'users', 'seed', *sweep.grid]].drop_duplicates().shape[0]} "
        f"instances x {len(sweep.methods)} methods, backend {args.backend}"
    )
    rows = ["preset", x] if len(sweep.presets) > 1 else [x]
    scheduling = bool((df["family"] == "scheduling").any()) if "family" in df else True
    what = "served users" if scheduling else "total delay (s per frame)"
    print(f"\nmean {what} ({' x '.join(rows)} down, method across):")
    print(pivot_means(df, rows).round(2).to_string())
    if df["bound"].notna().any():
        proven = df.groupby(["preset", "users", "seed", *sweep.grid])["proven"].first()
        print(
            f"\nmean gap to the best proven bound (%); {proven.mean():.0%} of {len(proven)} instances proven optimal:"
        )
        print((100 * pivot_means(df, rows, "gap_to_best")).round(2).to_string())
    bad = df[df["status"] == "error"]
    if len(bad):
        print(f"\n{len(bad)} error row(s); first: {bad['note'].iloc[0]}", file=sys.stderr)
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
    elif df["served_fraction"].notna().any():
        plot_lines(df, x, "served_fraction", ax=ax, title=f"sweep {name!r}")
    else:  # the pulling families: total delay
        plot_lines(df, x, "objective", ax=ax, title=f"sweep {name!r}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    out_dir = Path(args.output_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OptionError(f"--output-dir: {out_dir} exists and is not a folder")
    run_demo(out_dir, users=args.users, seed=args.seed)
    return EXIT_OK


def _cmd_profile(args: argparse.Namespace) -> int:
    from .profiling import DEFAULT_ARCHS, ProfileError, profile

    check_output(args.output, "-o")
    try:
        cal = profile(args.output, archs=args.arch or DEFAULT_ARCHS, repeats=args.repeats, device=args.device)
    except ProfileError as exc:
        print(f"partialopt profile: {exc}", file=sys.stderr)
        return EXIT_MISSING_DEPENDENCY
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
    lines.append(
        f"  {'pulling-zoo':<28} the pulling model (docs/SPEC_PULLING.md): zoo families on 4 cloudlets; "
        "--users = request groups"
    )
    lines.append(f"  {'split-eua':<28} the pulling model's split variant: EUA-style cloudlet map; --users = requests")
    return "\n".join(lines)


class _OneLineParser(argparse.ArgumentParser):
    """argparse with one line on stderr for a bad argument (``partialopt solve: error: argument
    --time-limit: ...``) instead of the usage block, like every other bad input; exit code 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _OneLineParser(
        prog="partialopt",
        description="Scheduling and bandwidth allocation for parameter-sharing edge inference.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"partialopt {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)

    g = sub.add_parser(
        "generate",
        help="write a preset instance as JSON (SPEC §9)",
        epilog=_presets_epilog() + "\n\n" + EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    g.add_argument(
        "preset",
        choices=[*PRESETS, *(n for f in REGISTRY.families.values() for n in f.presets)],
        metavar="PRESET",
        help="instance preset of any problem family (listed below)",
    )
    g.add_argument(
        "--users",
        "-k",
        type=_int_at_least(1),
        default=10,
        help="number of users K, or of request groups / requests for the pulling presets (default 10)",
    )
    g.add_argument("--seed", "-s", type=_int_at_least(0), default=0, help="random seed (default 0)")
    g.add_argument(
        "--calibration",
        help="calibration JSON from 'partialopt profile' (realistic presets; default: the bundled H100 measurements)",
    )
    g.add_argument(
        "--loading",
        choices=["pinned", "pageable", "disk"],
        help="where weights are loaded from (realistic presets; default: the preset's)",
    )
    g.add_argument("-o", "--output", help="output file (default: stdout)")
    g.set_defaults(func=_cmd_generate)

    s = sub.add_parser(
        "solve",
        help="solve an instance file (any problem family) with one method",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False,
    )
    s.add_argument(
        "-h", "--help", action="store_true", help="show this help; with --method M, also M's options and their defaults"
    )
    s.add_argument("instance", nargs="?", help="instance JSON file (its schema selects the problem family)")
    s.add_argument(
        "--method",
        "-m",
        metavar="M",
        help="solution method of the instance's family (default: greedy for scheduling, ilp for "
        f"pulling and split); all: {', '.join(_all_methods())}",
    )
    s.add_argument("--time-limit", type=_positive_seconds, help="time limit in seconds (methods that take one)")
    s.add_argument("--seed", type=_int_at_least(0), help="random seed (methods that take one)")
    s.add_argument(
        "--option",
        action="append",
        metavar="KEY=VALUE",
        help="extra method option, value parsed as JSON when it parses (repeatable), e.g. "
        'formulation=position, threads=4, warm_start=\'["u0","u3"]\'; checked against the '
        "method's options before solving",
    )
    s.add_argument("-o", "--output", help="result JSON file")
    s.set_defaults(func=_cmd_solve, parser=s)

    e = sub.add_parser(
        "evaluate",
        help="check a result against an instance; exit 1 if infeasible",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    e.add_argument("instance", help="instance JSON file")
    e.add_argument("result", help="result JSON file (bandwidth optional: closed form used if absent)")
    e.set_defaults(func=_cmd_evaluate)

    from .experiments.named import SWEEPS  # the sweep table and backends load without pandas
    from .experiments.sweep import BACKENDS

    b = sub.add_parser(
        "bench",
        help="run a named sweep; print tables, write CSV and a plot",
        epilog="sweeps:\n"
        + "\n".join(f"  {k:<10} {(v.__doc__ or '').strip().splitlines()[0]}" for k, v in SWEEPS.items())
        + "\n\n"
        + EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    b.add_argument("sweep", choices=list(SWEEPS), metavar="SWEEP", help="named sweep (listed below)")
    b.add_argument("--seeds", type=_int_at_least(1), default=5, help="seeds per point: 0..N-1 (default 5)")
    b.add_argument("--small", action="store_true", help="small sizes (seconds; for smoke tests)")
    b.add_argument(
        "--backend",
        choices=BACKENDS,
        default="process",
        help="process (local processes, default), serial, or ray (needs the 'ray' extra)",
    )
    b.add_argument("--jobs", type=_int_at_least(1), help="parallel workers (default: all CPUs)")
    b.add_argument("-o", "--output", help="CSV file (default bench_out/SWEEP.csv)")
    b.add_argument("--plot", help="PNG file (default: the CSV's name with .png)")
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
    b.set_defaults(func=_cmd_bench)

    d = sub.add_parser("demo", help="solve a small preset with every method, print a table, write a plot")
    d.add_argument("--users", type=_int_at_least(1), default=8, help="number of users (default 8)")
    d.add_argument("--seed", type=_int_at_least(0), default=1, help="random seed (default 1)")
    d.add_argument("--output-dir", default="demo_out", help="where to write demo.csv and demo.png")
    d.set_defaults(func=_cmd_demo)

    pr = sub.add_parser(
        "profile",
        help="measure block loading and inference on the local GPU (needs the "
        "'profile' extra: torch) and write a calibration file for the presets",
    )
    pr.add_argument("-o", "--output", default="calibration.json", help="calibration file (default calibration.json)")
    pr.add_argument(
        "--arch", action="append", help="architecture to measure (repeatable; default: the 7 of the bundled H100 data)"
    )
    pr.add_argument(
        "--repeats", type=_int_at_least(1), default=20, help="timed copies per block; the median is kept (default 20)"
    )
    pr.add_argument("--device", default="cuda", help="torch device (default cuda)")
    pr.set_defaults(func=_cmd_profile)
    return p


def _one_line(exc: BaseException) -> str:
    """The exception's message on one line (an OSError as ``path: reason``)."""
    if isinstance(exc, OSError) and exc.strerror:
        text = f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def _is_own_module(exc: ImportError) -> bool:
    """An ImportError inside partialopt itself is a bug, not a missing optional dependency."""
    return (exc.name or "").split(".")[0] in ("partialopt", "formulations")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (see ``EXIT_CODES_HELP``). Bad input, a missing
    optional dependency and Ctrl-C end with one line on stderr, never a traceback."""
    args = build_parser().parse_args(argv)
    prog = f"partialopt {args.command}"
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader (e.g. `| head`) stopped reading: not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except ImportError as exc:
        if _is_own_module(exc):
            raise
        print(f"{prog}: missing optional dependency: {_one_line(exc)}", file=sys.stderr)
        return EXIT_MISSING_DEPENDENCY
    except SolverError as exc:
        print(f"{prog}: solver failed: {_one_line(exc)}", file=sys.stderr)
        return EXIT_INFEASIBLE
    except (PartialoptError, ValueError, TypeError, OSError) as exc:
        print(f"{prog}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
