"""Seeded pulling instances built from the model zoo (:mod:`partialopt.presets`).

``zoo_instance``: fine-tuned families of real architectures (ResNet-50 with its bottom three
quarters frozen and ViT-B/16 with a shared backbone, 4 vision tasks each; LLaMA-1.1B and
LLaMA-7B with 4 LoRA adapters each) (block sizes from their
configurations, inference times from the H100 measurements, as the scheduling presets), each
task model with a task type and an accuracy; cloudlets placed on a unit square with storage,
compute and a pulling rate from the data center; request groups at random cloudlets.

Accuracies are illustrative, not measured: a per-architecture base (ResNet-18 0.80, ResNet-50
0.86, ViT-B/16 0.90, ViT-L/16 0.92, BERT-base 0.88, LLaMA-1.1B 0.70, LLaMA-7B 0.82) plus a seeded
jitter in [-0.03, 0.03]; a model that retrains more (larger own part) does not get more
accuracy. Transfer cost ``h_{o,c}`` = Euclidean distance x ``hop_cost`` s/bit (0 at home).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..presets.calibration import bundled
from ..presets.scenarios import FamilySpec, build_families
from .instance import Cloudlet, PullingInstance, PullModel, RequestGroup

BASE_ACCURACY = {
    "resnet18": 0.80,
    "resnet34": 0.83,
    "resnet50": 0.86,
    "resnet101": 0.88,
    "vit_b_16": 0.90,
    "vit_l_16": 0.92,
    "bert_base": 0.88,
    "llama_1.1b": 0.70,
    "llama_7b": 0.82,
}

# Vision families share task types (a group can pick ResNet or ViT), as do the two LLMs; the styles
# share most bytes within a family (the "common knowledge" regime of the second seed).
VISION = (("pets", 37), ("flowers", 102), ("food", 101), ("cars", 196))
LLM = (("chat", None), ("code", None), ("math", None), ("sql", None))
ZOO_FAMILIES = (
    FamilySpec("resnet50", "frozen_bottom", VISION, frozen=0.75),
    FamilySpec("vit_b_16", "head", VISION),
    FamilySpec("llama_1.1b", "lora", LLM),
    FamilySpec("llama_7b", "lora", LLM),
)


@dataclass(frozen=True)
class CloudletSpec:
    storage_gb: tuple[float, float] = (2.0, 24.0)
    compute: tuple[float, float] = (0.5, 2.0)  # inference-seconds per frame
    pull_gbps: tuple[float, float] = (0.5, 2.0)  # Gbit/s backhaul from the data center
    hop_cost: float = 1e-9  # s/bit per unit distance (1 Gbit/s links)


def zoo_instance(
    n_cloudlets: int = 4,
    n_groups: int = 12,
    seed: int = 0,
    families=ZOO_FAMILIES,
    cloudlets: CloudletSpec = CloudletSpec(),
    storage_scale: float = 1.0,
    demand: tuple[float, float] = (5.0, 50.0),
    penalty: float = 0.5,
) -> PullingInstance:
    """A seeded instance (see the module docstring); ``storage_scale`` multiplies every ``Q_c``."""
    if n_cloudlets < 1:
        raise ValueError(f"n_cloudlets: must be >= 1, got {n_cloudlets}")
    if n_groups < 1:
        raise ValueError(f"n_groups: must be >= 1, got {n_groups}")
    if not storage_scale > 0:
        raise ValueError(f"storage_scale: must be > 0, got {storage_scale}")
    rng = np.random.default_rng(seed)
    fams, blocks, e, _src = build_families(families, rng, bundled())
    models = []
    for fam in fams:
        for m in fam.models:
            acc = float(np.clip(BASE_ACCURACY.get(fam.arch.name, 0.8) + rng.uniform(-0.03, 0.03), 0, 1))
            models.append(PullModel(m.id, m.blocks, m.task, round(acc, 4), e[m.id]))
    kind = {m.task: fam.arch.family for fam in fams for m in fam.models}
    tasks = sorted(kind)
    cs = cloudlets
    pos = rng.uniform(0, 1, (n_cloudlets, 2))
    cl = tuple(
        Cloudlet(
            f"c{i}",
            float(rng.uniform(*cs.storage_gb)) * 1e9 * storage_scale,
            float(rng.uniform(*cs.compute)),
            float(rng.uniform(*cs.pull_gbps)) * 1e9 / 8,
        )
        for i in range(n_cloudlets)
    )
    dist = np.linalg.norm(pos[:, None, :] - pos[None, :, :], axis=2)
    transfer = tuple(tuple(float(cs.hop_cost * d) for d in row) for row in dist)
    groups = []
    for r in range(n_groups):
        task = tasks[int(rng.integers(len(tasks)))]
        bits = float(rng.uniform(20, 60) * 8e3) if kind[task] != "decoder" else float(rng.integers(32, 513) * 32)
        accs = sorted(m.accuracy for m in models if m.task == task)
        A = float(rng.choice([0.0, accs[len(accs) // 2]]))  # half the groups ask for the better models
        groups.append(
            RequestGroup(
                f"r{r}", f"c{int(rng.integers(n_cloudlets))}", task, float(rng.uniform(*demand)), bits, A, penalty
            )
        )
    return PullingInstance(
        blocks,
        tuple(models),
        cl,
        tuple(groups),
        transfer,
        meta={
            "generator": "pulling.zoo_instance",
            "seed": seed,
            "n_cloudlets": n_cloudlets,
            "n_groups": n_groups,
            "storage_scale": storage_scale,
        },
    )
