"""The ``split`` variant as its own package (issue 12): JSON round trip, field-named errors, the
standalone formulation ``formulations.split``, and the old import path kept as an alias."""

import json

import pyomo.environ as pyo
import pytest

from partialopt.core.errors import InstanceError
from partialopt.split import (
    DC,
    SplitCloudlet,
    SplitInstance,
    SplitModel,
    SplitRequest,
    eua_instance,
    evaluate_split,
    exhaustive_split,
    split_ilp,
)
from partialopt.split.instance import SCHEMA


def hand() -> SplitInstance:
    cl = (SplitCloudlet("c0", 1.0, stored=("w",)), SplitCloudlet("c1", 1.0, 5.0, 0.01, 2e-4, stored=("v",)))
    models = (SplitModel("v", "t", 3e9, 0.9, 0.2), SplitModel("w", "t", 6e9, 0.5, 0.1))
    reqs = (
        SplitRequest("q0", "c0", "t", 0.8, 10.0, 1e6, 1e7, 100.0),
        SplitRequest("q1", "c1", "t", 0.0, 0.1, 1e6, 1e7, 100.0),
    )
    return SplitInstance(
        cl, (("c0", "c1", 10.0), ("c1", DC, 40.0)), models, reqs, dc_price=1.0, edge_price=0.2, meta={"note": "hand"}
    )


INSTANCES = [hand, lambda: eua_instance(3, 6, seed=0), lambda: eua_instance(8, 30, seed=1)]


@pytest.mark.parametrize("make", INSTANCES)
def test_json_round_trip_is_exact(make, tmp_path):
    inst = make()
    d = inst.to_dict()
    assert d["schema"] == SCHEMA == "partialopt/split@1"
    back = SplitInstance.from_dict(d)
    assert back == inst and back.to_json() == inst.to_json()
    again = SplitInstance.from_json(inst.to_json())
    assert again == inst and again.to_json() == inst.to_json()
    assert json.loads(json.dumps(d)) == d
    path = tmp_path / "inst.json"
    inst.save(path)
    loaded = SplitInstance.load(path)
    assert loaded == inst and loaded.to_json() == inst.to_json()
    assert (loaded.distance == inst.distance).all()
    assert [loaded.options(q) for q in range(len(loaded.requests))] == [
        inst.options(q) for q in range(len(inst.requests))
    ]


def _broken(edit):
    d = json.loads(hand().to_json())
    edit(d)
    return d


@pytest.mark.parametrize(
    "edit, field",
    [
        (lambda d: d.update(extra=1), "extra: unknown field"),
        (lambda d: d.pop("edges"), "edges: missing field"),
        (lambda d: d.update(schema="partialopt/pulling@1"), "schema: unknown schema version"),
        (lambda d: d["cloudlets"][0].update(storage=1.0), "cloudlets[0].storage: unknown field"),
        (lambda d: d["cloudlets"][1].pop("compute"), "cloudlets[1].compute: missing field"),
        (lambda d: d["cloudlets"][0].update(stored="w"), "cloudlets[0].stored: expected a list"),
        (lambda d: d["cloudlets"][0].update(stored=[1]), "cloudlets[0].stored[0]: unknown model id"),
        (lambda d: d["models"][1].pop("size"), "models[1].size: missing field"),
        (lambda d: d["models"][0].update(size="big"), "models[0].size: expected a number"),
        (lambda d: d["requests"][1].pop("penalty"), "requests[1].penalty: missing field"),
        (lambda d: d["requests"][0].update(home="c9"), "requests[0].home: unknown cloudlet id"),
        (lambda d: d["requests"][0].update(task=3), "requests[0].task: expected a non-empty string"),
        (lambda d: d["requests"][0].update(color="red"), "requests[0].color: unknown field"),
        (lambda d: d["edges"][1].pop("weight"), "edges[1].weight: missing field"),
        (lambda d: d["edges"][0].update(c="x"), "edges[0].c: unknown field"),
        (lambda d: d["edges"][0].update(b="c7"), "edges[0].b: unknown cloudlet id"),
        (lambda d: d["edges"][0].update(weight=-1), "edges[0].weight: must be >= 0"),
        (lambda d: d.update(edges=[["c0", "c1", 1.0]]), "edges[0]: expected an object"),
        (lambda d: d.update(edges={}), "edges: expected a list"),
        (lambda d: d.update(meta=[1]), "meta: expected a JSON object"),
        (lambda d: d.update(dc_price=None), "dc_price: expected a number"),
    ],
)
def test_bad_json_names_the_field(edit, field):
    with pytest.raises(InstanceError) as err:
        SplitInstance.from_dict(_broken(edit))
    assert str(err.value).startswith(field), str(err.value)


def test_load_names_the_file_and_the_field(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_broken(lambda d: d["requests"][0].pop("budget"))))
    with pytest.raises(InstanceError, match=r"bad\.json: requests\[0\]\.budget: missing field"):
        SplitInstance.load(path)
    with pytest.raises(InstanceError, match="expected a JSON object"):
        SplitInstance.from_json("[1, 2]")


def test_formulation_is_standalone_and_extensible():
    import formulations
    from formulations import split as form

    assert formulations.split is form
    inst = hand()
    m = form.build(inst)
    for name in ("Q", "C", "O", "delay", "e", "w", "obj", "choose_one", "compute"):
        assert hasattr(m, name), name
    assert len(m.options) == len(inst.requests) and m.options[0][-1][0] == DC
    # a researcher's own constraint: forbid the data-center fallback for q0
    q0_dc = len(m.options[0]) - 1
    m.no_fallback = pyo.Constraint(expr=m.w[0, q0_dc] == 0)
    pyo.SolverFactory("appsi_highs").solve(m)
    choice = form.extract(m)
    assert set(choice) == {"q0", "q1"} and choice["q0"][0] != DC
    total, viol = evaluate_split(inst, choice)
    assert not viol and total == pytest.approx(pyo.value(m.obj), rel=1e-9)
    relaxed = form.build(inst, relax=True, sharing=False)
    assert all(relaxed.w[i].domain is pyo.UnitInterval for i in relaxed.O)


# seeds whose enumeration stays below 60,000 combinations (seeds 3 and 6 need millions)
@pytest.mark.parametrize("seed", [0, 1, 4, 5, 7, 8, 9, 10])
def test_split_ilp_equals_exhaustive_search(seed, eua):
    inst = eua(n_cloudlets=3, n_requests=6, seed=seed)
    best = split_ilp(inst)
    assert best.status == "optimal"
    assert best.objective == pytest.approx(exhaustive_split(inst), rel=1e-9)
    ev = evaluate_split(inst, best.choice)
    assert ev.feasible and ev.total == best.objective


def test_old_import_path_is_an_alias():
    import partialopt.pulling.split as old
    import partialopt.split as new

    for name in new.__all__:
        assert getattr(old, name) is getattr(new, name), name
    from partialopt.pulling.split import DC as dc  # noqa: F401
    from partialopt.pulling.split import SplitInstance as SI

    assert dc == DC and SI is SplitInstance


def test_formulations_split_imports_no_methods():
    """formulations.split may import only pyomo, partialopt.core and partialopt.split.instance."""
    import ast
    import inspect

    from formulations import split as form

    tree = ast.parse(inspect.getsource(form))
    mods = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert mods <= {"__future__", "pyomo.environ", "partialopt.split.instance"}, mods


def test_data_layer_is_light():
    """``partialopt.split.instance`` (what ``formulations.split`` imports) loads no methods and no
    solver stack; the package's names load on first use."""
    import subprocess
    import sys

    code = (
        "import sys, partialopt.split.instance\n"
        "print([m for m in ('pyomo', 'scipy', 'partialopt.split.methods', 'partialopt.pulling.methods',"
        " 'partialopt.split.online', 'partialopt.split.presets') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
