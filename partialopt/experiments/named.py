"""Named sweeps for ``partialopt bench NAME``: the figures and tables a paper on this problem needs.

Each entry is ``fn(seeds: int, small: bool) -> (Sweep, x)``: the sweep and the column its plot
puts on the x axis. ``small=True`` shrinks sizes so a sweep runs in seconds (tests, notebooks).
``local_search`` and ``lns`` run on work budgets (``max_evals`` candidate checks; ``iterations``
and ``patience`` LNS steps, with a time limit far above what they take), not a clock, so the tables
are reproducible on any machine.
"""

from __future__ import annotations

from collections.abc import Callable

from .sweep import Sweep

THROUGHPUT_METHODS = ("greedy", "paper_greedy", "local_search", "lns", "no_sharing", "edf")
LS = {"local_search": {"max_evals": 5000, "time_limit": 600.0}, "lns": {"iterations": 2000, "time_limit": 600.0}}


def _seeds(n: int) -> tuple[int, ...]:
    return tuple(range(n))


def gaps(seeds: int = 5, small: bool = False) -> tuple[Sweep, str]:
    """Heuristics, DP and baselines against the exact portfolio (``exact``) on small instances (gap
    distributions)."""
    methods = ("exact", "dp", "greedy", "paper_greedy", "local_search", "lns", "no_sharing", "edf", "random")
    return Sweep(
        ("general", "backbone-deadlines", "backbone-common", "vision-mixed"),
        users=(6,) if small else (8, 10),
        seeds=_seeds(seeds),
        methods=methods,
        options={"exact": {"time_limit": 10.0 if small else 60.0, "threads": 1}, **LS},
        name="gaps",
    ), "users"


def users(seeds: int = 5, small: bool = False) -> tuple[Sweep, str]:
    """Task throughput against the number of users K (vision-frozen-bottom)."""
    return Sweep(
        ("vision-frozen-bottom",),
        users=(5, 10, 20) if small else (10, 20, 40, 80, 160),
        seeds=_seeds(seeds),
        methods=THROUGHPUT_METHODS,
        options=LS,
        name="users",
    ), "users"


def _grid(name: str, param: str, values: tuple, small_values: tuple, preset: str = "vision-frozen-bottom"):
    def fn(seeds: int = 5, small: bool = False) -> tuple[Sweep, str]:
        return Sweep(
            (preset,),
            users=(10,) if small else (40,),
            seeds=_seeds(seeds),
            methods=THROUGHPUT_METHODS,
            grid={param: small_values if small else values},
            options=LS,
            name=name,
        ), param

    fn.__doc__ = f"Task throughput against {param} ({preset}, K = 40)."
    return fn


def pulling(seeds: int = 5, small: bool = False) -> tuple[Sweep, str]:
    """Total delay of the pulling model's methods against the number of request groups (pulling-zoo)."""
    return Sweep(
        ("pulling-zoo",),
        users=(4,) if small else (6, 12, 24),
        seeds=_seeds(seeds),
        methods=("ilp", "randomized_rounding", "most_popular", "no_sharing"),
        options={"ilp": {"time_limit": 10.0 if small else 60.0}, "randomized_rounding": {"samples": 10}},
        name="pulling",
    ), "users"


def split(seeds: int = 5, small: bool = False) -> tuple[Sweep, str]:
    """Total delay of the split variant's methods against the number of requests (split-eua)."""
    return Sweep(
        ("split-eua",),
        users=(6,) if small else (10, 20, 30),
        seeds=_seeds(seeds),
        methods=("ilp", "lp_sampling"),
        options={"ilp": {"time_limit": 10.0 if small else 60.0}},
        name="split",
    ), "users"


SWEEPS: dict[str, Callable[[int, bool], tuple[Sweep, str]]] = {
    "gaps": gaps,
    "users": users,
    "deadline": _grid("deadline", "deadline_scale", (0.25, 0.5, 1.0, 2.0, 4.0), (0.5, 1.0, 2.0)),
    "bandwidth": _grid("bandwidth", "total_bandwidth", (2.5e6, 5e6, 1e7, 2e7, 4e7), (5e6, 2e7)),
    "loading": _grid("loading", "load_bandwidth", (2e9, 4e9, 8e9, 16e9, 32e9, 64e9), (4e9, 32e9)),
    "shared": _grid("shared", "frozen", (0.0, 0.25, 0.5, 0.75, 1.0), (0.0, 0.5, 1.0)),
    "pulling": pulling,
    "split": split,
}


def named_sweep(name: str, seeds: int = 5, small: bool = False) -> tuple[Sweep, str]:
    if name not in SWEEPS:
        raise ValueError(f"sweep: unknown sweep {name!r} (choose from {sorted(SWEEPS)})")
    if seeds < 1:
        raise ValueError(f"seeds: must be >= 1, got {seeds}")
    return SWEEPS[name](seeds, small)
