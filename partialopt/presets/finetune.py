"""Fine-tuning styles: which blocks a family of fine-tuned models shares (SPEC §1, §6).

A *family* is a set of task models fine-tuned from one pretrained checkpoint (``base``) of one
architecture. Blocks left frozen keep the checkpoint's id ``"{base}:{block}"`` and are shared by
every model that keeps them (also across families built on the same ``base``); blocks a task
retrains get the id ``"{family}/{task}:{block}"`` and belong to that model alone.

Styles:

- ``"frozen_bottom"`` (the paper's bottom-layer sharing): the bottom ``frozen`` fraction of the
  body blocks, and the stem/embeddings below them, are shared; every block above, and a task head
  sized to the task's classes, are per task. One cut per family, so the family is one cluster of
  the backbone class (SPEC §6).
- ``"head"``: full backbone shared, only the task head is per task (``frozen = 1``).
- ``"lora"``: the whole pretrained model is shared; each task adds one adapter block with LoRA
  matrices ``A (r x d_in)`` and ``B (d_out x r)`` on the query and value projections of every layer
  (unmerged, so they cost ``seq * r * (d_in + d_out)`` MACs each); classification families also
  get a per-task head. Transformers only.
- ``"mixed"`` (the general class): a fine-tuning tree. Each task starts from the base or from an
  earlier task (chosen at random, seeded) and retrains a random ``retrain`` fraction of the body
  blocks at arbitrary depths, so blocks are shared at arbitrary positions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import ceil

import numpy as np

from .architectures import Architecture, BlockSpec, Tensor, architecture

STYLES = ("frozen_bottom", "head", "lora", "mixed")

# Default task lists (name, number of classes; None keeps the pretrained head).
VISION_TASKS = [
    ("pets", 37),
    ("flowers", 102),
    ("food", 101),
    ("cifar100", 100),
    ("cars", 196),
    ("aircraft", 100),
    ("dtd", 47),
    ("cub", 200),
    ("eurosat", 10),
    ("svhn", 10),
]
TEXT_TASKS = [("sst2", 2), ("mnli", 3), ("qnli", 2), ("qqp", 2), ("rte", 2), ("cola", 2), ("mrpc", 2), ("stsb", 1)]
LLM_TASKS = [
    ("chat", None),
    ("code", None),
    ("math", None),
    ("summarize", None),
    ("translate", None),
    ("sql", None),
    ("medical", None),
    ("legal", None),
]


@dataclass(frozen=True)
class FamilyModel:
    """One fine-tuned model: id, its block ids in forward order, its batch-1 MACs, its task."""

    id: str
    blocks: tuple[str, ...]
    macs: float
    task: str


@dataclass(frozen=True)
class Family:
    """Blocks (id -> spec) and models of a fine-tuned family."""

    name: str
    arch: Architecture
    style: str
    base: str
    blocks: dict[str, BlockSpec]
    models: tuple[FamilyModel, ...]


def default_tasks(arch: Architecture, n: int) -> list[tuple[str, int | None]]:
    pool = {"cnn": VISION_TASKS, "vit": VISION_TASKS, "encoder": TEXT_TASKS, "decoder": LLM_TASKS}[arch.family]
    return [
        (pool[i % len(pool)][0] + ("" if i < len(pool) else f"{i // len(pool)}"), pool[i % len(pool)][1])
        for i in range(n)
    ]


def lora_adapter(arch: Architecture, rank: int, name: str) -> BlockSpec:
    """One adapter block: ``A``/``B`` for each LoRA target of every body layer."""
    tensors: list[Tensor] = []
    macs = 0.0
    for b in (x for x in arch.blocks if x.role == "body"):
        for ti, (d_in, d_out) in enumerate(arch.lora_targets):
            tensors += [
                Tensor(f"{b.name}.lora{ti}.A", (rank, d_in), arch.dtype),
                Tensor(f"{b.name}.lora{ti}.B", (d_out, rank), arch.dtype),
            ]
            macs += arch.seq_len * rank * (d_in + d_out)
    return BlockSpec(name, tuple(tensors), macs, "adapter")


def family(
    arch: Architecture | str,
    style: str,
    tasks: int | Sequence[tuple[str, int | None]] = 3,
    *,
    frozen: float = 0.5,
    lora_rank: int = 8,
    retrain: float = 0.25,
    base: str | None = None,
    name: str | None = None,
    seed: int = 0,
) -> Family:
    """Build a family of fine-tuned models of ``arch`` in one of :data:`STYLES`.

    ``tasks``: a count (default task names and class counts for the architecture's kind) or a list
    of ``(task, n_classes)``. ``frozen``: fraction of body blocks shared by ``frozen_bottom``.
    ``lora_rank``: ``r`` of ``lora``. ``retrain``: fraction of body blocks each task of ``mixed``
    retrains. ``base``: checkpoint id of the shared blocks (default: the architecture's name).
    """
    arch = architecture(arch) if isinstance(arch, str) else arch
    if style not in STYLES:
        raise ValueError(f"style: unknown fine-tuning style {style!r} (choose from {STYLES})")
    if style == "lora" and not arch.lora_targets:
        raise ValueError(f"style: 'lora' needs a transformer architecture; {arch.name} is a {arch.family}")
    if not 0.0 <= frozen <= 1.0:
        raise ValueError(f"frozen: must be in [0, 1], got {frozen}")
    if not 0.0 < retrain <= 1.0:
        raise ValueError(f"retrain: must be in (0, 1], got {retrain}")
    if lora_rank < 1:
        raise ValueError(f"lora_rank: must be >= 1, got {lora_rank}")
    task_list = default_tasks(arch, tasks) if isinstance(tasks, int) else list(tasks)
    if not task_list:
        raise ValueError("tasks: a family needs at least one task")
    base = base or arch.name
    name = name or f"{arch.name}-{style}"
    rng = np.random.default_rng(seed)
    blocks: dict[str, BlockSpec] = {}
    body = [i for i, b in enumerate(arch.blocks) if b.role == "body"]

    def shared(i: int) -> str:
        bid = f"{base}:{arch.blocks[i].name}"
        blocks[bid] = arch.blocks[i]
        return bid

    def own(task: str, spec: BlockSpec) -> str:
        bid = f"{name}/{task}:{spec.name}"
        blocks[bid] = spec
        return bid

    def head(task: str, n_out: int | None) -> tuple[str, float]:
        spec = arch.blocks[-1] if n_out is None else arch.with_head(n_out)
        return (shared(len(arch.blocks) - 1) if n_out is None else own(task, spec)), spec.macs

    models: list[FamilyModel] = []
    parents: list[dict[int, str]] = []  # for "mixed": position -> block id of each earlier task
    for task, n_out in task_list:
        ids: dict[int, str] = {}
        macs = 0.0
        if style in ("frozen_bottom", "head"):
            n_frozen = len(body) if style == "head" else int(round(frozen * len(body)))
            cut = body[n_frozen] if n_frozen < len(body) else len(arch.blocks) - 1
            for i in range(len(arch.blocks) - 1):
                ids[i] = shared(i) if i < cut else own(task, arch.blocks[i])
        elif style == "lora":
            for i in range(len(arch.blocks) - 1):
                ids[i] = shared(i)
            adapter = lora_adapter(arch, lora_rank, f"lora_r{lora_rank}")
            ids[-1] = own(task, adapter)
            macs += adapter.macs
        else:  # mixed: a fine-tuning tree
            parent = int(rng.integers(len(parents) + 1)) - 1
            start = parents[parent] if parent >= 0 else {i: None for i in range(len(arch.blocks) - 1)}
            n_re = max(1, ceil(retrain * len(body)))
            redo = set(int(i) for i in rng.choice(body, size=min(n_re, len(body)), replace=False))
            for i in range(len(arch.blocks) - 1):
                if i in redo:
                    ids[i] = own(task, arch.blocks[i])
                else:
                    ids[i] = start[i] if start[i] is not None else shared(i)
            parents.append(dict(ids))
        if style == "lora" and arch.family == "decoder":
            n_out = None
        hid, hmacs = head(task, n_out)
        order = [ids[i] for i in range(len(arch.blocks) - 1)] + ([ids[-1]] if -1 in ids else []) + [hid]
        macs += sum(arch.blocks[i].macs for i in range(len(arch.blocks) - 1)) + hmacs
        models.append(FamilyModel(f"{name}/{task}", tuple(order), macs, task))
    return Family(name, arch, style, base, blocks, tuple(models))
