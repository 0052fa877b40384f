"""Parameter-block tables of real architectures, computed from their configurations.

No weights are downloaded: every tensor's shape follows from the architecture's hyper-parameters
exactly as torchvision / Hugging Face build it, so a block's size ``s_j`` (bytes) and tensor count
``n_j`` (SPEC §1) are exact. A *block* is the unit the measured data uses
(``data/gpu_profile_h100/blocks.csv``): a top-level layer, one ResNet bottleneck/basic block, one
transformer layer.

Each block also carries its batch-1 multiply-accumulate count (MACs) at the measured input
(224x224 images, 128 tokens), used to scale measured inference times to architectures or
fine-tuned variants that were not measured: ``e_m = e_ref * MACs(m) / MACs(ref)``.

Counts checked in the tests against the published numbers (parameters, buffers excluded):
ResNet-18 11,689,512; ResNet-50 25,557,032; ResNet-101 44,549,160; ViT-B/16 86,567,656;
ViT-L/16 304,326,632; BERT-base 109,482,240; TinyLlama-1.1B 1,100,048,384; LLaMA-2-7B 6,738,415,616;
and block by block against the H100 measurements.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from math import prod

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "int64": 8, "uint8": 1}


@dataclass(frozen=True)
class Tensor:
    """One parameter or buffer: name, shape, dtype, and whether it is a trainable parameter."""

    name: str
    shape: tuple[int, ...]
    dtype: str = "float32"
    parameter: bool = True

    @property
    def numel(self) -> int:
        return prod(self.shape)

    @property
    def bytes(self) -> int:
        return self.numel * DTYPE_BYTES[self.dtype]


@dataclass(frozen=True)
class BlockSpec:
    """A block of an architecture: its tensors, its batch-1 MACs, and its role.

    ``role`` is ``"body"`` (fine-tuning may freeze or retrain it), ``"head"`` (the task head,
    replaced per task) or ``"io"`` (embeddings/stems: part of the pretrained backbone)."""

    name: str
    tensors: tuple[Tensor, ...]
    macs: float = 0.0
    role: str = "body"

    @property
    def bytes(self) -> int:
        return sum(t.bytes for t in self.tensors)

    @property
    def n_tensors(self) -> int:
        return len(self.tensors)

    @property
    def params(self) -> int:
        return sum(t.numel for t in self.tensors if t.parameter)

    def bytes_by_dtype(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for t in self.tensors:
            out[t.dtype] = out.get(t.dtype, 0) + t.bytes
        return out

    def tensors_by_dtype(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for t in self.tensors:
            out[t.dtype] = out.get(t.dtype, 0) + 1
        return out


@dataclass(frozen=True)
class Architecture:
    """An architecture's blocks in forward order, with what fine-tuning styles need to know.

    ``family``: ``"cnn"``, ``"vit"``, ``"encoder"`` or ``"decoder"``. ``measured``: the name
    in ``data/gpu_profile_h100/models.csv`` whose inference time applies, else ``None``.
    ``reference``: the measured architecture whose time is scaled by MACs when ``measured`` is
    ``None``. ``lora_targets``: per body block, the (in, out) shapes of the matrices a LoRA
    adapter attaches to (query and value projections)."""

    name: str
    family: str
    blocks: tuple[BlockSpec, ...]
    dtype: str
    measured: str | None = None
    reference: str | None = None
    lora_targets: tuple[tuple[int, int], ...] = field(default=())
    seq_len: int = 0

    @property
    def params(self) -> int:
        return sum(b.params for b in self.blocks)

    @property
    def bytes(self) -> int:
        return sum(b.bytes for b in self.blocks)

    @property
    def macs(self) -> float:
        return sum(b.macs for b in self.blocks)

    def table(self):
        """The block table as a pandas DataFrame: one row per block with role, tensors, bytes,
        parameters, MACs, and bytes / tensor count per dtype (``bytes_float32``, ``n_int64`` ...)."""
        import pandas as pd

        rows = []
        for b in self.blocks:
            row = {
                "block": b.name,
                "role": b.role,
                "n_tensors": b.n_tensors,
                "bytes": b.bytes,
                "params": b.params,
                "macs": b.macs,
            }
            row.update({f"bytes_{k}": v for k, v in b.bytes_by_dtype().items()})
            row.update({f"n_{k}": v for k, v in b.tensors_by_dtype().items()})
            rows.append(row)
        return pd.DataFrame(rows).fillna(0)

    def block(self, name: str) -> BlockSpec:
        for b in self.blocks:
            if b.name == name:
                return b
        raise KeyError(f"architecture {self.name} has no block {name!r}")

    def with_head(self, n_out: int) -> BlockSpec:
        """A task's head with ``n_out`` outputs: the last block re-sized (ResNet ``fc``, ViT
        ``heads``, LM head), or for an encoder the pooler plus a new ``classifier`` (as Hugging
        Face's ``BertForSequenceClassification``)."""
        head = self.blocks[-1]
        if self.family == "encoder":
            d = head.tensors[0].shape[0]
            cls = _linear("classifier", d, n_out)
            return BlockSpec(f"{head.name}+classifier", head.tensors + tuple(cls), head.macs + d * n_out, "head")
        w, *rest = head.tensors
        new_w = Tensor(w.name, (n_out,) + w.shape[1:], w.dtype)
        new_rest = tuple(Tensor(t.name, (n_out,), t.dtype) for t in rest)
        scale = n_out / w.shape[0]
        return BlockSpec(head.name, (new_w,) + new_rest, head.macs * scale, "head")


# -- building blocks -----------------------------------------------------------------------------


def _bn(prefix: str, c: int) -> list[Tensor]:
    """BatchNorm2d: weight, bias (parameters); running mean/var (fp32) and the int64 counter."""
    return [
        Tensor(f"{prefix}.weight", (c,)),
        Tensor(f"{prefix}.bias", (c,)),
        Tensor(f"{prefix}.running_mean", (c,), parameter=False),
        Tensor(f"{prefix}.running_var", (c,), parameter=False),
        Tensor(f"{prefix}.num_batches_tracked", (), "int64", parameter=False),
    ]


def _linear(prefix: str, n_in: int, n_out: int, dtype: str = "float32", bias: bool = True) -> list[Tensor]:
    t = [Tensor(f"{prefix}.weight", (n_out, n_in), dtype)]
    if bias:
        t.append(Tensor(f"{prefix}.bias", (n_out,), dtype))
    return t


def _norm(prefix: str, d: int, dtype: str = "float32", bias: bool = True) -> list[Tensor]:
    return [Tensor(f"{prefix}.weight", (d,), dtype)] + ([Tensor(f"{prefix}.bias", (d,), dtype)] if bias else [])


# -- ResNet (torchvision) --------------------------------------------------------------------------

_RESNET_LAYERS = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}


def resnet(depth: int, num_classes: int = 1000, image: int = 224) -> Architecture:
    """torchvision ``resnet{depth}``: stem conv1 + bn1, one block per residual unit, fc head."""
    kind, layers = _RESNET_LAYERS[depth]
    expansion = 1 if kind == "basic" else 4
    hw = image // 4  # after the stride-2 stem conv and the stride-2 max-pool
    blocks = [
        BlockSpec("conv1", (Tensor("conv1.weight", (64, 3, 7, 7)),), 64 * 3 * 49 * (image // 2) ** 2, "io"),
        BlockSpec("bn1", tuple(_bn("bn1", 64)), 0.0, "io"),
    ]
    inplanes = 64
    for li, (planes, n) in enumerate(zip((64, 128, 256, 512), layers), start=1):
        for bi in range(n):
            stride = 2 if (li > 1 and bi == 0) else 1
            out_hw = hw // stride
            p = f"layer{li}.{bi}"
            t: list[Tensor] = []
            if kind == "basic":
                t += [Tensor(f"{p}.conv1.weight", (planes, inplanes, 3, 3))] + _bn(f"{p}.bn1", planes)
                t += [Tensor(f"{p}.conv2.weight", (planes, planes, 3, 3))] + _bn(f"{p}.bn2", planes)
                macs = (planes * inplanes * 9 + planes * planes * 9) * out_hw**2
            else:
                t += [Tensor(f"{p}.conv1.weight", (planes, inplanes, 1, 1))] + _bn(f"{p}.bn1", planes)
                t += [Tensor(f"{p}.conv2.weight", (planes, planes, 3, 3))] + _bn(f"{p}.bn2", planes)
                t += [Tensor(f"{p}.conv3.weight", (planes * 4, planes, 1, 1))] + _bn(f"{p}.bn3", planes * 4)
                macs = planes * inplanes * hw**2 + (planes * planes * 9 + planes * 4 * planes) * out_hw**2
            if stride != 1 or inplanes != planes * expansion:
                t += [Tensor(f"{p}.downsample.0.weight", (planes * expansion, inplanes, 1, 1))]
                t += _bn(f"{p}.downsample.1", planes * expansion)
                macs += planes * expansion * inplanes * out_hw**2
            blocks.append(BlockSpec(p, tuple(t), float(macs)))
            inplanes = planes * expansion
            hw = out_hw
    blocks.append(BlockSpec("fc", tuple(_linear("fc", inplanes, num_classes)), float(inplanes * num_classes), "head"))
    return Architecture(
        f"resnet{depth}",
        "cnn",
        tuple(blocks),
        "float32",
        measured=f"resnet{depth}" if depth in (18, 50, 101) else None,
        reference="resnet50",
    )


# -- ViT (torchvision) -----------------------------------------------------------------------------

_VIT = {"b_16": (16, 12, 12, 768, 3072), "l_16": (16, 24, 16, 1024, 4096), "b_32": (32, 12, 12, 768, 3072)}


def vit(variant: str = "b_16", num_classes: int = 1000, image: int = 224) -> Architecture:
    """torchvision ``vit_{variant}``: class token, patch projection, position embedding,
    one block per encoder layer, final LayerNorm, classification head."""
    patch, n_layers, _heads, d, mlp = _VIT[variant]
    seq = (image // patch) ** 2 + 1
    blocks = [
        BlockSpec("class_token", (Tensor("class_token", (1, 1, d)),), 0.0, "io"),
        BlockSpec(
            "conv_proj",
            (Tensor("conv_proj.weight", (d, 3, patch, patch)), Tensor("conv_proj.bias", (d,))),
            float(d * 3 * patch * patch * (seq - 1)),
            "io",
        ),
        BlockSpec("encoder.pos_embedding", (Tensor("encoder.pos_embedding", (1, seq, d)),), 0.0, "io"),
    ]
    for i in range(n_layers):
        p = f"encoder.layers.encoder_layer_{i}"
        t = _norm(f"{p}.ln_1", d) + [
            Tensor(f"{p}.self_attention.in_proj_weight", (3 * d, d)),
            Tensor(f"{p}.self_attention.in_proj_bias", (3 * d,)),
        ]
        t += _linear(f"{p}.self_attention.out_proj", d, d) + _norm(f"{p}.ln_2", d)
        t += _linear(f"{p}.mlp.0", d, mlp) + _linear(f"{p}.mlp.3", mlp, d)
        macs = seq * (4 * d * d + 2 * d * mlp) + 2 * seq * seq * d
        blocks.append(BlockSpec(p, tuple(t), float(macs)))
    blocks.append(BlockSpec("encoder.ln", tuple(_norm("encoder.ln", d)), 0.0, "io"))
    blocks.append(BlockSpec("heads", tuple(_linear("heads.head", d, num_classes)), float(d * num_classes), "head"))
    name = f"vit_{variant}"
    return Architecture(
        name,
        "vit",
        tuple(blocks),
        "float32",
        measured=name if variant in ("b_16", "l_16") else None,
        reference="vit_b_16",
        lora_targets=((d, d), (d, d)),
        seq_len=seq,
    )


# -- BERT (Hugging Face BertModel) ----------------------------------------------------------------


def bert(
    n_layers: int = 12,
    d: int = 768,
    inter: int = 3072,
    vocab: int = 30522,
    max_pos: int = 512,
    seq: int = 128,
    name: str = "bert_base",
) -> Architecture:
    """Hugging Face ``BertModel`` (with pooler): embeddings, one block per encoder layer, pooler.
    The pooler is the last block; fine-tuning styles treat it as the task head."""
    blocks = [
        BlockSpec("embeddings.word_embeddings", (Tensor("embeddings.word_embeddings.weight", (vocab, d)),), 0.0, "io"),
        BlockSpec(
            "embeddings.position_embeddings",
            (Tensor("embeddings.position_embeddings.weight", (max_pos, d)),),
            0.0,
            "io",
        ),
        BlockSpec(
            "embeddings.token_type_embeddings", (Tensor("embeddings.token_type_embeddings.weight", (2, d)),), 0.0, "io"
        ),
        BlockSpec("embeddings.LayerNorm", tuple(_norm("embeddings.LayerNorm", d)), 0.0, "io"),
    ]
    for i in range(n_layers):
        p = f"encoder.layer.{i}"
        t = (
            _linear(f"{p}.attention.self.query", d, d)
            + _linear(f"{p}.attention.self.key", d, d)
            + _linear(f"{p}.attention.self.value", d, d)
            + _linear(f"{p}.attention.output.dense", d, d)
            + _norm(f"{p}.attention.output.LayerNorm", d)
            + _linear(f"{p}.intermediate.dense", d, inter)
            + _linear(f"{p}.output.dense", inter, d)
            + _norm(f"{p}.output.LayerNorm", d)
        )
        blocks.append(BlockSpec(p, tuple(t), float(seq * (4 * d * d + 2 * d * inter) + 2 * seq * seq * d)))
    blocks.append(BlockSpec("pooler.dense", tuple(_linear("pooler.dense", d, d)), float(d * d), "head"))
    return Architecture(
        name,
        "encoder",
        tuple(blocks),
        "float32",
        measured=name if name == "bert_base" else None,
        reference="bert_base",
        lora_targets=((d, d), (d, d)),
        seq_len=seq,
    )


# -- LLaMA-style decoder (Hugging Face LlamaForCausalLM) ------------------------------------------


def llama(
    n_layers: int,
    d: int,
    inter: int,
    n_heads: int,
    n_kv_heads: int,
    vocab: int = 32000,
    seq: int = 128,
    dtype: str = "float16",
    tie_embeddings: bool = False,
    name: str = "llama",
) -> Architecture:
    """``LlamaForCausalLM``: token embedding, one block per decoder layer (q/k/v/o projections,
    gated MLP, two RMSNorms: 9 tensors), final norm, LM head (absent when tied)."""
    kv = d // n_heads * n_kv_heads
    blocks = [BlockSpec("model.embed_tokens", (Tensor("model.embed_tokens.weight", (vocab, d), dtype),), 0.0, "io")]
    for i in range(n_layers):
        p = f"model.layers.{i}"
        t = (
            _linear(f"{p}.self_attn.q_proj", d, d, dtype, False)
            + _linear(f"{p}.self_attn.k_proj", d, kv, dtype, False)
            + _linear(f"{p}.self_attn.v_proj", d, kv, dtype, False)
            + _linear(f"{p}.self_attn.o_proj", d, d, dtype, False)
            + _linear(f"{p}.mlp.gate_proj", d, inter, dtype, False)
            + _linear(f"{p}.mlp.up_proj", d, inter, dtype, False)
            + _linear(f"{p}.mlp.down_proj", inter, d, dtype, False)
            + _norm(f"{p}.input_layernorm", d, dtype, False)
            + _norm(f"{p}.post_attention_layernorm", d, dtype, False)
        )
        macs = seq * (2 * d * d + 2 * d * kv + 3 * d * inter) + 2 * seq * seq * d
        blocks.append(BlockSpec(p, tuple(t), float(macs)))
    blocks.append(BlockSpec("model.norm", tuple(_norm("model.norm", d, dtype, False)), 0.0, "io"))
    if not tie_embeddings:
        blocks.append(
            BlockSpec("lm_head.weight", (Tensor("lm_head.weight", (vocab, d), dtype),), float(seq * vocab * d), "head")
        )
    return Architecture(
        name,
        "decoder",
        tuple(blocks),
        dtype,
        measured=name if name == "llama_1.1b" else None,
        reference="llama_1.1b",
        lora_targets=((d, d), (d, kv)),
        seq_len=seq,
    )


ARCHITECTURES: dict[str, Callable[[], Architecture]] = {
    "resnet18": lambda: resnet(18),
    "resnet34": lambda: resnet(34),
    "resnet50": lambda: resnet(50),
    "resnet101": lambda: resnet(101),
    "vit_b_16": lambda: vit("b_16"),
    "vit_l_16": lambda: vit("l_16"),
    "bert_base": lambda: bert(),
    # TinyLlama-1.1B configuration (the measured 1.1B decoder: 22 layers, hidden 2048, 4 KV heads)
    "llama_1.1b": lambda: llama(22, 2048, 5632, 32, 4, name="llama_1.1b"),
    # LLaMA-2-7B configuration (32 layers, hidden 4096, MLP 11008, 32 heads, no GQA)
    "llama_7b": lambda: llama(32, 4096, 11008, 32, 32, name="llama_7b"),
}

PUBLISHED_PARAMS = {
    "resnet18": 11_689_512,
    "resnet34": 21_797_672,
    "resnet50": 25_557_032,
    "resnet101": 44_549_160,
    "vit_b_16": 86_567_656,
    "vit_l_16": 304_326_632,
    "bert_base": 109_482_240,
    "llama_1.1b": 1_100_048_384,
    "llama_7b": 6_738_415_616,
}


def architecture(name: str) -> Architecture:
    """The block table of a named architecture (see :data:`ARCHITECTURES`)."""
    if name not in ARCHITECTURES:
        raise ValueError(f"architecture: unknown architecture {name!r} (choose from {sorted(ARCHITECTURES)})")
    return ARCHITECTURES[name]()
