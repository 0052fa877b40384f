"""Closed-form bandwidth (SPEC §3, §5) against independent numerics: a root finder and cvxpy."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

import partialopt as po
from partialopt import bandwidth as bw
from partialopt.evaluate import forward, is_feasible_order, order_gaps
from partialopt.generators import random_instance
from partialopt.verify import cvxpy_allocation, cvxpy_min_bandwidth


def shannon_root(t, D, a):
    """The least b with b log2(1 + a/b) = D / t, by bisection on the increasing rate."""
    need = D / t
    f = lambda b: b * np.log2(1 + a / b) - need
    return brentq(f, 1e-12 * a, 1e6 * a, xtol=1e-14, rtol=1e-15, maxiter=500)


@settings(max_examples=300, deadline=None)
@given(
    t=st.floats(1e-3, 10.0),
    D=st.floats(1e3, 1e8),
    a=st.floats(1e5, 1e12),
)
def test_shannon_beta_matches_root_finder(t, D, a):
    c = D * np.log(2) / (t * a)
    b = float(bw.beta(t, D, a, "shannon"))
    if c >= 1:
        assert b == np.inf
        return
    if c > 1 - 1e-9:  # within 1e-9 of the branch point the rate curve is too flat for brentq's range
        return
    ref = shannon_root(t, D, a)
    assert b == pytest.approx(ref, rel=1e-8)
    # the scalar hot path: the same formulas through math instead of numpy; the two can take the
    # Newton polish differently in the last bits (5e-14 relative seen), far inside every tolerance
    assert bw.beta_one(t, D, a, "shannon") == pytest.approx(b, rel=1e-12)
    # and the rate it gives uploads D in exactly t
    assert float(bw.upload_time(b, D, a, "shannon")) == pytest.approx(t, rel=1e-9)


@pytest.mark.parametrize("kind", ["shannon", "fixed_snr"])
def test_beta_one_equals_vectorized(kind):
    rng = np.random.default_rng(5)
    t = np.concatenate([rng.uniform(1e-4, 2.0, 500), [0.0, -1.0, 1e-9]])
    D = np.concatenate([rng.uniform(0, 1e7, 500), [1e6, 1e6, 1e6]])
    D[:20] = 0.0
    q = rng.uniform(1e5, 1e9, len(t))
    vec = bw.beta(t, D, q, kind)
    one = np.array([bw.beta_one(*x, kind) for x in zip(t, D, q)])
    assert np.array_equal(np.isinf(vec), np.isinf(one))
    assert np.allclose(vec[np.isfinite(vec)], one[np.isfinite(one)], rtol=1e-14, atol=0)


def test_beta_by_hand():
    # fixed SNR: 1e6 bits in 0.5 s at eta = 2 bit/s/Hz needs 1e6 Hz
    assert float(bw.beta(0.5, 1e6, 2.0, "fixed_snr")) == pytest.approx(1e6)
    # Shannon with a = 1e7 Hz: r(b) = b log2(1 + 1e7 / b); at b = 1e7, r = 1e7 bit/s exactly,
    # so uploading 1e6 bits in 0.1 s needs exactly b = 1e7 Hz
    assert float(bw.beta(0.1, 1e6, 1e7, "shannon")) == pytest.approx(1e7, rel=1e-12)
    # t_min = D ln2 / a: no bandwidth finishes earlier
    assert float(bw.t_min(1e6, 1e7, "shannon")) == pytest.approx(1e6 * np.log(2) / 1e7)
    assert bw.beta(0.069, 1e6, 1e7, "shannon") == np.inf
    assert bw.beta(0.0, 1e6, 2.0, "fixed_snr") == np.inf
    assert bw.beta(0.3, 0.0, 2.0, "fixed_snr") == 0.0


@pytest.mark.parametrize("kind,q", [("shannon", 3e8), ("fixed_snr", 3.0)])
def test_beta_convex_decreasing_and_slope(kind, q):
    t = np.linspace(0.01, 2.0, 400)
    D = 1e6
    b = bw.beta(t, D, q, kind)
    assert np.all(np.diff(b) < 0)
    assert np.all(np.diff(b, 2) > -1e-6 * b[1:-1])
    # analytic slope against a central difference
    h = 1e-6
    fd = (bw.beta(t + h, D, q, kind) - bw.beta(t - h, D, q, kind)) / (2 * h)
    np.testing.assert_allclose(bw.beta_slope(t, D, q, kind), fd, rtol=1e-5)


def test_latest_starts_by_hand():
    # T = (1, 1, 0.7), e = (0.1, 0.1, 0.1), gap = (0.3, 0.2):
    # L3 = 0.6; L2 = min(0.9, 0.6 - 0.2) = 0.4; L1 = min(0.9, 0.4 - 0.3) = 0.1
    L = bw.latest_starts(np.array([1, 1, 0.7]), np.array([0.1, 0.1, 0.1]), np.array([0.3, 0.2]))
    np.testing.assert_allclose(L, [0.1, 0.4, 0.6])


def _cases(n):
    for seed in range(n):
        rate = "shannon" if seed % 2 == 0 else "fixed_snr"
        inst = random_instance(
            6,
            3,
            structure=["general", "backbone"][seed % 3 == 0],
            rate=rate,
            overlap=["sequential", "pipelined"][seed % 4 == 3],
            bandwidth="binding",
            initial_model=seed % 5 == 1,
            tightness=1.5,
            seed=seed,
        )
        order = list(np.random.default_rng(seed).permutation(inst.K)[: 2 + seed % 4])
        yield seed, inst, [int(k) for k in order]


@pytest.mark.parametrize("seed,inst,order", list(_cases(30)), ids=lambda x: str(x) if isinstance(x, int) else "")
def test_closed_form_allocation_matches_cvxpy(seed, inst, order):
    arr = inst.arrays
    users = np.array(order)
    _, gap = order_gaps(arr, users)
    L = bw.latest_starts(arr.T[users], arr.e[users], gap)
    if np.any(~np.isfinite(arr.beta(users, L))):
        pytest.skip("some latest start is before the least upload time: no allocation exists")
    closed = np.array(list(po.closed_form_allocation(inst, order).values()))
    np.testing.assert_allclose(cvxpy_allocation(inst, order), closed, rtol=1e-6)


@pytest.mark.parametrize("seed", range(60))
def test_decoupling_theorem(seed):
    """exists b with sum b <= B meeting every deadline  <=>  (i) and (ii); and the least such
    total is sum_n beta(L_n) whenever (i) holds."""
    rng = np.random.default_rng(1000 + seed)
    inst = random_instance(
        6,
        3,
        structure="general",
        rate=["shannon", "fixed_snr"][seed % 2],
        overlap=["sequential", "pipelined"][seed % 3 == 2],
        bandwidth="binding",
        tightness=float(rng.uniform(0.8, 3.0)),
        seed=1000 + seed,
    )
    users = rng.permutation(inst.K)[: int(rng.integers(2, 6))]
    order = [int(k) for k in users]
    # put the budget near this order's need so both outcomes of (ii) occur
    need0 = po.evaluate(inst, order).bandwidth_total
    inst = inst.with_server(total_bandwidth=need0 * float(rng.uniform(0.7, 1.3)))
    arr = inst.arrays
    best = cvxpy_min_bandwidth(inst, order)  # independent: no latest starts, no Lambert W
    _, F = forward(arr, users)
    cond_i = bool(np.all(F <= arr.T[users] + 1e-9))
    _, gap = order_gaps(arr, users)
    need = float(arr.beta(users, bw.latest_starts(arr.T[users], arr.e[users], gap)).sum())
    if cond_i and np.isfinite(need):
        assert best == pytest.approx(need, rel=1e-6)
    elif not cond_i:
        assert best == np.inf
    B = inst.server.total_bandwidth
    if np.isfinite(best) and abs(best - B) < 1e-5 * B:
        pytest.skip("the least bandwidth is within solver tolerance of the budget")
    assert (best <= B) == is_feasible_order(inst, order)
    assert (best <= B) == po.evaluate(inst, order).feasible
