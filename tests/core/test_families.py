"""One contract for every problem family (issue 12): every method of every family runs through
``po.solve`` and through the CLI on small instances; every result round-trips through JSON and
is re-checked by its family's evaluator."""

from __future__ import annotations

import json

import pytest

import partialopt as po
from partialopt.cli import main
from partialopt.solve import REGISTRY, generate

# (preset, size) per family: small enough for the exact methods; the DP needs its class
INSTANCES = {
    "scheduling": [("general", 6), ("backbone-common", 6)],
    "pulling": [("pulling-zoo", 5)],
    "split": [("split-eua", 6)],
}
OPTIONS = {"milp": {"time_limit": 30}, "local_search": {"max_evals": 200}, "ilp": {"time_limit": 30}}

CASES = [
    (fam, preset, size, method)
    for fam, presets in INSTANCES.items()
    for preset, size in presets
    for method in REGISTRY.family(fam).methods
]


@pytest.mark.parametrize("family,preset,size,method", CASES)
def test_every_method_through_po_solve(family, preset, size, method):
    inst = generate(preset, users=size, seed=1)
    assert REGISTRY.family_of(inst).name == family
    spec = REGISTRY.family(family).method(method)
    reason = spec.why_not(inst)
    if reason:  # supports() says why, and solve refuses with that reason
        with pytest.raises(po.NotApplicable, match=f"^{method}: "):
            po.solve(inst, method)
        return
    res = po.solve(inst, method, **OPTIONS.get(method, {}))
    assert str(res.status) in po.STATUSES
    assert res.is_feasible(inst)
    back = type(res).from_dict(json.loads(res.to_json()))
    assert back == res and back.is_feasible(inst)
    assert back.summary() == res.summary()
    if res.bound is not None:  # the one gap function, in the family's sense
        assert res.relative_gap() == pytest.approx(res.gap, abs=1e-12)


@pytest.mark.parametrize("family,preset,size,method", CASES)
def test_every_method_through_the_cli(tmp_path, family, preset, size, method, capsys):
    inst_path, res_path = tmp_path / "inst.json", tmp_path / "res.json"
    assert main(["generate", preset, "--users", str(size), "--seed", "1", "-o", str(inst_path)]) == 0
    inst = po.load_instance(inst_path)
    assert REGISTRY.family_of(inst).name == family
    opts = [f"--option={k}={json.dumps(v)}" for k, v in OPTIONS.get(method, {}).items()]
    code = main(["solve", str(inst_path), "-m", method, *opts, "-o", str(res_path)])
    if REGISTRY.family(family).method(method).why_not(inst):
        assert code == 2 and f"{method}: " in capsys.readouterr().err
        return
    assert code == 0, capsys.readouterr().err
    assert main(["evaluate", str(inst_path), str(res_path)]) == 0
    res = REGISTRY.family(family).result_class().load(res_path)
    assert res.is_feasible(inst) and res.method


def test_families_are_told_apart_by_schema(tmp_path):
    for fam, presets in INSTANCES.items():
        preset, size = presets[0]
        inst = generate(preset, users=size, seed=0)
        assert REGISTRY.family_of_schema(inst.to_dict()["schema"]).name == fam
        path = tmp_path / f"{fam}.json"
        inst.save(path)
        assert po.load_instance(path) == inst
    with pytest.raises(po.OptionError, match="schema"):
        REGISTRY.family_of_schema("partialopt/nothing@1")


@pytest.mark.parametrize("sweep", ["pulling", "split"])
def test_bench_sweeps_the_pulling_families(tmp_path, sweep, capsys):
    """`partialopt bench` on the minimisation families: every row re-checked, the best bound is a
    lower bound (largest proven one), gaps in the minimisation sense."""
    import pandas as pd

    out = tmp_path / f"{sweep}.csv"
    argv = ["bench", sweep, "--small", "--seeds", "1", "--backend", "serial", "--no-progress", "-o", str(out)]
    assert main(argv) == 0, capsys.readouterr().err
    assert "total delay" in capsys.readouterr().out
    df = pd.read_csv(out)
    assert set(df["family"]) == {sweep} and set(df["sense"]) == {"min"}
    assert (df["status"].isin(["optimal", "feasible"])).all()
    assert (df["best_bound"] <= df["objective"] * (1 + 1e-9)).all()
    assert (df["best_found"] <= df["objective"] * (1 + 1e-12)).all()
    expected = (df["objective"] - df["best_bound"]) / df["objective"]
    assert df["gap_to_best"].to_numpy() == pytest.approx(expected.clip(lower=0).to_numpy(), abs=1e-12)


def test_sweep_parameters_are_for_scheduling_presets_only():
    from partialopt.experiments import Sweep

    with pytest.raises(ValueError, match="^grid: "):
        Sweep(("pulling-zoo",), methods=("ilp",), grid={"deadline_scale": (1.0,)}).validate()
    with pytest.raises(ValueError, match="^methods: unknown method 'greedy' of the pulling family"):
        Sweep(("pulling-zoo",), methods=("greedy",)).validate()


def test_a_result_is_judged_only_by_its_own_family():
    sched, pull = generate("general", users=5, seed=0), generate("pulling-zoo", users=4, seed=0)
    with pytest.raises(po.OptionError, match="^solution: a PullingResult is not a result of the scheduling"):
        po.evaluate(sched, po.solve(pull))
    with pytest.raises(po.OptionError, match="^solution: a Result is not a result of the pulling"):
        po.evaluate(pull, po.solve(sched))


def test_split_evaluator_names_unknown_ids():
    inst = generate("split-eua", users=4, seed=0)
    res = po.solve(inst)
    first = next(iter(res.choice))
    with pytest.raises(po.InstanceError, match=rf"^choice\[{first}\]\[0\]: unknown model id 'zz'"):
        po.evaluate(inst, {**res.choice, first: ("zz", "c0", "c0")})
    with pytest.raises(po.InstanceError, match="^choice: unknown request id 'q99'"):
        po.evaluate(inst, {**res.choice, "q99": ("dc", "dc", "dc")})


@pytest.mark.parametrize("field,value", [("objective", 99), ("bound", 0.5), ("status", "optimal")])
def test_evaluate_rejects_claims_the_evaluator_contradicts(tmp_path, capsys, field, value):
    """A result file whose objective, bound or status disagrees with the evaluator exits 1."""
    inst = generate("general", users=6, seed=1)
    inst_path, res_path = tmp_path / "inst.json", tmp_path / "res.json"
    inst.save(inst_path)
    res = po.solve(inst, "greedy")  # feasible, 2+ served, no bound
    assert res.objective >= 1 and res.bound is None
    data = res.to_dict()
    data[field] = value
    if field == "status":  # optimal without a bound meeting the objective
        data["bound"] = res.objective + 3
    res_path.write_text(json.dumps(data))
    assert main(["evaluate", str(inst_path), str(res_path)]) == 1
    assert "claim contradicted" in capsys.readouterr().out
    res.save(res_path)
    assert main(["evaluate", str(inst_path), str(res_path)]) == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["solve", "x.json", "--time-limit", "0"],
        ["generate", "nosuch"],
        ["generate", "general", "--users", "0"],
        ["evaluate", "only-one.json"],
    ],
)
def test_argument_errors_are_one_line(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith(f"partialopt {argv[0]}: error:"), err


def test_generate_errors_are_typed_and_list_every_family():
    with pytest.raises(po.OptionError, match="pulling-zoo"):
        po.generate("nope")
    with pytest.raises(po.OptionError, match="^users: "):
        po.generate("general", users=0)


@pytest.mark.parametrize(
    "method,options,needle",
    [
        ("milp", {"time_limit": 0}, "time_limit: must be a positive"),
        ("milp", {"threads": 0}, "threads: must be an integer >= 1"),
        ("milp", {"mip_gap": 1.5}, "mip_gap: must be in [0, 1]"),
        ("local_search", {"max_evals": -1}, "max_evals: must be an integer >= 0"),
        ("random", {"seed": 1.5}, "seed: expected int"),
        ("ilp", {"time_limit": float("inf")}, "time_limit: must be a positive finite"),
    ],
)
def test_the_registry_checks_option_types_and_ranges(method, options, needle):
    """po.solve checks what the CLI checks (types of numeric options, shared ranges)."""
    inst = generate("pulling-zoo", users=4, seed=0) if method == "ilp" else generate("general", users=5, seed=0)
    with pytest.raises(po.OptionError, match="^" + needle.replace("[", r"\[").replace("]", r"\]")):
        po.solve(inst, method, **options)


def test_numpy_integers_are_integers():
    import numpy as np

    inst = generate("general", users=5, seed=0)
    assert po.solve(inst, "random", seed=np.int64(3)).order == po.solve(inst, "random", seed=3).order
