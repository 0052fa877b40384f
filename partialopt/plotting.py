"""Plots of sweep results: axis labels with units, legends, error bars over seeds."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .experiments.analysis import summarize
from .experiments.instances import LABELS, SCALE


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 4))
    return ax


def plot_lines(
    df: pd.DataFrame,
    x: str,
    y: str = "objective",
    hue: str = "method",
    ax: Any = None,
    err: str = "std",
    title: str | None = None,
):
    """Mean of ``y`` against ``x``, one line per ``hue``, error bars = ``err`` (``"std"`` or
    ``"sem"``) over seeds. Values of ``x`` in :data:`SCALE` are shown in display units."""
    ax = _axes(ax)
    s = summarize(df, [hue, x], y)
    scale = SCALE.get(x, 1.0)
    for name, part in s.groupby(hue, sort=False):
        ax.errorbar(part[x] / scale, part["mean"], yerr=part[err], marker="o", capsize=3, label=str(name))
    ax.set_xlabel(LABELS.get(x, x))
    ax.set_ylabel(LABELS.get(y, y) + f"  (mean ± {'1 std' if err == 'std' else 'std. error'} over seeds)")
    ax.legend(title=hue, fontsize="small")
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    return ax


def plot_gap_distribution(
    df: pd.DataFrame, gap: str = "gap_to_best", by: str = "method", ax: Any = None, title: str | None = None
):
    """Box plot of a gap column (as %) per method, with every instance drawn as a dot."""
    import numpy as np

    ax = _axes(ax)
    ok = df.dropna(subset=[gap])
    names = list(dict.fromkeys(ok[by]))
    data = [100 * ok.loc[ok[by] == n, gap].to_numpy(float) for n in names]
    ax.boxplot(data, showfliers=False)
    ax.set_xticks(range(1, len(names) + 1), names)
    rng = np.random.default_rng(0)
    for i, d in enumerate(data, start=1):
        ax.plot(i + rng.uniform(-0.12, 0.12, len(d)), d, ".", alpha=0.5, color="tab:blue")
    ax.set_ylabel(LABELS.get(gap, gap) + " (%)")
    ax.set_xlabel(by)
    ax.grid(alpha=0.3, axis="y")
    if title:
        ax.set_title(title)
    return ax


def plot_schedule(instance, order, ax: Any = None, title: str | None = None):
    """Gantt chart of one schedule's GPU timeline (SPEC §4): per served user, its model's load
    ``tL`` (hatched; from ``F_{n-1}`` in the sequential timeline, from ``E_{n-1}`` on the copy
    engine in the pipelined one), its inference ``e`` (solid, one colour per model) from the start
    ``S_n`` that the closed-form bandwidth gives, and its deadline ``T`` (a tick, red if missed).
    ``order``: user ids or a Result."""
    import matplotlib
    import numpy as np
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from .evaluate import evaluate, order_gaps, user_indices

    ax = _axes(ax)
    order = list(getattr(order, "order", order))
    ev = evaluate(instance, order)
    arr = instance.arrays
    idx = user_indices(instance, order)
    load, _ = order_gaps(arr, idx)
    cmap = matplotlib.colormaps["tab10"]
    models = sorted({instance.users[k].model for k in idx})
    colour = {m: cmap(i % 10) for i, m in enumerate(models)}
    prev_f = prev_e = 0.0
    for row, (uid, k, tl) in enumerate(zip(order, idx, load)):
        s, f = ev.start[uid], ev.finish[uid]
        m = instance.users[k].model
        t0 = prev_f if arr.overlap == "sequential" else prev_e
        if tl > 0:
            ax.barh(row, tl, left=t0, color="white", edgecolor=colour[m], hatch="///", height=0.7)
        prev_e, prev_f = t0 + tl, f
        ax.barh(row, f - s, left=s, color=colour[m], height=0.7)
        ax.plot([arr.T[k]] * 2, [row - 0.4, row + 0.4], color="red" if f > arr.T_tol[k] else "black", lw=1.5)
    ax.set_yticks(
        np.arange(len(order)), [f"{u} ({instance.users[k].model})" for u, k in zip(order, idx)], fontsize="x-small"
    )
    ax.invert_yaxis()
    ax.set_xlabel("time (s)")
    ax.set_ylabel("served users, in service order")
    handles = [
        Patch(facecolor="white", edgecolor="grey", hatch="///", label="loading tL (missing blocks)"),
        Patch(color="grey", label="inference e (colour = model)"),
        Line2D([], [], color="black", label="deadline T"),
    ]
    ax.legend(handles=handles, fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3)
    if title:
        ax.set_title(title)
    return ax
