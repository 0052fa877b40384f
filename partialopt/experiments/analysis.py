"""Tables from sweep results: gaps to the best proven bound, means and error bars over seeds."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

KEY = ["sweep", "preset", "users", "seed"]


def instance_key(df: pd.DataFrame) -> list[str]:
    """Columns that identify one instance: sweep, preset, users, seed and the grid parameters."""
    fixed = set(KEY) | {
        "method",
        "status",
        "objective",
        "served_fraction",
        "bound",
        "gap",
        "time_s",
        "shared_fraction",
        "note",
        "best_bound",
        "best_found",
        "proven",
        "gap_to_best",
    }
    return [c for c in df.columns if c in KEY or c not in fixed]


def add_reference(df: pd.DataFrame) -> pd.DataFrame:
    """Per instance: ``best_bound`` = the least proven upper bound any method gave,
    ``best_found`` = the most users any method served, ``proven`` = some method proved
    optimality; per row ``gap_to_best = (best_bound - objective) / best_bound`` (0 when both are 0)."""
    out = df.copy()
    key = instance_key(out)
    grouped = out.groupby(key, dropna=False, sort=False)
    out["best_bound"] = grouped["bound"].transform("min")
    out["best_found"] = grouped["objective"].transform("max")
    out["proven"] = grouped["status"].transform(lambda s: bool((s == "optimal").any()))
    bb = out["best_bound"].astype(float)
    gap = (bb - out["objective"].astype(float)) / bb.where(bb > 0)
    out["gap_to_best"] = gap.where(~((bb == 0) & (out["objective"] == 0)), 0.0).clip(lower=0.0)
    return out


def summarize(df: pd.DataFrame, by: Sequence[str], value: str = "objective") -> pd.DataFrame:
    """Mean, standard deviation, count and standard error of ``value`` per group of ``by``
    (rows without a value, e.g. refused methods, are left out)."""
    ok = df.dropna(subset=[value])
    g = ok.groupby(list(by), dropna=False, sort=True)[value]
    out = g.agg(mean="mean", std="std", n="count").reset_index()
    out["std"] = out["std"].fillna(0.0)
    out["sem"] = out["std"] / np.sqrt(out["n"].clip(lower=1))
    return out


def pivot_means(
    df: pd.DataFrame, x: str | Sequence[str], value: str = "objective", hue: str = "method"
) -> pd.DataFrame:
    """Mean of ``value`` with ``x`` (one column or several) down and ``hue`` across (the table
    ``partialopt bench`` prints)."""
    xs = [x] if isinstance(x, str) else list(x)
    s = summarize(df, [*xs, hue], value)
    return s.pivot_table(index=xs, columns=hue, values="mean")
