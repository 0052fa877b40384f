"""``partialopt profile``: measure block loading and inference on the local GPU.

The measurement is the one behind the bundled H100 data (``partialopt/data/gpu_profile_h100``):

- every block of each architecture's table (:mod:`partialopt.presets.architectures`) is built as
  random host tensors of the exact shapes and dtypes (no weights are downloaded);
- loading time of a block = median over ``repeats`` of copying all its tensors host -> GPU
  followed by ``torch.cuda.synchronize()``, from pinned memory and from pageable memory, and
  (with ``safetensors`` installed) reading a safetensors file of the block straight to the GPU;
- ``raw`` rows: one contiguous buffer of growing size (the bandwidth curve);
- batch-1 inference time (224x224 images, 128 tokens) where torchvision / transformers can build
  the architecture from its configuration with random weights; otherwise left empty, and presets
  scale a measured time by MACs.

The result is a :class:`~partialopt.presets.calibration.Calibration` written as JSON
(``partialopt/calibration@1``); ``partialopt generate PRESET --calibration FILE`` uses it.
Torch is an optional extra (``pip install "partialopt[profile]"``). Without torch or without a
CUDA GPU the command stops with :class:`ProfileError` saying which is missing.

:func:`run_profile` holds the orchestration and takes the timing functions as arguments, so it is
tested without a GPU.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .presets.architectures import Architecture, BlockSpec, Tensor, architecture
from .presets.calibration import BLOCK_COLUMNS, SOURCES, Calibration

DEFAULT_ARCHS = ("resnet18", "resnet50", "resnet101", "vit_b_16", "vit_l_16", "bert_base", "llama_1.1b")
RAW_SIZES = tuple(4096 * 4**i for i in range(9))  # 4 KiB .. 256 MiB

BlockTimer = Callable[[BlockSpec, str], float | None]  # (block, source) -> seconds or None
InferTimer = Callable[[Architecture], float | None]  # architecture -> seconds or None


class ProfileError(RuntimeError):
    """The profiler cannot run here (no torch, no GPU); the message says what is missing."""


def run_profile(
    archs: Iterable[str],
    time_block: BlockTimer,
    time_inference: InferTimer,
    device: str,
    sources: Sequence[str] = SOURCES,
    raw_sizes: Sequence[int] = RAW_SIZES,
    progress: bool = False,
) -> Calibration:
    """Measure every block of ``archs`` with ``time_block`` and every model with
    ``time_inference``; return the calibration (block rows, model rows, fits on demand)."""
    from tqdm.auto import tqdm

    for s in sources:
        if s not in SOURCES:
            raise ValueError(f"sources: unknown loading source {s!r} (choose from {SOURCES})")
    archs = [architecture(a) for a in archs]
    rows: list[dict] = []
    for size in raw_sizes:
        raw = BlockSpec(f"bytes_{size}", (Tensor("raw", (size,), "uint8"),))
        rows.append(_row("raw", raw, {s: time_block(raw, s) for s in sources if s != "disk"}))
    models: list[dict] = []
    for arch in tqdm(archs, desc="profile", disable=not progress):
        for b in arch.blocks:
            rows.append(_row(arch.name, b, {s: time_block(b, s) for s in sources}))
        models.append(
            {
                "model": arch.name,
                "params": arch.params,
                "bytes": arch.bytes,
                "n_blocks": len(arch.blocks),
                "t_infer_b1_s": time_inference(arch),
                "dtype": arch.dtype,
            }
        )
    blocks = pd.DataFrame(rows).reindex(columns=BLOCK_COLUMNS)
    return Calibration(device, blocks, pd.DataFrame(models), origin="partialopt profile")


def _row(model: str, b: BlockSpec, times: dict[str, float | None]) -> dict:
    return {
        "model": model,
        "block": b.name,
        "n_tensors": b.n_tensors,
        "bytes": b.bytes,
        **{f"t_{s}_s": (np.nan if times.get(s) is None else float(times[s])) for s in SOURCES},
    }


def median_time(fn: Callable[[], None], sync: Callable[[], None], repeats: int, warmup: int = 2) -> float:
    """Median wall time of ``fn(); sync()`` over ``repeats`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
        sync()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


# -- the torch backend ----------------------------------------------------------------------------


def require_torch_gpu(device: str = "cuda"):
    """Import torch and check that a CUDA GPU is visible; raise :class:`ProfileError` otherwise."""
    try:
        import torch
    except ImportError as exc:
        raise ProfileError(
            'partialopt profile needs PyTorch, which is not installed: pip install "partialopt[profile]"'
        ) from exc
    if not torch.cuda.is_available():
        raise ProfileError(
            f"partialopt profile needs a CUDA GPU, and none is visible "
            f"(torch {torch.__version__}, built for CUDA {torch.version.cuda}); "
            f"run it on the machine whose GPU you want to calibrate"
        )
    return torch


def torch_timers(repeats: int, device: str = "cuda") -> tuple[BlockTimer, InferTimer, str]:
    """Timing functions measuring on the local GPU with torch."""
    torch = require_torch_gpu(device)
    dev = torch.device(device)
    sync = torch.cuda.synchronize
    tmp = Path(tempfile.mkdtemp(prefix="partialopt-profile-"))
    try:
        from safetensors.torch import load_file, save_file
    except ImportError:
        load_file = save_file = None

    def host_tensors(b: BlockSpec, pinned: bool):
        out = {}
        for t in b.tensors:
            dt = getattr(torch, t.dtype)
            x = torch.empty(t.shape, dtype=dt)
            if dt.is_floating_point:
                x.normal_()
            out[t.name] = x.pin_memory() if pinned else x
        return out

    def time_block(b: BlockSpec, source: str) -> float | None:
        if source == "disk":
            if save_file is None:
                return None
            path = tmp / "block.safetensors"
            save_file(host_tensors(b, False), str(path))
            t = median_time(lambda: load_file(str(path), device=str(dev)), sync, repeats)
            path.unlink()
            return t
        tensors = list(host_tensors(b, source == "pinned").values())
        return median_time(lambda: [x.to(dev) for x in tensors], sync, repeats)

    def time_inference(arch: Architecture) -> float | None:
        model, inputs = _build_torch_model(torch, arch)
        if model is None:
            return None
        model = model.to(dev).eval()
        inputs = {k: v.to(dev) for k, v in inputs.items()}
        with torch.inference_mode():
            t = median_time(lambda: model(**inputs), sync, repeats)
        model.cpu()
        torch.cuda.empty_cache()
        return t

    return time_block, time_inference, torch.cuda.get_device_name(dev)


def _build_torch_model(torch, arch: Architecture):
    """The architecture with random weights from torchvision / transformers, and its batch-1
    input; ``(None, None)`` if the library that builds it is not installed."""
    try:
        if arch.family in ("cnn", "vit"):
            import torchvision

            return getattr(torchvision.models, arch.name)(weights=None), {"x": torch.randn(1, 3, 224, 224)}
        import transformers

        ids = {"input_ids": torch.randint(0, 30000, (1, arch.seq_len))}
        if arch.family == "encoder":
            return transformers.BertModel(transformers.BertConfig()), ids
        d = arch.lora_targets[0][0]
        kv = arch.lora_targets[1][1]
        body = [b for b in arch.blocks if b.role == "body"]
        inter = body[0].tensors[4].shape[0]
        cfg = transformers.LlamaConfig(
            hidden_size=d,
            intermediate_size=inter,
            num_hidden_layers=len(body),
            num_attention_heads=32,
            num_key_value_heads=32 * kv // d,
        )
        return transformers.LlamaForCausalLM(cfg).half(), ids
    except ImportError:
        return None, None


def profile(
    output: str | Path,
    archs: Sequence[str] = DEFAULT_ARCHS,
    repeats: int = 20,
    device: str = "cuda",
    progress: bool = True,
) -> Calibration:
    """Measure on the local GPU and write the calibration file ``output``."""
    time_block, time_inference, name = torch_timers(repeats, device)
    cal = run_profile(archs, time_block, time_inference, name, progress=progress)
    cal.save(output)
    return cal
