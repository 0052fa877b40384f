"""Sweeps, backends, analysis, plots and ``partialopt bench`` (issue 6)."""

import os

import numpy as np
import pandas as pd
import pytest

import partialopt as po
from partialopt.cli import main
from partialopt.experiments import Sweep, add_reference, make_instance, run_sweep, shared_fraction, summarize

CI = os.environ.get("CI") == "true"
SWEEP = Sweep(
    ("backbone-common", "general"),
    users=(5,),
    seeds=(0, 1),
    methods=("greedy", "dp", "brute_force", "local_search", "random"),
    grid={"total_bandwidth": (2e5, 1e9)},
    options={"local_search": {"max_evals": 400}},
    name="t",
)
VOLATILE = ["time_s"]


@pytest.fixture(scope="module")
def serial():
    return run_sweep(SWEEP, backend="serial", progress=False)


def test_sweep_table_shape_and_cross_checks(serial):
    df = serial
    assert len(df) == 2 * 1 * 2 * 2 * 5
    assert list(df.columns[:6]) == ["sweep", "preset", "users", "seed", "total_bandwidth", "method"]
    assert not (df["status"] == "error").any(), df.loc[df["status"] == "error", "note"].tolist()
    key = ["preset", "seed", "total_bandwidth"]
    bf = df[df["method"] == "brute_force"].set_index(key)["objective"]
    for _, row in df[df["status"].isin(["optimal", "feasible", "time_limit"])].iterrows():
        opt = bf.loc[tuple(row[k] for k in key)]
        assert row["objective"] <= opt
        if row["status"] == "optimal":
            assert row["objective"] == opt
        if pd.notna(row["bound"]):
            assert row["bound"] >= opt - 1e-9
    # the DP refuses general sharing and says why; it is exact on its class here
    dp = df[df["method"] == "dp"]
    assert set(dp.loc[dp["preset"] == "general", "status"]) == {"refused"}
    assert dp.loc[dp["preset"] == "general", "note"].str.startswith("dp:").all()
    assert (dp.loc[dp["preset"] == "backbone-common", "status"] != "refused").all()
    # the two budgets give different instances: a tight one serves fewer users somewhere
    g = df[df["method"] == "brute_force"].groupby("total_bandwidth")["objective"].sum()
    assert g.loc[2e5] < g.loc[1e9]


def test_process_backend_gives_identical_results(serial):
    par = run_sweep(SWEEP, backend="process", jobs=2, progress=False)
    pd.testing.assert_frame_equal(serial.drop(columns=VOLATILE), par.drop(columns=VOLATILE))


def test_ray_backend_gives_identical_results(serial):
    if not CI:
        pytest.importorskip("ray")
    small = Sweep(SWEEP.presets, users=(5,), seeds=(0,), methods=("greedy", "brute_force"), grid=SWEEP.grid, name="t")
    ref = run_sweep(small, backend="serial", progress=False)
    out = run_sweep(small, backend="ray", jobs=2, progress=False)
    pd.testing.assert_frame_equal(ref.drop(columns=VOLATILE), out.drop(columns=VOLATILE))


def test_add_reference_by_hand():
    df = pd.DataFrame(
        {
            "sweep": "s",
            "preset": "p",
            "users": 5,
            "seed": [0, 0, 0, 1, 1],
            "method": ["milp", "greedy", "edf", "milp", "greedy"],
            "status": ["optimal", "feasible", "feasible", "time_limit", "feasible"],
            "objective": [4, 3, 2, 0, 0],
            "bound": [4.0, None, None, 5.0, None],
        }
    )
    out = add_reference(df)
    assert out["gap_to_best"].tolist() == pytest.approx([0.0, 0.25, 0.5, 1.0, 1.0])
    assert out["proven"].tolist() == [True, True, True, False, False]
    s = summarize(out, ["method"], "objective")
    assert s.set_index("method").loc["greedy", "mean"] == 1.5
    assert s.set_index("method").loc["greedy", "sem"] == pytest.approx(np.std([3, 0], ddof=1) / np.sqrt(2))


def test_make_instance_knobs():
    base = make_instance("vision-frozen-bottom", 12, 3)
    half = make_instance(
        "vision-frozen-bottom", 12, 3, {"deadline_scale": 0.5, "total_bandwidth": 5e6, "load_bandwidth": 1e10}
    )
    e = {m.id: m.inference_time for m in base.models}
    for u, v in zip(base.users, half.users):
        assert v.deadline == pytest.approx(max(0.5 * u.deadline, 1.0001 * e[u.model]))
    assert half.server.total_bandwidth == 5e6 and half.server.load_bandwidth == 1e10
    fr = [shared_fraction(make_instance("vision-frozen-bottom", 12, 3, {"frozen": f})) for f in (0.0, 0.5, 1.0)]
    assert fr[0] < fr[1] < fr[2] < 1.0
    with pytest.raises(ValueError, match="^warp:"):
        make_instance("general", 5, 0, {"warp": 1})
    with pytest.raises(ValueError, match="^deadline_scale:"):
        make_instance("general", 5, 0, {"deadline_scale": -1})
    with pytest.raises(ValueError, match="^frozen:"):
        make_instance("vision-mixed", 5, 0, {"frozen": 0.5})


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"presets": ()}, "presets"),
        ({"presets": ("nope",)}, "presets"),
        ({"users": (0,)}, "users"),
        ({"seeds": ()}, "seeds"),
        ({"methods": ("magic",)}, "methods"),
        ({"grid": {"warp": (1,)}}, "grid"),
        ({"grid": {"frozen": ()}}, "grid"),
        ({"options": {"milp": {}}}, "options"),
        ({"options": {"greedy": {"seed": 1}}}, "options"),
    ],
)
def test_sweep_validation_names_the_field(kwargs, field):
    sw = Sweep(**{"presets": ("general",), **kwargs})
    with pytest.raises(ValueError, match=f"^{field}:"):
        run_sweep(sw, backend="serial", progress=False)


def test_bad_point_is_an_error_row_not_a_crash():
    df = run_sweep(
        Sweep(("vision-mixed",), users=(4,), seeds=(0,), grid={"frozen": (0.5,)}), backend="serial", progress=False
    )
    assert (df["status"] == "error").all() and df["note"].str.contains("frozen").all()


def test_plots_have_units_and_error_bars(serial):
    import matplotlib

    matplotlib.use("Agg")
    from partialopt.plotting import plot_gap_distribution, plot_lines

    ax = plot_lines(serial, "total_bandwidth", "objective")
    assert "MHz" in ax.get_xlabel() and "over seeds" in ax.get_ylabel()
    assert ax.get_legend() is not None and len(ax.containers) == serial["method"].nunique()
    ax2 = plot_gap_distribution(add_reference(serial[serial["status"] != "refused"]))
    assert "%" in ax2.get_ylabel()


def test_plot_schedule_draws_every_served_user():
    import matplotlib

    matplotlib.use("Agg")
    from partialopt.plotting import plot_schedule

    inst = po.generate("vision-frozen-bottom", 10, seed=1)
    res = po.solve(inst, method="greedy")
    ax = plot_schedule(inst, res)
    solid = [p for p in ax.patches if p.get_facecolor()[:3] != (1.0, 1.0, 1.0)]
    assert len(solid) == res.objective  # one inference bar per served user
    ev = po.evaluate(inst, res.order)
    assert max(p.get_x() + p.get_width() for p in solid) == pytest.approx(ev.last_finish)
    assert ax.get_xlabel() == "time (s)"


def test_cli_bench_small(tmp_path, capsys):
    out = tmp_path / "shared.csv"
    assert (
        main(["bench", "shared", "--small", "--seeds", "2", "--backend", "serial", "--no-progress", "-o", str(out)])
        == 0
    )
    text = capsys.readouterr().out
    assert "mean served users" in text and out.exists() and out.with_suffix(".png").exists()
    df = pd.read_csv(out)
    assert set(df["frozen"]) == {0.0, 0.5, 1.0} and set(df["method"]) >= {"greedy", "no_sharing"}


def test_cli_bench_rejects_unknown_sweep():
    with pytest.raises(SystemExit):
        main(["bench", "nope"])
