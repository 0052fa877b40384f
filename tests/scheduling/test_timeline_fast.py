"""The incremental check (:class:`partialopt.evaluate.Timeline`) with its bounds and lazy values
agrees with the full check after every operation, and its cost in Lambert W evaluations grows
linearly with the number of appends when the budget does not bind (it was quadratic with a
common deadline: every append moves every latest start)."""

import copy
import dataclasses
import importlib

import numpy as np
import pytest

import partialopt as po
import partialopt.arrays as arrays_module
from partialopt.bandwidth import latest_starts
from partialopt.evaluate import Timeline, _closed_form, gpu_finish, is_feasible_order, order_gaps
from partialopt.generators import random_instance

evaluate_module = importlib.import_module("partialopt.evaluate")  # the package exports a function of that name

PRESETS = ("general", "backbone-common", "backbone-deadlines", "vision-mixed", "vision-frozen-bottom", "llm-serving")


def variant(inst, rate: str, overlap: str, budget: str, rng: np.random.Generator, initial: bool = False):
    """``inst`` with the given rate and overlap variants and a budget that never binds
    (``loose``), or binds (``tight``: a fraction of the users' own needs, or ``edge``: about the
    least total bandwidth of a random feasible order, so that checks sit near the budget)."""
    if rate == "fixed_snr":
        N0 = inst.server.noise_psd
        users = tuple(dataclasses.replace(u, snr=u.power * u.gain / (N0 * 1e6)) for u in inst.users)
        inst = inst.replace(users=users)
    init = inst.models[int(rng.integers(len(inst.models)))].id if initial else None
    inst = inst.with_server(rate=rate, overlap=overlap, initial_model=init)
    arr = inst.arrays
    need = arr.beta(np.arange(arr.K), arr.T - arr.e)
    finite = need[np.isfinite(need)]
    if budget == "loose":
        B = 1e6 * (float(finite.sum()) + 1.0)
    elif budget == "tight":
        B = float(rng.uniform(0.02, 0.4)) * float(finite.sum()) or 1e6
    else:  # edge: the least total bandwidth of a feasible order built without budget
        free = Timeline(inst.with_server(total_bandwidth=1e30).arrays, undo=False)
        free.push_all(rng.permutation(arr.K))
        B = float(free.total) * float(rng.uniform(0.7, 1.0)) or 1e6
    return inst.with_server(total_bandwidth=B)


def fresh_total(inst, order: list[int]) -> float:
    """``sum_n beta(L_n)`` of the closed form, computed from scratch (feasible orders)."""
    return float(_closed_form(inst.arrays, np.array(order, dtype=np.int64)).sum()) if order else 0.0


def least_total(inst, order: list[int]) -> float:
    """``sum_n beta(L_n)`` of any order (``inf`` where a latest start is below the least upload time)."""
    arr = inst.arrays
    users = np.array(order, dtype=np.int64)
    _, gap = order_gaps(arr, users)
    return float(arr.beta(users, latest_starts(arr.T[users], arr.e[users], gap)).sum())


def check_state(inst, tl: Timeline, order: list[int]) -> None:
    """The timeline holds ``order``: order, GPU finish, latest-start minima, exact values below
    ``dirty`` and (brought up to date on a copy, so that stale states stay stale) the total."""
    assert tl.order.tolist() == order
    assert tl.gpu_finish == pytest.approx(gpu_finish(inst, order), rel=1e-12, abs=0.0)
    n = tl.n
    if n:
        G = tl.G[:n]
        assert np.array_equal(tl.M[:n], np.minimum.accumulate(G[::-1])[::-1])
        exact = _closed_form(inst.arrays, np.array(order, dtype=np.int64))
        d = tl.dirty
        np.testing.assert_allclose(tl.b[:d], exact[:d], rtol=1e-9, atol=0.0)
    other = copy.deepcopy(tl)
    assert other.total == pytest.approx(fresh_total(inst, order), rel=1e-9, abs=1e-300)
    assert tl.order.tolist() == order
    check_caches(tl)


def check_caches(tl: Timeline) -> None:
    """The lazily kept slopes and prefix sums equal a recomputation from scratch (on copies)."""
    lazy = copy.deepcopy(tl)
    lazy._sync()
    lazy._ensure()
    n = lazy.n
    lazy._stale_sums(n)
    full = copy.deepcopy(lazy)
    full._dok = full._zok = 0
    full._ensure()
    full._stale_sums(n)
    for a, b in (
        (lazy._Q[:n, 2:], full._Q[:n, 2:]),
        (lazy._C[: n + 1], full._C[: n + 1]),
        (lazy._Z[: n + 1], full._Z[: n + 1]),
    ):
        scale = float(np.max(np.abs(b), initial=0.0))
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9 * scale)


def check_bounds(inst, tl: Timeline, order: list[int], k: int) -> None:
    """The tangent (lower) and chord (upper) bounds of the total after appending k enclose the
    exact total (soundness of the class docstring's inequalities), computed on a copy."""
    tl = copy.deepcopy(tl)
    arr = inst.arrays
    E, S, F = tl.next_times(k)
    if F > arr.T_tol[k]:
        return
    n = tl.n
    P = 0.0
    if n:
        prev = tl.users[n - 1]
        P = tl.P[n - 1] + arr.e[prev] + (arr.tL[arr.model[prev], arr.model[k]] if arr.overlap == "sequential" else 0.0)
    G = float(arr.T[k] - arr.e[k] - P)
    bk = arr.beta_one(k, P + G)
    if not np.isfinite(bk):
        return
    cut = int(np.searchsorted(tl.M[:n], G, side="right"))
    tl._sync()
    tl._ensure()
    low, up, err = tl._bounds(cut, G)
    for i in tl._xpos:
        up += arr.beta_one(int(tl.users[i]), float(tl.P[i]) + min(float(tl.M[i]), G)) - float(tl.b[i])
    exact = least_total(inst, order + [k])
    assert low + bk - err <= exact * (1 + 1e-12), (low + bk - err, exact)
    if np.isfinite(up):
        assert exact <= (up + bk + err) * (1 + 1e-12), (exact, up + bk + err)


def random_walk(inst, rng: np.random.Generator, steps: int) -> dict:
    """Random push / can_push / pop / truncate / snapshot / restore, each checked against the
    full check and a fresh computation."""
    K = inst.K
    tl = Timeline(inst.arrays, undo=True)
    order: list[int] = []
    snaps: list[tuple] = []
    seen = {"accept": 0, "reject": 0}
    for _ in range(steps):
        op = rng.choice(["push", "push", "push", "can", "pop", "trunc", "snap", "restore"], p=None)
        rest = [k for k in range(K) if k not in order]
        if op in ("push", "can") and rest:
            k = int(rng.choice(rest))
            check_bounds(inst, tl, order, k)
            full = is_feasible_order(inst, order + [k])
            seen["accept" if full else "reject"] += 1
            if op == "can":
                assert tl.can_push(k) == full, (order, k)
                if full and rng.random() < 0.5:
                    assert tl.push(k)
                    order.append(k)
            else:
                assert tl.push(k) == full, (order, k)
                if full:
                    order.append(k)
        elif op == "pop" and order:
            assert tl.pop() == order.pop()
        elif op == "trunc" and order:
            m = int(rng.integers(0, len(order) + 1))
            tl.truncate(m)
            del order[m:]
        elif op == "snap":
            snaps.append((tl.snapshot(), list(order)))
        elif op == "restore" and snaps:
            snap, saved = snaps[int(rng.integers(len(snaps)))]
            tl.restore(snap)
            order = list(saved)
        if rng.random() < 0.3:  # bring the lazy caches up to date, as a bound test may
            tl._sync()
            tl._ensure()
            tl._stale_sums(int(rng.integers(0, tl.n + 1)))
        check_state(inst, tl, order)
    return seen


CASES = [
    (preset, rate, overlap, budget)
    for preset in PRESETS
    for rate in ("shannon", "fixed_snr")
    for overlap in ("sequential", "pipelined")
    for budget in ("loose", "tight", "edge")
]


@pytest.mark.parametrize("preset,rate,overlap,budget", CASES)
def test_random_operations_agree_with_the_full_check(preset, rate, overlap, budget):
    seed = CASES.index((preset, rate, overlap, budget))
    rng = np.random.default_rng(seed)
    K = int(rng.integers(5, 61))
    base = po.generate(preset, users=K, seed=seed)
    inst = variant(base, rate, overlap, budget, rng, initial=seed % 3 == 0)
    random_walk(inst, rng, steps=60)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("budget", ["loose", "tight", "edge"])
def test_appending_runs_agree_with_the_full_check(seed, budget):
    """Long runs of appends (the greedy/EDF/DP pattern) on common and per-user deadlines: every
    answer equals the full check, and the state matches a fresh computation along the way."""
    rng = np.random.default_rng(1000 + seed)
    base = random_instance(
        int(rng.integers(30, 61)),
        int(rng.integers(2, 7)),
        structure=["backbone", "general"][seed % 2],
        deadline=["common", "per_user"][seed % 4 >= 2],
        tightness=float(rng.uniform(0.3, 1.0)),
        seed=seed,
    )
    inst = variant(
        base,
        ["shannon", "fixed_snr"][seed % 3 == 2],
        ["sequential", "pipelined"][seed % 5 == 4],
        budget,
        rng,
        seed % 4 == 1,
    )
    tl = Timeline(inst.arrays, undo=seed % 2 == 0)
    order: list[int] = []
    for k in rng.permutation(inst.K).tolist():
        full = is_feasible_order(inst, order + [k])
        assert tl.push(k) == full, (order, k)
        if full:
            order.append(k)
        if rng.random() < 0.3:
            check_state(inst, tl, order)
    check_state(inst, tl, order)
    assert tl.total == pytest.approx(fresh_total(inst, order), rel=1e-9, abs=1e-300)


def test_huge_and_tiny_deadlines_agree_with_the_full_check():
    """Deadlines of 1e9 s beside real ones (the deadline tolerance is then seconds wide) and
    zero data: the floor of the latest starts and the bounds stay sound."""
    rng = np.random.default_rng(7)
    for seed in range(4):
        base = po.generate(["general", "backbone-common"][seed % 2], users=30, seed=seed)
        users = tuple(
            dataclasses.replace(
                u, deadline=1e9 if k % 3 == 0 else u.deadline, data_bits=0.0 if k % 7 == 0 else u.data_bits
            )
            for k, u in enumerate(base.users)
        )
        inst = variant(base.replace(users=users), "shannon", "sequential", ["loose", "tight"][seed % 2], rng)
        random_walk(inst, rng, steps=60)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("x_cap", [0, 1, 8])
@pytest.mark.parametrize("budget", ["loose", "edge"])
def test_weak_channels_agree_with_the_full_check(monkeypatch, seed, x_cap, budget):
    """Gains so weak that the least upload time exceeds many zero-upload starts: the bound terms
    ``s_n`` of many positions are infinite (more than the exactly counted set X holds)."""
    monkeypatch.setattr(evaluate_module, "_X_CAP", x_cap)
    rng = np.random.default_rng(50 + seed)
    base = po.generate(["general", "backbone-common", "llm-serving"][seed % 3], users=40, seed=seed)
    users = tuple(dataclasses.replace(u, gain=u.gain * 10 ** rng.uniform(-2.5, -1.0)) for u in base.users)
    inst = variant(base.replace(users=users), "shannon", ["sequential", "pipelined"][seed % 2], budget, rng)
    random_walk(inst, rng, steps=80)


class BetaCounter:
    """Counts Lambert W evaluations: elements passed to ``ProblemArrays.beta`` and calls of
    ``ProblemArrays.beta_one``."""

    def __init__(self, monkeypatch):
        self.count = 0
        vec, one = arrays_module.ProblemArrays.beta, arrays_module.ProblemArrays.beta_one

        def beta(arr, users, t):
            self.count += int(np.size(users))
            return vec(arr, users, t)

        def beta_one(arr, k, t):
            self.count += 1
            return one(arr, k, t)

        monkeypatch.setattr(arrays_module.ProblemArrays, "beta", beta)
        monkeypatch.setattr(arrays_module.ProblemArrays, "beta_one", beta_one)


@pytest.mark.parametrize("overlap", ["sequential", "pipelined"])
@pytest.mark.parametrize("initial", [False, True])
def test_beta_evaluations_grow_linearly_with_a_common_deadline(monkeypatch, overlap, initial):
    """Loose budget, common deadline: every append moves every latest start, yet a run of N
    appends evaluates O(N) betas (the former check evaluated the whole suffix: ~N^2 / 2)."""
    inst = random_instance(
        600, 20, structure="backbone", n_clusters=4, deadline="common", bandwidth="loose", tightness=1.0, seed=3
    )
    inst = inst.with_server(overlap=overlap, initial_model=inst.models[0].id if initial else None)
    arr = inst.arrays
    priority = np.lexsort((np.arange(arr.K), arr.model))  # batches of models: many appends fit
    counter = BetaCounter(monkeypatch)
    counts = []
    for N in (150, 300):
        counter.count = 0
        tl = Timeline(arr, undo=False).push_all(priority[:N])
        counts.append(counter.count)
        assert tl.n >= 0.9 * N  # the deadline and the budget let almost all of them in
        assert counter.count <= 4 * N + 20, (N, counter.count)
    assert counts[1] <= 2.5 * counts[0], counts  # linear, not quadratic (x4)
    monkeypatch.undo()
    assert tl.total == pytest.approx(fresh_total(inst, tl.order.tolist()), rel=1e-9)


def test_beta_evaluations_of_rejections_under_a_binding_budget(monkeypatch):
    """Binding budget, common deadline: once the budget is spent, rejecting a user whose own need
    fits but whose append would push everyone's latest start over the budget costs O(1) betas
    (the tangent lower bound), not a pass over the order."""
    inst = random_instance(
        600, 20, structure="backbone", n_clusters=4, deadline="common", bandwidth="binding", tightness=10.0, seed=3
    )  # a late deadline: the budget, not the deadline, stops the appends
    arr = inst.arrays
    need = arr.beta(np.arange(arr.K), arr.T - arr.e)
    tl = Timeline(arr, undo=False)
    for k in np.argsort(need, kind="stable"):  # fill the budget with the cheapest users
        tl.push(int(k))
    served = set(tl.order.tolist())
    rest = [int(k) for k in np.argsort(need, kind="stable") if int(k) not in served and need[k] <= arr.B]
    assert len(rest) > 50 and tl.n > 50
    counter = BetaCounter(monkeypatch)
    for k in rest:
        assert not tl.can_push(k)
    assert counter.count <= 2 * len(rest) + tl.n, (len(rest), counter.count, tl.n)
