"""Sweeps and figures of the pulling model, shared by ``benchmarks/pulling.py`` and the notebook.

- :func:`delay_sweep`: total delay of each method against cloudlet storage (``storage_scale``) or
  the number of request groups (``n_groups``), with (``ilp``, ``randomized_rounding``,
  ``most_popular``) and without (``no_sharing``) parameter sharing;
- :func:`rounding_ratios`: randomized rounding's delay over the ILP optimum, over many seeds;
- :func:`regret_curve`: the online method's cumulative regret per frame;
- :func:`split_table`: the authors' variant (``split``) with and without common knowledge.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .evaluate import evaluate_pulling
from .methods import solve_pulling
from .online import online_bandit
from .presets import zoo_instance

METHODS = ("ilp", "randomized_rounding", "most_popular", "no_sharing")
LABELS = {
    "storage_scale": "cloudlet storage (x preset Q_c)",
    "n_groups": "number of request groups",
    "total": "total delay (s per frame)",
    "ratio": "rounding / ILP optimum",
    "frame": "frame t",
}


def delay_sweep(
    param: str,
    values: Sequence,
    seeds: Sequence[int] = (0, 1, 2),
    methods: Sequence[str] = METHODS,
    n_cloudlets: int = 4,
    n_groups: int = 12,
) -> pd.DataFrame:
    """One row per (value, seed, method): total, pull and serve delay, status, time."""
    if param not in ("storage_scale", "n_groups"):
        raise ValueError(f"param: choose storage_scale or n_groups, got {param!r}")
    rows = []
    for v in values:
        for seed in seeds:
            kw = {"n_cloudlets": n_cloudlets, "n_groups": n_groups, "seed": seed}
            kw["storage_scale" if param == "storage_scale" else "n_groups"] = v
            inst = zoo_instance(**kw)
            for m in methods:
                opts = {"seed": seed} if m == "randomized_rounding" else {}
                r = solve_pulling(inst, m, **opts)
                # the baseline's delay in its own system (every model pulled in full): the comparison
                # "without sharing the optimal delay is x % higher"; r.objective is on the real system
                sharing = r.sharing and m != "no_sharing"
                ev = evaluate_pulling(inst, r.solution, sharing=sharing)
                rows.append(
                    {
                        param: v,
                        "seed": seed,
                        "method": m,
                        "sharing": sharing,
                        "status": r.status,
                        "total": ev.total,
                        "pull": ev.pull_delay,
                        "serve": ev.serve_delay,
                        "bound": r.bound,
                        "time_s": r.wall_time,
                    }
                )
    return pd.DataFrame(rows)


def rounding_ratios(
    instance_seeds: Sequence[int] = range(5),
    rounding_seeds: Sequence[int] = range(20),
    samples: Sequence[int] = (1, 10),
    n_cloudlets: int = 4,
    n_groups: int = 12,
) -> pd.DataFrame:
    """Rounding's total delay / the ILP optimum (and / the LP bound) per instance and seed."""
    rows = []
    for i in instance_seeds:
        inst = zoo_instance(n_cloudlets, n_groups, seed=i)
        opt = solve_pulling(inst, "ilp")
        for s in rounding_seeds:
            for n in samples:
                r = solve_pulling(inst, "randomized_rounding", seed=s, samples=n)
                rows.append(
                    {
                        "instance": i,
                        "seed": s,
                        "samples": n,
                        "ilp": opt.objective,
                        "rounding": r.objective,
                        "lp": r.bound,
                        "ratio": r.objective / opt.objective,
                        "ratio_to_lp": r.objective / r.bound,
                        "ilp_status": opt.status,
                    }
                )
    return pd.DataFrame(rows)


def regret_curve(seed: int = 0, frames: int = 3000, n_cloudlets: int = 4, n_groups: int = 12) -> pd.DataFrame:
    """Frame, cumulative regret, average regret and normalised regret of one online run."""
    run = online_bandit(zoo_instance(n_cloudlets, n_groups, seed=seed), frames=frames, seed=seed)
    t = np.arange(1, frames + 1)
    return pd.DataFrame(
        {
            "seed": seed,
            "frame": t,
            "regret": run.regret,
            "avg_regret": run.regret / t,
            "normalized": run.regret / np.cumsum(run.scale),
            "played": run.played,
        }
    )


def split_table(
    seeds: Sequence[int] = range(5), n_cloudlets: int = 8, n_requests: int = 30, samples: int = 5
) -> pd.DataFrame:
    """Variant ``split`` on the EUA-style preset: the ILP with and without common knowledge, and
    LP sampling (mean of ``samples`` seeds) per instance."""
    from ..split import eua_instance, split_ilp, split_lp_sampling

    rows = []
    for s in seeds:
        inst = eua_instance(n_cloudlets, n_requests, seed=s)
        a, b = split_ilp(inst), split_ilp(inst, sharing=False)
        lp = [split_lp_sampling(inst, seed=k).objective for k in range(samples)]
        rows.append(
            {
                "seed": s,
                "ilp": a.objective,
                "ilp_status": a.status,
                "ilp_no_sharing": b.objective,
                "lp_sampling_mean": float(np.mean(lp)),
                "no_sharing / ilp": b.objective / a.objective,
                "lp_sampling / ilp": float(np.mean(lp)) / a.objective,
            }
        )
    return pd.DataFrame(rows)


def split_online_table(seeds: Sequence[int] = range(5), frames: int = 3000) -> pd.DataFrame:
    """Variant ``split`` online (Thompson sampling on link congestion): pseudo-regret at T and T/4."""
    from ..split import eua_instance, split_online_ts

    rows = []
    for s in seeds:
        run = split_online_ts(eua_instance(8, 30, seed=s), frames=frames, seed=s)
        T = len(run.regret)
        rows.append(
            {
                "seed": s,
                "frames": T,
                "regret": run.regret[-1],
                "oracle_loss": run.stats["oracle_loss"],
                "regret / oracle": run.regret[-1] / run.stats["oracle_loss"],
                "avg_regret_T/4": run.regret[T // 4 - 1] / (T // 4),
                "avg_regret_T": run.regret[-1] / T,
            }
        )
    return pd.DataFrame(rows)


def plot_all(storage: pd.DataFrame, groups: pd.DataFrame, ratios: pd.DataFrame, regret: pd.DataFrame):
    """The four panels: delay vs storage, delay vs groups (mean ± 1 std over seeds), rounding
    ratios, regret curves."""
    import matplotlib.pyplot as plt

    from ..plotting import plot_lines

    fig, ax = plt.subplots(2, 2, figsize=(12, 8.5))
    for a, df, x in ((ax[0, 0], storage, "storage_scale"), (ax[0, 1], groups, "n_groups")):
        plot_lines(df, x, "total", ax=a)
        a.set_xlabel(LABELS[x])
        a.set_ylabel("total delay (s per frame)  (mean ± 1 std over seeds)")
        a.set_yscale("log")
    ax[0, 0].set_xscale("log")
    for n, part in ratios.groupby("samples"):
        ax[1, 0].hist(part["ratio"], bins=30, alpha=0.6, label=f"best of {n} rounding(s)")
    ax[1, 0].set_xlabel(LABELS["ratio"])
    ax[1, 0].set_ylabel("count (instances x seeds)")
    ax[1, 0].legend()
    for seed, part in regret.groupby("seed"):
        ax[1, 1].plot(part["frame"], part["avg_regret"], label=f"seed {seed}")
    ax[1, 1].set_xscale("log")
    ax[1, 1].set_xlabel(LABELS["frame"])
    ax[1, 1].set_ylabel("average regret R_t / t (s per frame)")
    ax[1, 1].legend(title="workload")
    for a in ax.flat:
        a.grid(alpha=0.3)
    fig.tight_layout()
    return fig
