"""Loading and inference calibration from measured data (SPEC §2).

The loading model is ``t(j) = alpha * n_j + s_j / v``. :func:`fit_loading` fits it by
non-negative least squares over measured block rows (``scipy.optimize.nnls``), one fit per
source: ``pinned`` host memory, ``pageable`` host memory, ``disk`` (a safetensors file in the
page cache). On the bundled H100 data this gives alpha = 8.5 us, v = 54 GB/s (pinned, R^2 0.99);
alpha = 0, v = 8.5 GB/s (pageable, R^2 0.96); alpha = 20 us, v = 6.8 GB/s (disk, R^2 0.95).

A :class:`Calibration` holds the measured block rows, the per-model batch-1 inference times and
the fits. The bundled one (:func:`bundled`) comes from ``partialopt/data/gpu_profile_h100``;
``partialopt profile`` writes the same thing for the local GPU as JSON
(``"schema": "partialopt/calibration@1"``), which :func:`load` reads back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pandas and scipy load on first use: generating a synthetic preset needs neither
    import pandas as pd

SCHEMA = "partialopt/calibration@1"
SOURCES = ("pinned", "pageable", "disk")
BLOCK_COLUMNS = ["model", "block", "n_tensors", "bytes", "t_pinned_s", "t_pageable_s", "t_disk_s"]
MODEL_COLUMNS = ["model", "params", "bytes", "n_blocks", "t_infer_b1_s", "dtype"]


@dataclass(frozen=True)
class LoadingFit:
    """``t = alpha * n_tensors + bytes / v`` for one source, with its goodness of fit."""

    source: str
    alpha: float  # s per tensor (SPEC's ``alpha`` = ``tensor_overhead``)
    v: float  # bytes/s (SPEC's ``v`` = ``load_bandwidth``)
    r2: float
    median_rel_error: float
    n_rows: int

    def predict(self, n_tensors, nbytes) -> np.ndarray:
        return self.alpha * np.asarray(n_tensors, float) + np.asarray(nbytes, float) / self.v


def fit_loading(blocks: pd.DataFrame, source: str) -> LoadingFit:
    """Fit ``alpha, 1/v >= 0`` to the block rows (``model != "raw"``) of one source's column
    ``t_{source}_s`` by non-negative least squares; rows without a time are skipped."""
    from scipy.optimize import nnls

    if source not in SOURCES:
        raise ValueError(f"source: unknown loading source {source!r} (choose from {SOURCES})")
    col = f"t_{source}_s"
    rows = blocks[(blocks["model"] != "raw") & blocks[col].notna()]
    if len(rows) < 2:
        raise ValueError(f"{col}: need at least 2 measured block rows to fit, got {len(rows)}")
    A = np.c_[rows["n_tensors"].to_numpy(float), rows["bytes"].to_numpy(float)]
    y = rows[col].to_numpy(float)
    (alpha, inv_v), _ = nnls(A, y)
    if inv_v <= 0:
        raise ValueError(f"{col}: the fit found no bandwidth term (times do not grow with bytes)")
    pred = A @ np.array([alpha, inv_v])
    r2 = 1.0 - float(((y - pred) ** 2).sum() / ((y - y.mean()) ** 2).sum())
    return LoadingFit(source, float(alpha), float(1.0 / inv_v), r2, float(np.median(np.abs(pred - y) / y)), len(rows))


@dataclass
class Calibration:
    """Measured blocks and models of one GPU, and the loading fits derived from them."""

    device: str
    blocks: pd.DataFrame
    models: pd.DataFrame
    origin: str = ""
    extra: dict = field(default_factory=dict)

    def fit(self, source: str = "pinned") -> LoadingFit:
        return fit_loading(self.blocks, source)

    def inference_time(self, model: str) -> float | None:
        """Measured batch-1 inference time (s) of a model, or ``None`` if it was not measured."""
        import pandas as pd

        row = self.models[self.models["model"] == model]
        if row.empty or pd.isna(row["t_infer_b1_s"].iloc[0]):
            return None
        return float(row["t_infer_b1_s"].iloc[0])

    def to_json(self) -> str:
        def records(df: pd.DataFrame) -> list[dict]:
            return [
                {k: (None if (isinstance(v, float) and np.isnan(v)) else v) for k, v in r.items()}
                for r in df.to_dict(orient="records")
            ]

        return json.dumps(
            {
                "schema": SCHEMA,
                "device": self.device,
                "extra": self.extra,
                "blocks": records(self.blocks),
                "models": records(self.models),
            },
            indent=1,
        )

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json())


def _check_columns(df: pd.DataFrame, required: list[str], what: str) -> pd.DataFrame:
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}")
    return df


def load(path: str | Path) -> Calibration:
    """Read a calibration file written by ``partialopt profile``."""
    import pandas as pd

    data = json.loads(Path(path).read_text())
    if data.get("schema") != SCHEMA:
        raise ValueError(f"schema: expected {SCHEMA!r}, got {data.get('schema')!r} in {path}")
    for key in ("device", "blocks", "models"):
        if key not in data:
            raise ValueError(f"{key}: missing from calibration file {path}")
    blocks = _check_columns(pd.DataFrame(data["blocks"]).reindex(columns=BLOCK_COLUMNS), BLOCK_COLUMNS, "blocks")
    models = _check_columns(pd.DataFrame(data["models"]), ["model", "t_infer_b1_s"], "models")
    return Calibration(data["device"], blocks, models, origin=str(path), extra=data.get("extra", {}))


@lru_cache(maxsize=1)
def bundled() -> Calibration:
    """The H100 measurements shipped with the package (``partialopt/data/gpu_profile_h100``)."""
    import pandas as pd

    root = resources.files("partialopt") / "data" / "gpu_profile_h100"
    with resources.as_file(root) as d:
        blocks = pd.read_csv(Path(d) / "blocks.csv")
        models = pd.read_csv(Path(d) / "models.csv")
        env = json.loads((Path(d) / "env.json").read_text())
    return Calibration(env.get("gpu", "NVIDIA H100"), blocks, models, origin="bundled:gpu_profile_h100", extra=env)


def resolve(calibration: Calibration | str | Path | None) -> Calibration:
    """``None`` -> the bundled H100 data; a path -> :func:`load`; a Calibration -> itself."""
    if calibration is None:
        return bundled()
    if isinstance(calibration, Calibration):
        return calibration
    return load(calibration)
