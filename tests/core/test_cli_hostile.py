"""Hostile input to the command line: every case exits 2 with one line naming the file or field,
never a traceback; Ctrl-C exits 130; concurrent solves writing one path never leave a broken file."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import partialopt as po
from partialopt.cli import EXIT_CODES_HELP, main
from partialopt.core.jsonio import read_json, write_text_atomic
from tests import ROOT


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> dict[str, Any]:
    """A valid instance file and a valid result file for it, with their JSON dicts."""
    d = tmp_path_factory.mktemp("base")
    inst = po.generate("general", users=6, seed=1)
    inst.save(d / "inst.json")
    res = po.solve(inst, method="greedy")
    assert res.objective >= 2  # the result cases below edit its first two users
    res.save(d / "res.json")
    return {
        "dir": d,
        "inst": inst.to_dict(),
        "res": res.to_dict(),
        "inst_path": str(d / "inst.json"),
        "res_path": str(d / "res.json"),
    }


# ---------------------------------------------------------------------- building hostile files
def _edit(doc: str, fn: Callable[[dict], Any]) -> Callable[[dict, Path], str]:
    """A writer of a copy of the base instance/result dict changed by ``fn`` (whose return value,
    when not None, replaces the whole document)."""

    def write(b: dict, tmp: Path) -> str:
        d = copy.deepcopy(b[doc])
        out = fn(d)
        p = tmp / f"{doc}_bad.json"
        p.write_text(json.dumps(d if out is None else out))
        return str(p)

    return write


def _raw(content: bytes) -> Callable[[dict, Path], str]:
    def write(b: dict, tmp: Path) -> str:
        p = tmp / "raw.json"
        p.write_bytes(content)
        return str(p)

    return write


def _folder(b: dict, tmp: Path) -> str:
    (tmp / "folder.json").mkdir()
    return str(tmp / "folder.json")


def _missing(b: dict, tmp: Path) -> str:
    return str(tmp / "nope.json")


def _set(*path_value) -> Callable[[dict], None]:
    """``d[p0][p1]...[pn] = value``; the sentinel DELETE removes the key."""
    *path, value = path_value

    def fn(d: dict) -> None:
        for key in path[:-1]:
            d = d[key]
        if value is DELETE:
            del d[path[-1]]
        else:
            d[path[-1]] = value

    return fn


DELETE = object()
U0 = ("users", 0)

# (id, instance writer, substring of the error line)
BAD_INSTANCES = [
    ("top-list", _edit("inst", lambda d: [d]), "expected a JSON object (an instance), got list"),
    ("top-number", _raw(b"42"), "expected a JSON object (an instance), got int"),
    ("top-string", _raw(b'"inst"'), "expected a JSON object (an instance), got str"),
    ("top-null", _raw(b"null"), "expected a JSON object (an instance), got null"),
    ("empty-file", _raw(b""), "empty"),
    ("whitespace-file", _raw(b"  \n\t "), "empty"),
    ("not-json", _raw(b"{oops"), "not valid JSON"),
    ("truncated-json", _raw(b'{"schema": "partialopt/instance@1", "server": {'), "not valid JSON"),
    ("not-utf8", _raw(b'{"schema": "\xff\xfe"}'), "not UTF-8"),
    ("deeply-nested", _raw(b"[" * 200_000 + b"]" * 200_000), "nested too deeply"),
    ("int-too-many-digits", _raw(b'{"a": ' + b"9" * 5000 + b"}"), "not valid JSON"),
    ("int-too-large", _edit("inst", _set("blocks", 0, "bytes", 10**400)), "blocks[0].bytes"),
    ("nan-deadline", _edit("inst", _set(*U0, "deadline", float("nan"))), "users[0].deadline"),
    ("inf-load-bandwidth", _edit("inst", _set("server", "load_bandwidth", float("inf"))), "server.load_bandwidth"),
    ("negative-bytes", _edit("inst", _set("blocks", 0, "bytes", -5)), "blocks[0].bytes"),
    ("fractional-bytes", _edit("inst", _set("blocks", 0, "bytes", 1.5)), "blocks[0].bytes"),
    ("unknown-model", _edit("inst", _set(*U0, "model", "ghost")), "users[0].model"),
    ("missing-users", _edit("inst", _set("users", DELETE)), "users: missing"),
    ("missing-deadline", _edit("inst", _set(*U0, "deadline", DELETE)), "users[0].deadline"),
    ("meta-list", _edit("inst", _set("meta", [1, 2])), "meta"),
    ("meta-string", _edit("inst", _set("meta", "x")), "meta"),
    ("deadline-below-inference", _edit("inst", _set(*U0, "deadline", 1e-9)), "users[0].deadline"),
    ("deadline-string", _edit("inst", _set(*U0, "deadline", "soon")), "users[0].deadline"),
    ("deadline-null", _edit("inst", _set(*U0, "deadline", None)), "users[0].deadline"),
    ("data-bits-bool", _edit("inst", _set(*U0, "data_bits", True)), "users[0].data_bits"),
    ("gain-negative", _edit("inst", _set(*U0, "gain", -1e-10)), "users[0].gain"),
    ("schema-wrong", _edit("inst", _set("schema", "partialopt/instance@9")), "schema"),
    ("schema-missing", _edit("inst", _set("schema", DELETE)), "schema"),
    ("users-object", _edit("inst", _set("users", {"u0": {}})), "users: expected a list"),
    ("users-empty", _edit("inst", _set("users", [])), "users: an instance needs at least one user"),
    ("user-string", _edit("inst", _set("users", 0, "u0")), "users[0]"),
    ("user-unknown-field", _edit("inst", _set(*U0, "colour", "red")), "users[0].colour"),
    ("user-duplicate-id", _edit("inst", _set("users", 1, "id", "u0")), "users[1].id"),
    ("user-id-null", _edit("inst", _set(*U0, "id", None)), "users[0].id"),
    ("server-not-object", _edit("inst", _set("server", [1])), "server"),
    ("server-rate-unknown", _edit("inst", _set("server", "rate", "magic")), "server.rate"),
    ("server-initial-model-unknown", _edit("inst", _set("server", "initial_model", "ghost")), "server.initial_model"),
    ("model-blocks-string", _edit("inst", _set("models", 0, "blocks", "b0")), "models[0].blocks"),
    ("model-unknown-block", _edit("inst", _set("models", 0, "blocks", ["nope"])), "models[0].blocks[0]"),
    ("model-inference-zero", _edit("inst", _set("models", 0, "inference_time", 0)), "models[0].inference_time"),
    ("is-a-directory", _folder, "is a directory"),
    ("missing-file", _missing, "no such file"),
]

# (id, result writer, substring of the error line); the instance is the valid base one
BAD_RESULTS = [
    ("order-string", _edit("res", _set("order", "u0,u1")), "order: expected a list of user ids, got str"),
    ("order-null", _edit("res", _set("order", None)), "order: expected a list of user ids, got null"),
    ("order-missing", _edit("res", _set("order", DELETE)), "order: missing"),
    ("order-int", _edit("res", lambda d: d["order"].__setitem__(0, 0)), "order[0]"),
    ("order-duplicate", _edit("res", lambda d: d["order"].__setitem__(1, d["order"][0])), "order[1]"),
    ("order-unknown-user", _edit("res", lambda d: d["order"].__setitem__(0, "ghost")), "order[0]"),
    ("bandwidth-list", _edit("res", _set("bandwidth", [1e6])), "bandwidth: expected a JSON object"),
    ("bandwidth-negative", _edit("res", lambda d: d["bandwidth"].__setitem__(d["order"][0], -1.0)), "bandwidth["),
    ("bandwidth-nan", _edit("res", lambda d: d["bandwidth"].__setitem__(d["order"][0], float("nan"))), "bandwidth["),
    ("bandwidth-string", _edit("res", lambda d: d["bandwidth"].__setitem__(d["order"][0], "fast")), "bandwidth["),
    ("bandwidth-unknown-user", _edit("res", lambda d: d["bandwidth"].__setitem__("ghost", 1.0)), "bandwidth"),
    ("status-unknown", _edit("res", _set("status", "great")), "status"),
    ("objective-string", _edit("res", _set("objective", "2")), "objective"),
    ("objective-bool", _edit("res", _set("objective", True)), "objective"),
    ("bound-string", _edit("res", _set("bound", "many")), "bound"),
    ("gap-infinite", _edit("res", _set("gap", float("inf"))), "gap"),
    ("wall-time-negative", _edit("res", _set("wall_time", -1)), "wall_time"),
    ("method-number", _edit("res", _set("method", 7)), "method"),
    ("start-list", _edit("res", _set("start", [0.0])), "start"),
    ("stats-list", _edit("res", _set("stats", [])), "stats"),
    ("unknown-field", _edit("res", _set("colour", "red")), "colour: unknown field"),
    ("result-top-list", _edit("res", lambda d: [d]), "expected a JSON object (a result), got list"),
    ("result-schema-missing", _edit("res", _set("schema", DELETE)), "schema"),
    ("result-is-instance", _edit("inst", lambda d: None), "schema"),
    ("result-directory", _folder, "is a directory"),
    ("result-empty", _raw(b""), "empty"),
]

# (id, solve arguments after the instance, substring); run with the valid base instance
BAD_SOLVE_ARGS = [
    ("time-limit-zero", ["-m", "local_search", "--time-limit", "0"], "--time-limit"),
    ("time-limit-negative", ["-m", "local_search", "--time-limit", "-1"], "--time-limit"),
    ("time-limit-nan", ["-m", "local_search", "--time-limit", "nan"], "--time-limit"),
    ("time-limit-inf", ["-m", "local_search", "--time-limit", "inf"], "--time-limit"),
    ("time-limit-text", ["-m", "local_search", "--time-limit", "abc"], "--time-limit"),
    ("time-limit-not-taken", ["-m", "greedy", "--time-limit", "5"], "--time-limit"),
    ("seed-negative", ["-m", "random", "--seed", "-1"], "--seed"),
    ("seed-not-taken", ["-m", "edf", "--seed", "1"], "--seed"),
    ("unknown-method", ["-m", "magic"], "--method"),
    ("option-no-equals", ["-m", "random", "--option", "seed"], "--option"),
    ("option-empty-key", ["-m", "random", "--option", "=3"], "--option"),
    ("option-unknown-key", ["-m", "random", "--option", "colour=3"], "colour"),
    ("option-twice", ["-m", "random", "--option", "seed=1", "--option", "seed=2"], "seed: given twice"),
    ("option-and-flag", ["-m", "random", "--seed", "1", "--option", "seed=2"], "--seed"),
    ("option-seed-bool", ["-m", "random", "--option", "seed=true"], "seed"),
    ("option-seed-float", ["-m", "random", "--option", "seed=1.5"], "seed"),
    ("option-seed-negative", ["-m", "random", "--option", "seed=-4"], "seed"),
    ("option-time-limit-zero", ["-m", "local_search", "--option", "time_limit=0"], "time_limit"),
    ("option-time-limit-nan", ["-m", "local_search", "--option", "time_limit=NaN"], "time_limit"),
    ("option-time-limit-text", ["-m", "local_search", "--option", "time_limit=soon"], "time_limit"),
    ("option-max-rounds-float", ["-m", "local_search", "--option", "max_rounds=1.5"], "max_rounds"),
    ("option-max-rounds-negative", ["-m", "local_search", "--option", "max_rounds=-1"], "max_rounds"),
    ("option-max-evals-negative", ["-m", "local_search", "--option", "max_evals=-3"], "max_evals"),
    ("option-start-unknown-user", ["-m", "local_search", "--option", 'start=["ghost"]'], "start[0]"),
    ("option-start-index-out-of-range", ["-m", "local_search", "--option", "start=[99]"], "start[0]"),
    ("option-start-negative-index", ["-m", "local_search", "--option", "start=[-1]"], "start[0]"),
    ("option-start-duplicate", ["-m", "local_search", "--option", 'start=["u0","u0"]'], "start[1]"),
    ("option-start-unknown-method", ["-m", "local_search", "--option", "start=magic"], "start"),
    ("option-start-number", ["-m", "local_search", "--option", "start=5"], "start"),
    ("option-milp-threads-zero", ["-m", "milp", "--option", "threads=0"], "threads"),
    ("option-milp-mip-gap", ["-m", "milp", "--option", "mip_gap=1.5"], "mip_gap"),
    ("option-milp-customize", ["-m", "milp", "--option", "customize=1"], "customize"),
    ("option-milp-warm-start-user", ["-m", "milp", "--option", 'warm_start=["ghost"]'], "warm_start[0]"),
    ("option-milp-verbose-text", ["-m", "milp", "--option", "verbose=yes"], "verbose"),
    ("option-milp-formulation-number", ["-m", "milp", "--option", "formulation=3"], "formulation"),
    ("output-is-input", ["-o", "{inst}"], "-o"),
    ("output-missing-folder", ["-o", "{tmp}/no/such/folder/r.json"], "-o"),
    ("output-is-directory", ["-o", "{tmp}"], "-o"),
    ("output-trailing-slash", ["-o", "{tmp}/newfolder/"], "-o"),
    ("output-empty-name", ["-o", ""], "-o"),
]

# (id, argv with {tmp}/{inst} placeholders, substring)
BAD_OTHER_ARGS = [
    ("generate-users-zero", ["generate", "general", "--users", "0"], "--users"),
    ("generate-users-negative", ["generate", "general", "-k", "-3"], "--users"),
    ("generate-users-text", ["generate", "general", "--users", "many"], "--users"),
    ("generate-seed-negative", ["generate", "general", "--seed", "-1"], "--seed"),
    ("generate-unknown-preset", ["generate", "nope"], "PRESET"),
    ("generate-output-directory", ["generate", "general", "-o", "{tmp}"], "-o"),
    ("generate-output-missing-folder", ["generate", "general", "-o", "{tmp}/no/x.json"], "-o"),
    ("generate-calibration-missing", ["generate", "vision-mixed", "--calibration", "{tmp}/nocal.json"], "nocal.json"),
    ("generate-calibration-directory", ["generate", "vision-mixed", "--calibration", "{tmp}"], "is a directory"),
    ("generate-calibration-list", ["generate", "vision-mixed", "--calibration", "{tmp}/list.json"], "list.json"),
    (
        "generate-calibration-is-output",
        ["generate", "vision-mixed", "--calibration", "{tmp}/list.json", "-o", "{tmp}/list.json"],
        "-o",
    ),
    ("generate-calibration-synthetic", ["generate", "general", "--calibration", "{inst}"], "calibration"),
    ("evaluate-instance-directory", ["evaluate", "{tmp}", "{res}"], "is a directory"),
    ("evaluate-missing-result", ["evaluate", "{inst}", "{tmp}/nores.json"], "nores.json"),
    ("bench-seeds-zero", ["bench", "shared", "--seeds", "0"], "--seeds"),
    ("bench-jobs-zero", ["bench", "shared", "--jobs", "0"], "--jobs"),
    ("bench-jobs-text", ["bench", "shared", "--jobs", "all"], "--jobs"),
    ("bench-unknown-sweep", ["bench", "nope"], "SWEEP"),
    ("bench-unknown-backend", ["bench", "shared", "--backend", "cloud"], "--backend"),
    ("bench-output-directory", ["bench", "shared", "-o", "{tmp}"], "-o"),
    ("bench-plot-is-output", ["bench", "shared", "-o", "{tmp}/b.csv", "--plot", "{tmp}/b.csv"], "--plot"),
    ("demo-users-zero", ["demo", "--users", "0"], "--users"),
    ("demo-output-dir-file", ["demo", "--output-dir", "{inst}"], "--output-dir"),
]


def _run(argv: list[str], capsys) -> tuple[int, str]:
    """Exit code and stderr of ``main(argv)`` in this process (argparse errors raise SystemExit)."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.err


def _assert_bad_input(code: int, err: str, command: str, needle: str, *, own_message: bool = True) -> None:
    """Exit 2, and a last stderr line ``partialopt CMD: error: ...`` naming ``needle``; our own
    messages (not argparse's usage errors) are exactly one line."""
    lines = err.strip().splitlines()
    assert code == 2, err
    assert lines and lines[-1].startswith(f"partialopt {command}: error:"), err
    assert needle in lines[-1], err
    if own_message:
        assert len(lines) == 1, err


def _fill(args: list[str], base: dict, tmp: Path) -> list[str]:
    return [a.format(tmp=tmp, inst=base["inst_path"], res=base["res_path"]) for a in args]


@pytest.mark.parametrize("writer,needle", [c[1:] for c in BAD_INSTANCES], ids=[c[0] for c in BAD_INSTANCES])
def test_bad_instance_file(base, tmp_path, capsys, writer, needle):
    path = writer(base, tmp_path)
    code, err = _run(["solve", path, "-m", "greedy"], capsys)
    _assert_bad_input(code, err, "solve", needle)
    assert path in err  # the file is named too


@pytest.mark.parametrize("writer,needle", [c[1:] for c in BAD_RESULTS], ids=[c[0] for c in BAD_RESULTS])
def test_bad_result_file(base, tmp_path, capsys, writer, needle):
    path = writer(base, tmp_path)
    code, err = _run(["evaluate", base["inst_path"], path], capsys)
    _assert_bad_input(code, err, "evaluate", needle)
    assert path in err


@pytest.mark.parametrize("args,needle", [c[1:] for c in BAD_SOLVE_ARGS], ids=[c[0] for c in BAD_SOLVE_ARGS])
def test_bad_solve_arguments(base, tmp_path, capsys, args, needle):
    code, err = _run(["solve", base["inst_path"], *_fill(args, base, tmp_path)], capsys)
    _assert_bad_input(code, err, "solve", needle, own_message=not err.startswith("usage:"))
    assert sorted(os.listdir(tmp_path)) == []  # nothing written, nothing left behind


@pytest.mark.parametrize("args,needle", [c[1:] for c in BAD_OTHER_ARGS], ids=[c[0] for c in BAD_OTHER_ARGS])
def test_bad_arguments_of_other_commands(base, tmp_path, capsys, args, needle):
    (tmp_path / "list.json").write_text("[1, 2]")
    code, err = _run(_fill(args, base, tmp_path), capsys)
    _assert_bad_input(code, err, args[0], needle, own_message=not err.startswith("usage:"))
    assert sorted(os.listdir(tmp_path)) == ["list.json"]


def test_at_least_fifty_hostile_cases():
    assert len(BAD_INSTANCES) + len(BAD_RESULTS) + len(BAD_SOLVE_ARGS) + len(BAD_OTHER_ARGS) >= 50


SUBPROCESS_CASES = ["top-list", "not-utf8", "nan-deadline", "meta-list", "is-a-directory"]


@pytest.mark.parametrize("case", SUBPROCESS_CASES)
def test_no_traceback_reaches_the_terminal(base, tmp_path, case):
    writer, needle = {c[0]: c[1:] for c in BAD_INSTANCES}[case]
    path = writer(base, tmp_path)
    p = subprocess.run(
        [sys.executable, "-m", "partialopt.cli", "solve", path, "-m", "greedy"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert p.returncode == 2 and "Traceback" not in p.stderr + p.stdout
    assert p.stderr.count("\n") == 1 and needle in p.stderr and path in p.stderr


def test_subprocess_bad_option_and_result(base, tmp_path):
    for argv, needle in (
        (["solve", base["inst_path"], "-m", "local_search", "--option", 'start=["ghost"]'], "start[0]"),
        (["evaluate", base["inst_path"], _edit("res", _set("order", None))(base, tmp_path)], "order"),
    ):
        p = subprocess.run(
            [sys.executable, "-m", "partialopt.cli", *argv], capture_output=True, text=True, cwd=ROOT, timeout=120
        )
        assert p.returncode == 2 and "Traceback" not in p.stderr and needle in p.stderr, p.stderr


# ---------------------------------------------------------------------- valid edge cases still work
def test_meta_null_and_result_minimal_fields_are_accepted(base, tmp_path, capsys):
    d = copy.deepcopy(base["inst"])
    d["meta"] = None
    (tmp_path / "i.json").write_text(json.dumps(d))
    res = {"schema": "partialopt/result@1", "order": base["res"]["order"], "bandwidth": None}
    (tmp_path / "r.json").write_text(json.dumps(res))
    assert main(["evaluate", str(tmp_path / "i.json"), str(tmp_path / "r.json")]) == 0
    assert po.Result.load(tmp_path / "r.json").objective == len(res["order"])


def test_valid_options_are_accepted(base, tmp_path, capsys):
    out = tmp_path / "r.json"
    order = base["res"]["order"]
    assert (
        main(
            [
                "solve",
                base["inst_path"],
                "-m",
                "local_search",
                "--time-limit",
                "5",
                "--seed",
                "3",
                "--option",
                f"start={json.dumps(order)}",
                "--option",
                "max_rounds=5",
                "--option",
                "max_evals=null",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    assert po.Result.load(out).objective >= len(order)
    assert (
        main(
            [
                "solve",
                base["inst_path"],
                "-m",
                "local_search",
                "--option",
                "start=edf",
                "--option",
                "time_limit=2",
                "-o",
                str(out),
            ]
        )
        == 0
    )  # an int for a float option


def test_result_round_trip_and_atomic_save(base, tmp_path):
    res = po.Result.load(base["res_path"])
    res.save(tmp_path / "copy.json")
    assert po.Result.load(tmp_path / "copy.json") == res
    assert os.listdir(tmp_path) == ["copy.json"]  # no temporary file left behind


def test_write_text_atomic_keeps_mode_and_follows_symlinks(tmp_path):
    target = tmp_path / "t.json"
    target.write_text("{}")
    os.chmod(target, 0o640)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_text_atomic(link, '{"a": 1}')
    assert link.is_symlink() and read_json(target) == {"a": 1}
    assert target.stat().st_mode & 0o777 == 0o640


# ---------------------------------------------------------------------- version, help, exit codes
def test_version_and_exit_codes_in_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == f"partialopt {po.__version__}"
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for line in EXIT_CODES_HELP.splitlines()[1:]:
        assert line in out
    for code in ("0", "1", "2", "3", "130"):
        assert f"\n  {code} " in EXIT_CODES_HELP


def test_keyboard_interrupt_exits_130(base, monkeypatch, capsys, tmp_path):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("partialopt.cli.solve", interrupt)
    monkeypatch.setattr("partialopt.cli.generate", interrupt)
    monkeypatch.setattr("partialopt.cli.load_result", interrupt)  # Ctrl-C while evaluate reads
    for argv in (
        ["solve", base["inst_path"], "-o", str(tmp_path / "r.json")],
        ["generate", "general"],
        ["evaluate", base["inst_path"], base["res_path"]],
    ):
        assert main(argv) == 130
        err = capsys.readouterr().err
        assert err == f"partialopt {argv[0]}: interrupted\n"
    assert not (tmp_path / "r.json").exists()


def test_interrupted_result_is_written_and_exits_130(base, monkeypatch, capsys, tmp_path):
    inst = po.Instance.from_dict(base["inst"])

    def interrupted(instance, method, **options):
        return po.Result.from_order(inst, base["res"]["order"], method, bound=inst.K, status="interrupted")

    monkeypatch.setattr("partialopt.cli.solve", interrupted)
    out = tmp_path / "r.json"
    assert main(["solve", base["inst_path"], "-m", "greedy", "-o", str(out)]) == 130
    assert "status=interrupted" in capsys.readouterr().out
    res = po.Result.load(out)
    assert res.status == "interrupted" and res.bound == inst.K
    assert main(["evaluate", base["inst_path"], str(out)]) == 0


def test_missing_optional_dependency_exits_3(base, monkeypatch, capsys):
    def missing(*args, **kwargs):
        raise ModuleNotFoundError("No module named 'ray'", name="ray")

    monkeypatch.setattr("partialopt.cli.solve", missing)
    assert main(["solve", base["inst_path"]]) == 3
    assert "ray" in capsys.readouterr().err


# ---------------------------------------------------------------------- concurrent writers
_WRITER = """
import sys
from partialopt.cli import main
for _ in range(int(sys.argv[3])):
    assert main(["solve", sys.argv[1], "-m", "greedy", "-o", sys.argv[2]]) == 0
"""


def _check_result_file(out: Path) -> None:
    res = po.Result.load(out)
    assert res.method == "greedy" and res.order


def test_concurrent_solves_writing_one_path(tmp_path, capsys):
    """8 processes write one result path at once (a loop of in-process solves, then plain CLI runs)
    while this process keeps reading it: every read is a complete, valid result."""
    inst = po.generate("general", users=40, seed=2)
    inst_path = tmp_path / "inst.json"
    inst.save(inst_path)
    out = tmp_path / "same.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    rounds = [
        [[sys.executable, "-c", _WRITER, str(inst_path), str(out), "5"] for _ in range(8)],
        [
            [sys.executable, "-m", "partialopt.cli", "solve", str(inst_path), "-m", "greedy", "-o", str(out)]
            for _ in range(8)
        ],
    ]
    reads = 0
    for commands in rounds:
        procs = [
            subprocess.Popen(c, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for c in commands
        ]
        deadline = time.monotonic() + 120
        while any(p.poll() is None for p in procs) and time.monotonic() < deadline:
            if out.exists():
                _check_result_file(out)
                reads += 1
            time.sleep(0.01)
        for p in procs:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, err.decode()
        _check_result_file(out)
        assert main(["evaluate", str(inst_path), str(out)]) == 0
        assert sorted(os.listdir(tmp_path)) == ["inst.json", "same.json"]  # no temporary files left
    assert reads > 0
