"""Local search on orders (SPEC §7): never worse than its start, deterministic for a seed.

Objective, lexicographic: more served users, then smaller GPU finish (the zero-upload finish
of the last user, SPEC §5 (i)). Moves, tried in a seeded random order, first improvement taken:

- ``insert``: an unserved user at any position (count + 1);
- ``replace``: a served user by an unserved one (same count, smaller GPU finish: makes room);
- ``relocate``: one user to another position;
- ``batch``: a maximal run of same-model users to another run boundary (re-sequencing batches);
- ``swap``: two served users;
- ``eject``: remove one served user and insert two unserved ones (count + 1; reaches other
  served sets when no single insertion fits).

A candidate order shares a prefix with the current one, so it is checked with the evaluator's
incremental form (:class:`~partialopt.evaluate.Timeline`): pop back to the first changed
position, push the new tail, abort at the first user that does not fit, restore. The search
stops at a local optimum, after ``max_rounds`` improving moves, after ``max_evals`` candidate
checks (a deterministic work budget: with it, results do not depend on the machine's speed), or
after ``time_limit`` seconds.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..bounds import cheap_bound
from ..evaluate import Timeline, gpu_finish
from ..instance import Instance
from ..result import Result

BEST_STARTS = ("greedy", "edf", "no_sharing")


class _State:
    def __init__(self, instance: Instance, order: list[int]):
        self.arr = instance.arrays
        self.tl = Timeline(self.arr, undo=True)
        self.order = list(order)
        for k in self.order:
            if not self.tl.push(k):
                raise ValueError("local_search: the start schedule is infeasible")
        self.key = (len(self.order), -self.tl.gpu_finish)
        self.evals = 0

    def try_order(self, new: list[int], p: int) -> tuple | None:
        """Key of ``new`` (equal to the current order before position p) if feasible, else None.
        Leaves the timeline holding the current order."""
        self.evals += 1
        tl = self.tl
        snap = tl.snapshot()
        tl.truncate(p)
        ok = True
        for k in new[p:]:
            if not tl.push(k):
                ok = False
                break
        key = (len(new), -tl.gpu_finish) if ok else None
        tl.restore(snap)
        return key

    def accept(self, new: list[int], p: int, key: tuple) -> None:
        self.tl.truncate(p)
        for k in new[p:]:
            self.tl.push(k)
        self.order = new
        self.key = key


def _moves(state: _State, rng: np.random.Generator, out_of_budget):
    """Yield candidate (new_order, first_changed_position) pairs, one neighbourhood after another;
    stops yielding once ``out_of_budget()`` is true."""
    order = state.order
    N = len(order)
    served = set(order)
    unserved = [k for k in rng.permutation(state.arr.K).tolist() if k not in served]
    kinds = ["insert", "replace", "relocate", "batch", "swap", "eject"]
    # insert always first (it is the only move that raises the count); the rest in seeded order
    rest = kinds[1:]
    rng.shuffle(rest)
    for kind in ["insert"] + rest:
        if kind == "insert":
            for u in unserved:
                for p in range(N + 1):
                    yield order[:p] + [u] + order[p:], p
        elif kind == "replace":
            for p in rng.permutation(N).tolist():
                for u in unserved:
                    yield order[:p] + [u] + order[p + 1 :], p
        elif kind == "relocate":
            for i in rng.permutation(N).tolist():
                rest_ = order[:i] + order[i + 1 :]
                for q in range(N):
                    if q != i:
                        yield rest_[:q] + [order[i]] + rest_[q:], min(i, q)
        elif kind == "batch":
            m = state.arr.model[order] if N else np.zeros(0, dtype=int)
            bounds = [0] + [i for i in range(1, N) if m[i] != m[i - 1]] + [N]
            runs = list(zip(bounds[:-1], bounds[1:]))
            for a, b in runs:
                run = order[a:b]
                rest_ = order[:a] + order[b:]
                # boundaries of the other runs, as positions in rest_
                cuts = sorted({0, len(rest_)} | {x if x < a else x - (b - a) for x, _ in runs if x != a})
                for q in cuts:
                    if q != a:
                        yield rest_[:q] + run + rest_[q:], min(a, q)
        elif kind == "swap":
            for i in range(N):
                for j in range(i + 1, N):
                    new = list(order)
                    new[i], new[j] = new[j], new[i]
                    yield new, i
        else:  # eject: drop order[p], insert u at q and v at r
            for p in rng.permutation(N).tolist():
                base = order[:p] + order[p + 1 :]
                for ui, u in enumerate(unserved):
                    for q in range(N):
                        if out_of_budget():
                            return
                        with_u = base[:q] + [u] + base[q:]
                        if state.try_order(with_u, min(p, q)) is None:
                            continue
                        for v in unserved[ui + 1 :]:
                            for r in range(N + 1):
                                yield with_u[:r] + [v] + with_u[r:], min(p, q, r)


def local_search(
    instance: Instance,
    start: Any = "best",
    seed: int = 0,
    time_limit: float = 10.0,
    max_rounds: int = 10_000,
    max_evals: int | None = None,
) -> Result:
    """Improve ``start``: a method name, a Result, an order of user ids/indices, or ``"best"``
    (default): the best of :data:`BEST_STARTS` (more served users, then smaller GPU finish; the
    first on ties), so the result is never worse than any of those heuristics.

    Budgets: ``max_rounds`` improving moves, ``max_evals`` candidate checks (deterministic),
    ``time_limit`` seconds (wall clock); the first one reached stops the search
    (``stats["stopped"]``), and it stops when it serves as many users as the cheap bound
    (:func:`partialopt.bounds.cheap_bound`, carried as ``bound``). Status ``optimal`` when it meets
    that bound, ``time_limit`` when the clock stopped it (the schedule then depends on the
    machine's speed), else ``feasible``.

    Parameters
    ----------
    instance : Instance
        The scheduling instance (any class).
    start : str, Result or list
        ``"best"``, a method name, a Result or an order of user ids/indices to improve.
    seed : int
        Seed of the order in which moves are tried.
    time_limit : float
        Wall-clock seconds.
    max_rounds : int
        Improving moves at most.
    max_evals : int or None
        Candidate checks at most (a deterministic work budget); None: no cap.
    """
    from ..solve import solve

    t0 = time.perf_counter()
    start_method = start if isinstance(start, str) else None
    if start == "best":
        cands = [solve(instance, method=m) for m in BEST_STARTS]
        keys = [(r.objective, -gpu_finish(instance, r.order)) for r in cands]
        i = max(range(len(cands)), key=lambda j: (keys[j], -j))
        start, start_method = cands[i], BEST_STARTS[i]
    elif isinstance(start, str):
        start = solve(instance, method=start)
    first = start.order if isinstance(start, Result) else list(start)
    order = [instance.user_index[u] if isinstance(u, str) else int(u) for u in first]
    state = _State(instance, order)
    start_key = state.key
    bound, _ = cheap_bound(instance.arrays)
    rng = np.random.default_rng(seed)
    if max_evals is not None and max_evals < 0:
        raise ValueError(f"max_evals: must be >= 0, got {max_evals}")
    evals_cap = float("inf") if max_evals is None else max_evals
    rounds = 0
    timed_out = out_of_evals = False

    def out_of_budget() -> bool:
        return state.evals >= evals_cap or time.perf_counter() - t0 > time_limit

    while rounds < max_rounds and not timed_out and not out_of_evals and state.key[0] < bound:
        improved = False
        for i, (new, p) in enumerate(_moves(state, rng, out_of_budget)):
            if state.evals >= evals_cap:
                out_of_evals = True
                break
            if i % 8 == 0 and time.perf_counter() - t0 > time_limit:
                timed_out = True
                break
            key = state.try_order(new, p)
            if key is not None and key > state.key:
                state.accept(new, p, key)
                improved = True
                break
        if state.evals >= evals_cap:
            out_of_evals = True
        elif time.perf_counter() - t0 > time_limit:
            timed_out = True
        if not improved:
            break
        rounds += 1
    assert state.key >= start_key
    return Result.from_order(
        instance,
        state.order,
        "local_search",
        bound=bound,
        status="time_limit" if timed_out and state.key[0] < bound else None,
        wall_time=time.perf_counter() - t0,
        stats={
            "improving_moves": rounds,
            "start_objective": start_key[0],
            "start_method": start_method,
            "seed": seed,
            "evals": state.evals,
            **({"limit": "time_limit"} if timed_out and state.key[0] < bound else {}),
            "stopped": (
                "bound_met"
                if state.key[0] >= bound
                else "time_limit"
                if timed_out
                else "max_evals"
                if out_of_evals
                else "max_rounds"
                if rounds >= max_rounds
                else "local_optimum"
            ),
        },
    )
