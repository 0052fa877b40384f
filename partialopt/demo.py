"""``partialopt demo``: a small preset solved by every method, a table and a plot."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .presets import generate
from .solve import METHODS, solve

DEMO_OPTIONS = {"milp": {"time_limit": 30.0}, "local_search": {"seed": 0}, "random": {"seed": 0}}


def run_demo(out_dir: Path, users: int = 8, seed: int = 1, preset: str = "backbone-common") -> pd.DataFrame:
    """Solve one instance with every registered method; write ``demo.csv`` and ``demo.png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    inst = generate(preset, users, seed)
    inst.save(out_dir / "instance.json")
    rows = []
    for name in METHODS:
        try:
            r = solve(inst, method=name, **DEMO_OPTIONS.get(name, {}))
        except ValueError as exc:  # a method that refuses this instance says why
            rows.append(
                {
                    "method": name,
                    "status": "n/a",
                    "served": None,
                    "bound": None,
                    "gap_%": None,
                    "time_s": None,
                    "note": str(exc).split(":", 1)[-1].strip()[:60],
                }
            )
            continue
        rows.append(
            {
                "method": name,
                "status": r.status,
                "served": r.objective,
                "bound": r.bound,
                "gap_%": None if r.gap is None else round(100 * r.gap, 2),
                "time_s": round(r.wall_time, 4),
                "note": "",
            }
        )
    df = pd.DataFrame(rows)
    df.to_csv(out_dir / "demo.csv", index=False)
    print(f"instance: preset {preset!r}, {inst.K} users, {len(inst.models)} models, seed {seed}")
    print(df.to_string(index=False))

    ok = df.dropna(subset=["served"])
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.bar(ok["method"], ok["served"], color="tab:blue")
    ax.axhline(inst.K, color="grey", ls="--", lw=1, label=f"all users (K={inst.K})")
    ax.set_ylabel("served users (task throughput)")
    ax.set_xlabel("method")
    ax.set_title(f"{preset}, K={inst.K}, seed={seed}")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(out_dir / "demo.png", dpi=120)
    plt.close(fig)
    print(f"wrote {out_dir / 'demo.csv'} and {out_dir / 'demo.png'}")
    return df
