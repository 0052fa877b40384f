"""The evaluator (SPEC §4-5) on instances worked out by hand, and its incremental form."""

import numpy as np
import pytest

import partialopt as po
from partialopt.evaluate import Timeline, forward, is_feasible_order, user_indices
from partialopt.generators import random_instance
from partialopt.loading import switch_costs, switch_costs_reference


def test_switch_costs_by_hand(hand):
    tL, full = switch_costs(hand)
    np.testing.assert_allclose(full, [0.3, 0.2, 0.1])
    expected = [[0, 0.1, 0.1], [0.2, 0, 0.0], [0.3, 0.1, 0]]
    np.testing.assert_allclose(tL, expected, atol=1e-15)


def test_switch_costs_with_tensor_overhead(make_hand):
    inst = make_hand(alpha=1e-3)  # A: 0.1 + 10 ms, Bk: 0.2 + 20 ms, C: 0.1 + 5 ms
    tL, full = switch_costs(inst)
    np.testing.assert_allclose(full, [0.33, 0.215, 0.105])
    np.testing.assert_allclose(tL[0, 1], 0.105)  # m1 -> m2 loads C only
    np.testing.assert_allclose(tL[1, 0], 0.22)  # m2 -> m1 loads Bk only


@pytest.mark.parametrize("seed", range(5))
def test_switch_costs_vectorized_equals_set_definition(seed):
    inst = random_instance(5, 12, structure="general", seed=seed)
    np.testing.assert_allclose(switch_costs(inst)[0], switch_costs_reference(inst), rtol=1e-12, atol=1e-15)


def test_switch_cost_triangle_inequality():
    inst = random_instance(5, 15, structure="general", seed=3)
    tL = switch_costs(inst)[0]
    # tL(a -> c) <= tL(a -> b) + tL(b -> c) for all a, b, c
    assert np.all(tL[:, None, :] <= tL[:, :, None] + tL[None, :, :] + 1e-12)


def test_sequential_timeline_by_hand(hand):
    # zero-upload timeline of (u0, u1, u2):
    # E1 = 0 + 0.3, F1 = 0.35; E2 = 0.35 + 0.1 = 0.45, F2 = 0.50; E3 = 0.50 + 0 = 0.50, F3 = 0.52
    # latest starts: L3 = 0.6 - 0.02 = 0.58; L2 = min(0.55 - 0.05, 0.58 - 0 - 0.05) = 0.50;
    # L1 = min(0.5 - 0.05, 0.50 - 0.1 - 0.05) = 0.35
    # closed form (eta = 2): b0 = 2e6 / (0.35 * 2), b1 = 1e6 / (0.50 * 2), b2 = 1e6 / (0.58 * 2)
    ev = po.evaluate(hand, ["u0", "u1", "u2"])
    b = [2e6 / 0.7, 1e6 / 1.0, 1e6 / 1.16]
    np.testing.assert_allclose([ev.bandwidth[u] for u in ("u0", "u1", "u2")], b, rtol=1e-12)
    # with b* every upload ends exactly at L_n, so S = max(E, L) = (0.35, 0.50, 0.58)
    np.testing.assert_allclose([ev.start[u] for u in ("u0", "u1", "u2")], [0.35, 0.50, 0.58], rtol=1e-12)
    np.testing.assert_allclose([ev.finish[u] for u in ("u0", "u1", "u2")], [0.40, 0.55, 0.60], rtol=1e-12)
    assert ev.feasible and ev.objective == 3
    assert ev.bandwidth_total == pytest.approx(sum(b))


def test_sequential_given_bandwidth_breaks_deadline(hand):
    # u0 with 1 MHz uploads 2e6 bits at 2e6 bit/s: tU = 1.0 s, so F = 1.05 > 0.5; then u1 starts
    # at max(1.05 + 0.1, tU1 = 1e6 / (2 * 4e6) = 0.125) = 1.15 and finishes 1.2 > 0.55
    ev = po.evaluate(hand, ["u0", "u1"], {"u0": 1e6, "u1": 4e6})
    assert ev.finish["u0"] == pytest.approx(1.05)
    assert ev.finish["u1"] == pytest.approx(1.20)
    assert [v["user"] for v in ev.violations] == ["u0", "u1"]
    assert not ev.feasible and ev.objective == 0


def test_pipelined_timeline_by_hand(make_hand):
    inst = make_hand(overlap="pipelined")
    # E1 = 0.3, S1 = 0.3, F1 = 0.35; E2 = E1 + 0.1 = 0.4, S2 = max(0.4, 0.35) = 0.4, F2 = 0.45
    # E3 = 0.4 + 0 = 0.4, S3 = max(0.4, 0.45) = 0.45, F3 = 0.47
    S, F = forward(inst.arrays, user_indices(inst, ["u0", "u1", "u2"]))
    np.testing.assert_allclose(S, [0.3, 0.4, 0.45])
    np.testing.assert_allclose(F, [0.35, 0.45, 0.47])
    # pipelined latest starts: L3 = 0.58, L2 = min(0.5, 0.58 - 0.05) = 0.5, L1 = min(0.45, 0.5 - 0.05)
    ev = po.evaluate(inst, ["u0", "u1", "u2"])
    assert ev.bandwidth["u0"] == pytest.approx(2e6 / (0.45 * 2))
    assert ev.bandwidth["u2"] == pytest.approx(1e6 / (0.58 * 2))
    assert ev.feasible


def test_initial_model_is_resident(make_hand):
    inst = make_hand(initial="m2")
    # m2 resident: serving u0 (m1) loads only Bk (0.2 s): F = 0.25
    ev = po.evaluate(inst, ["u0"], {"u0": 1e9})
    assert ev.finish["u0"] == pytest.approx(0.25)  # upload 2e6 / 2e9 = 1 ms ends before E = 0.2
    ev = po.evaluate(inst, ["u1"], {"u1": 1e9})
    # no load at all: the upload (1e6 / 2e9 = 0.5 ms) sets the start, F = 0.0005 + 0.05
    assert ev.finish["u1"] == pytest.approx(0.0505)


def test_bandwidth_budget(hand):
    order = ["u0", "u1", "u2"]
    need = 2e6 / 0.7 + 1e6 + 1e6 / 1.16  # 4.719e6 Hz
    assert po.evaluate(hand.with_server(total_bandwidth=need * 1.001), order).feasible
    ev = po.evaluate(hand.with_server(total_bandwidth=need * 0.999), order)
    assert not ev.bandwidth_ok and not ev.feasible
    assert not is_feasible_order(hand.with_server(total_bandwidth=need * 0.999), order)


def test_deadline_conflict(hand):
    # u3 (T = 0.4) after u0: F = 0.35 + 0 + 0.05 = 0.40 meets it; after u1 it cannot
    S = po.evaluate(hand, ["u0", "u3"])
    # zero-upload F2 = 0.40 = T (m1 -> m1 loads nothing); but the upload of u3 (4e6 bits) must end by L = 0.35:
    # b = 4e6 / (0.35 * 2) = 5.71e6 and u0 by L1 = min(0.45, 0.35 - 0.05) = 0.30: 3.33e6
    assert S.bandwidth["u3"] == pytest.approx(4e6 / 0.7)
    assert S.bandwidth["u0"] == pytest.approx(2e6 / 0.6)
    assert S.feasible
    assert not po.evaluate(hand, ["u1", "u3"]).feasible


def test_order_errors(hand):
    with pytest.raises(ValueError, match="unknown user id 'nobody'"):
        po.evaluate(hand, ["u0", "nobody"])
    with pytest.raises(ValueError, match="more than once"):
        po.evaluate(hand, ["u0", "u0"])
    with pytest.raises(ValueError, match="bandwidth"):
        po.evaluate(hand, ["u0"], {"u0": float("nan")})


@pytest.mark.parametrize("seed", range(40))
def test_timeline_incremental_equals_full_check(seed):
    rng = np.random.default_rng(seed)
    inst = random_instance(
        7,
        4,
        structure=["general", "backbone"][seed % 2],
        rate=["shannon", "fixed_snr"][seed % 3 == 0],
        overlap=["sequential", "pipelined"][seed % 4 == 1],
        bandwidth=["loose", "binding"][seed % 2 == 0],
        initial_model=seed % 5 == 0,
        seed=seed,
    )
    tl = Timeline(inst.arrays)
    order = []
    for k in rng.permutation(inst.K):
        full = is_feasible_order(inst, order + [int(k)])
        assert tl.can_push(int(k)) == full
        if full:
            tl.push(int(k))
            order.append(int(k))
            ev = po.evaluate(inst, order)
            assert ev.feasible
            assert tl.total == pytest.approx(ev.bandwidth_total, rel=1e-9)
            assert tl.gpu_finish <= ev.last_finish + 1e-12
    # undo restores the state exactly
    while tl.n:
        tl.pop()
        order.pop()
        if order:
            assert tl.total == pytest.approx(po.evaluate(inst, order).bandwidth_total, rel=1e-9)
