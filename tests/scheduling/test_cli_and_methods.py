"""Command line (SPEC §9), the method registry, brute force and the baselines."""

import itertools
import json

import pytest

import partialopt as po
from partialopt.cli import main
from partialopt.evaluate import is_feasible_order
from partialopt.generators import random_instance


def test_brute_force_by_hand(hand):
    # All 4 users cannot be served: u3 (T = 0.4) must follow u0 directly from an empty GPU
    # (F = 0.30 + 0.05 + 0.05 = 0.40); then u1 needs m1 -> m2 (0.1) + 0.05 -> 0.55 <= 0.55 and
    # u2 m2 -> m3 (0) + 0.02 -> 0.57 <= 0.6: zero-upload the order (u0, u3, u1, u2) fits, but
    # its least bandwidth does not: start-to-start gaps (0.05, 0.05 + 0.1, 0.05) give
    # L4 = 0.58, L3 = min(0.50, 0.53) = 0.50, L2 = min(0.35, 0.50 - 0.15) = 0.35,
    # L1 = min(0.45, 0.35 - 0.05) = 0.30, so sum beta = 2e6/0.6 + 4e6/0.7 + 1e6/1 + 1e6/1.16
    # = 1.091e7 > B = 1e7. Three users fit (e.g. u0, u1, u2 needs 4.72e6 Hz).
    res = po.solve(hand, method="brute_force")
    assert res.objective == 3 and res.status == "optimal" and res.bound == 3
    order4 = ["u0", "u3", "u1", "u2"]
    ev = po.evaluate(hand, order4)
    assert ev.bandwidth_total == pytest.approx(2e6 / 0.6 + 4e6 / 0.7 + 1e6 / 1.0 + 1e6 / 1.16)
    assert not ev.bandwidth_ok
    # with B = 1.1e7 all four fit, and brute force finds it
    assert po.solve(hand.with_server(total_bandwidth=1.1e7), method="brute_force").objective == 4


@pytest.mark.parametrize("seed", range(12))
def test_brute_force_equals_plain_enumeration(seed):
    """The pruned DFS against the full enumeration of permutations with the full evaluator."""
    inst = random_instance(
        5,
        3,
        structure=["general", "backbone"][seed % 2],
        bandwidth="binding",
        overlap=["sequential", "pipelined"][seed % 3 == 0],
        tightness=1.2,
        seed=seed,
    )
    best = 0
    for r in range(1, inst.K + 1):
        for order in itertools.permutations(range(inst.K), r):
            if r > best and is_feasible_order(inst, list(order)):
                best = r
    res = po.solve(inst, method="brute_force")
    assert res.objective == best
    assert res.is_feasible(inst)


def test_brute_force_refuses_large_instances():
    with pytest.raises(ValueError, match=r"brute_force: the instance has K=9 users; .*K <= 8"):
        po.solve(random_instance(9, 3, seed=0), method="brute_force")


@pytest.mark.parametrize("method", ["edf", "random"])
@pytest.mark.parametrize("seed", range(10))
def test_baselines_are_feasible_and_not_above_optimum(method, seed):
    inst = random_instance(7, 3, bandwidth="binding", seed=seed)
    res = po.solve(inst, method=method)
    assert res.is_feasible(inst)
    assert res.objective <= po.solve(inst, method="brute_force").objective


def test_random_is_reproducible():
    inst = random_instance(30, 5, seed=4)
    a = po.solve(inst, method="random", seed=7)
    b = po.solve(inst, method="random", seed=7)
    assert a.order == b.order


def test_unknown_method_and_option():
    inst = random_instance(3, 2, seed=0)
    with pytest.raises(ValueError, match="method: unknown method 'foo'"):
        po.solve(inst, method="foo")
    with pytest.raises(TypeError, match="edf: unknown option 'seed'"):
        po.solve(inst, method="edf", seed=1)


def test_cli_generate_solve_evaluate(tmp_path, capsys):
    inst_path, res_path = tmp_path / "inst.json", tmp_path / "res.json"
    assert main(["generate", "general", "--users", "6", "--seed", "3", "-o", str(inst_path)]) == 0
    assert main(["solve", str(inst_path), "--method", "brute_force", "-o", str(res_path)]) == 0
    res = json.loads(res_path.read_text())
    assert res["schema"] == "partialopt/result@1" and res["status"] == "optimal"
    assert set(res) >= {
        "method",
        "status",
        "order",
        "bandwidth",
        "objective",
        "bound",
        "gap",
        "wall_time",
        "start",
        "finish",
    }
    assert main(["evaluate", str(inst_path), str(res_path)]) == 0
    # a result without bandwidth gets the closed-form allocation
    del res["bandwidth"]
    res_path.write_text(json.dumps(res))
    assert main(["evaluate", str(inst_path), str(res_path)]) == 0
    # a broken schedule: starve the first user of bandwidth -> exit status 1
    res["bandwidth"] = {u: (1.0 if i == 0 else 1e9) for i, u in enumerate(res["order"])}
    res_path.write_text(json.dumps(res))
    assert main(["evaluate", str(inst_path), str(res_path)]) == 1
    assert "deadline missed" in capsys.readouterr().out


def test_cli_bad_instance_names_field(tmp_path, capsys, hand_dict):
    d = hand_dict
    d["users"][0]["model"] = "ghost"
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(d))
    assert main(["solve", str(p), "--method", "edf"]) == 2
    assert "users[0].model: unknown model id 'ghost'" in capsys.readouterr().err


def test_demo_writes_table_and_plot(tmp_path, capsys):
    assert main(["demo", "--output-dir", str(tmp_path), "--users", "6"]) == 0
    out = capsys.readouterr().out
    assert "brute_force" in out and (tmp_path / "demo.png").stat().st_size > 1000
    import pandas as pd

    df = pd.read_csv(tmp_path / "demo.csv")
    exact = df.loc[df.method == "brute_force", "served"].item()
    assert df["served"].dropna().max() <= exact
