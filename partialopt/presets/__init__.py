"""Named instance presets for ``partialopt generate PRESET`` and the model zoo behind them.

Realistic presets (block sizes from real architectures, loading calibrated on measured data):

================================  ==========================================================
``vision-frozen-bottom``          ResNet-18, ResNet-50 and ViT-B/16 families, 3 tasks each,
                                  bottom half frozen (the paper's bottom-layer sharing),
                                  per-user deadlines 30-300 ms, pageable host memory
``vision-frozen-bottom-common``   the same with one common deadline of 150 ms (the DP's class)
``vision-mixed``                  ResNet-50 and ViT-B/16 fine-tuning trees: blocks shared at
                                  arbitrary depths (the general class)
``llm-serving``                   LLaMA-1.1B and LLaMA-7B with 4 LoRA adapters each plus a
                                  BERT-base family with per-task heads; prompts as token
                                  sequences; deadlines 0.2-2 s; pinned host memory
================================  ==========================================================

Synthetic presets (uniform random sizes): ``backbone-common``, ``backbone-deadlines``, ``general``.

Every preset is ``fn(users, seed, **options) -> Instance``. Realistic presets take
``calibration`` (a file written by ``partialopt profile``; default: the bundled H100 data),
``loading`` (``pinned | pageable | disk``) and ``frozen`` (the shared fraction of body blocks of
their ``frozen_bottom`` families). Add a preset with one entry in :data:`PRESETS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ..instance import Instance
from . import synthetic
from .architectures import ARCHITECTURES, Architecture, BlockSpec, architecture
from .calibration import Calibration, bundled, fit_loading
from .finetune import STYLES, Family, family
from .scenarios import FamilySpec, Radio, Scenario, build

VISION_FAMILIES = (
    FamilySpec("resnet18", "frozen_bottom"),
    FamilySpec("resnet50", "frozen_bottom"),
    FamilySpec("vit_b_16", "frozen_bottom"),
)

SCENARIOS: dict[str, Scenario] = {
    "vision-frozen-bottom": Scenario(VISION_FAMILIES, deadline=(0.03, 0.3), loading="pageable"),
    "vision-frozen-bottom-common": Scenario(VISION_FAMILIES, deadline=0.15, loading="pageable"),
    "vision-mixed": Scenario(
        (FamilySpec("resnet50", "mixed", 4), FamilySpec("vit_b_16", "mixed", 4)),
        deadline=(0.03, 0.3),
        loading="pageable",
    ),
    "llm-serving": Scenario(
        (FamilySpec("llama_1.1b", "lora", 4), FamilySpec("llama_7b", "lora", 4), FamilySpec("bert_base", "head", 3)),
        deadline=(0.2, 2.0),
        loading="pinned",
    ),
}


@dataclass(frozen=True)
class Preset:
    name: str
    fn: Callable[..., Instance]
    description: str
    realistic: bool


def _scenario_preset(name: str) -> Callable[..., Instance]:
    def fn(
        users: int, seed: int = 0, *, calibration=None, loading: str | None = None, frozen: float | None = None
    ) -> Instance:
        sc = SCENARIOS[name]
        if loading is not None:
            sc = replace(sc, loading=loading)
        if frozen is not None:
            if not any(f.style == "frozen_bottom" for f in sc.families):
                raise ValueError(f"frozen: preset {name!r} has no frozen_bottom family")
            sc = replace(
                sc, families=tuple(replace(f, frozen=frozen) if f.style == "frozen_bottom" else f for f in sc.families)
            )
        return build(sc, users, seed, calibration)

    return fn


PRESETS: dict[str, Preset] = {
    "vision-frozen-bottom": Preset(
        "vision-frozen-bottom",
        _scenario_preset("vision-frozen-bottom"),
        "ResNet-18/50 + ViT-B/16, 3 tasks each, bottom half frozen; deadlines 30-300 ms",
        True,
    ),
    "vision-frozen-bottom-common": Preset(
        "vision-frozen-bottom-common",
        _scenario_preset("vision-frozen-bottom-common"),
        "same families, one common deadline 150 ms (DP-exact class)",
        True,
    ),
    "vision-mixed": Preset(
        "vision-mixed",
        _scenario_preset("vision-mixed"),
        "ResNet-50 + ViT-B/16 fine-tuning trees, blocks shared at arbitrary depths",
        True,
    ),
    "llm-serving": Preset(
        "llm-serving",
        _scenario_preset("llm-serving"),
        "LLaMA-1.1B/7B with LoRA adapters + BERT-base heads; token prompts; 0.2-2 s",
        True,
    ),
    "backbone-common": Preset(
        "backbone-common", synthetic.backbone_common, "synthetic: 6 models in 2 clusters, common deadline", False
    ),
    "backbone-deadlines": Preset(
        "backbone-deadlines",
        synthetic.backbone_deadlines,
        "synthetic: 6 models in 2 clusters, per-user deadlines, binding budget",
        False,
    ),
    "general": Preset(
        "general",
        synthetic.general_sharing,
        "synthetic: 6 models sharing random blocks, per-user deadlines, binding budget",
        False,
    ),
}


def generate(preset: str, users: int, seed: int = 0, **options: Any) -> Instance:
    """A seeded instance of a named preset; ``options`` go to realistic presets
    (``calibration``, ``loading``, ``frozen``)."""
    if preset not in PRESETS:
        raise ValueError(f"preset: unknown preset {preset!r} (choose from {sorted(PRESETS)})")
    if users < 1:
        raise ValueError(f"users: must be >= 1, got {users}")
    p = PRESETS[preset]
    options = {k: v for k, v in options.items() if v is not None}
    if options and not p.realistic:
        raise ValueError(f"{sorted(options)[0]}: preset {preset!r} is synthetic and takes no options")
    inst = p.fn(users, seed, **options)
    return inst.replace(meta={**inst.meta, "preset": preset})


__all__ = [
    "PRESETS",
    "Preset",
    "SCENARIOS",
    "generate",
    "Scenario",
    "FamilySpec",
    "Radio",
    "build",
    "ARCHITECTURES",
    "Architecture",
    "BlockSpec",
    "architecture",
    "STYLES",
    "Family",
    "family",
    "Calibration",
    "bundled",
    "fit_loading",
]
