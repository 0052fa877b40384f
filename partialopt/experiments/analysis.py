"""Tables from sweep results: gaps to the best proven bound, means and error bars over seeds."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

KEY = ["sweep", "preset", "users", "seed"]


def instance_key(df: pd.DataFrame) -> list[str]:
    """Columns that identify one instance: sweep, preset, users, seed and the grid parameters."""
    from .sweep import ROW_COLUMNS

    fixed = set(KEY) | set(ROW_COLUMNS) | {"best_bound", "best_found", "proven", "gap_to_best"}
    return [c for c in df.columns if c in KEY or c not in fixed]


def add_reference(df: pd.DataFrame) -> pd.DataFrame:
    """Per instance: ``best_bound`` = the tightest proven bound any method gave (the least upper
    bound when the family maximises, the largest lower bound when it minimises: column ``sense``,
    ``max`` when absent), ``best_found`` = the best objective any method reached, ``proven`` =
    some method proved optimality; per row ``gap_to_best`` = :func:`partialopt.core.result.gap` of
    the row's objective and ``best_bound`` in that sense (0 when the objective meets it).
    Scheduling rows carry ``reference_bound`` (the ``bound`` method's certified bound, computed
    by the sweep for every instance); it joins the methods' bounds, so ``best_bound`` and
    ``gap_to_best`` are certified on every row even where no exact method finished."""
    out = df.copy()
    key = instance_key(out)
    sense = out["sense"].fillna("max") if "sense" in out else pd.Series("max", index=out.index)
    minimise = sense == "min"
    grouped = out.groupby(key, dropna=False, sort=False)
    upper = out["bound"].astype(float)
    if "reference_bound" in out:  # an upper bound: it joins only where the family maximises
        upper = upper.where(minimise, np.fmin(upper, out["reference_bound"].astype(float)))
    lowest = upper.groupby([out[c] for c in key], dropna=False, sort=False).transform("min")
    highest = grouped["bound"].transform("max")
    out["best_bound"] = highest.where(minimise, lowest)
    worst, best = grouped["objective"].transform("min"), grouped["objective"].transform("max")
    out["best_found"] = worst.where(minimise, best)
    bb = out["best_bound"].astype(float)
    met = out["best_found"].astype(float).where(minimise, -out["best_found"].astype(float)) <= bb.where(minimise, -bb)
    out["proven"] = grouped["status"].transform(lambda s: bool((s == "optimal").any())) | (met & bb.notna())
    obj = out["objective"].astype(float)
    gap_max = ((bb - obj) / bb.where(bb > 0)).where(~(bb <= 0) | bb.isna(), 0.0)
    gap_min = ((obj - bb) / obj.where(obj > 0)).where(~(obj <= 0) | obj.isna(), 0.0)
    gap = gap_min.where(minimise, gap_max)
    out["gap_to_best"] = gap.where(bb.notna() & obj.notna()).clip(lower=0.0)
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
