"""Seeded scenario generator: fine-tuned families on a calibrated GPU, users in a radio cell.

Server side (SPEC §1-2): block sizes from :mod:`.architectures`, sharing from :mod:`.finetune`,
``alpha`` and ``v`` from the calibration's fit for the chosen loading source, and inference times

    e_m = e_meas(arch) * MACs(m) / MACs(arch)            if the architecture was measured,
    e_m = e_meas(ref)  * MACs(m) / MACs(ref)             otherwise (ref: same kind, measured),

so a fine-tuned head or a LoRA adapter changes ``e_m`` by its extra MACs; each model's source is
written in ``instance.meta["inference_source"]``.

Radio side (SPEC §3): users uniform in a disc cell of radius ``cell_radius`` around the server
(at least ``min_distance`` away), 3GPP macro path loss ``128.1 + 37.6 log10(d_km)`` dB with
optional log-normal shadowing, transmit power ``power`` (W), noise PSD ``noise_psd_dbm`` (dBm/Hz),
total bandwidth ``total_bandwidth`` (Hz). Data per user: a JPEG image (``image_kb`` kB range) for
vision and encoder families, a prompt of ``tokens`` tokens at 32 bits/token for decoders.
With ``rate="fixed_snr"`` a user's SNR is its received SNR over the whole band ``B``.
Requests pick a model by a Zipf law over the models (exponent ``zipf``; 0 = uniform).
Deadlines: a ``(lo, hi)`` range in seconds (per user, uniform) or one number (a common deadline).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..generators import path_loss_gain
from ..instance import Block, Instance, InstanceError, Model, Server, User
from .architectures import architecture
from .calibration import SOURCES, Calibration, resolve
from .finetune import Family, family

TOKEN_BITS = 32


@dataclass(frozen=True)
class FamilySpec:
    """One fine-tuned family of a scenario (arguments of :func:`.finetune.family`)."""

    arch: str
    style: str
    tasks: int | tuple = 3
    frozen: float = 0.5
    lora_rank: int = 8
    retrain: float = 0.25
    base: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Radio:
    """The cell: geometry, path loss, transmit power, noise and spectrum."""

    cell_radius: float = 250.0
    min_distance: float = 10.0
    shadowing_db: float = 0.0
    power: float = 0.2
    noise_psd_dbm: float = -174.0
    total_bandwidth: float = 20e6
    image_kb: tuple[float, float] = (20.0, 60.0)
    tokens: tuple[int, int] = (32, 512)


@dataclass(frozen=True)
class Scenario:
    """Everything a realistic instance is made of; :func:`build` turns it into an Instance."""

    families: tuple[FamilySpec, ...]
    deadline: float | tuple[float, float] = (0.05, 0.5)
    loading: str = "pageable"
    radio: Radio = field(default_factory=Radio)
    zipf: float = 0.8
    rate: str = "shannon"
    overlap: str = "sequential"


def inference_times(fams: Sequence[Family], cal: Calibration) -> tuple[dict[str, float], dict[str, str]]:
    """``e_m`` for every model and a note saying whether it was measured or MACs-scaled."""
    e: dict[str, float] = {}
    src: dict[str, str] = {}
    for fam in fams:
        arch = fam.arch
        ref_name = arch.name if cal.inference_time(arch.name) is not None else arch.reference
        t_ref = cal.inference_time(ref_name) if ref_name else None
        if t_ref is None:
            raise ValueError(
                f"calibration: no measured inference time for {arch.name} or its reference "
                f"{arch.reference!r} in {cal.origin or cal.device}"
            )
        ref_macs = architecture(ref_name).macs
        for m in fam.models:
            e[m.id] = t_ref * m.macs / ref_macs
            same = ref_name == arch.name and abs(m.macs - ref_macs) <= 1e-12 * ref_macs
            src[m.id] = f"measured:{ref_name}" if same else f"macs-scaled from measured {ref_name}"
    return e, src


def build_families(
    specs: Sequence[FamilySpec], rng: np.random.Generator, cal: Calibration
) -> tuple[list[Family], tuple[Block, ...], dict[str, float], dict[str, str]]:
    """The families of ``specs`` (each seeded from ``rng``), their blocks (shared blocks once) and
    their models' inference times with where each came from (:func:`inference_times`)."""
    fams = [
        family(
            f.arch,
            f.style,
            f.tasks,
            frozen=f.frozen,
            lora_rank=f.lora_rank,
            retrain=f.retrain,
            base=f.base,
            name=f.name,
            seed=int(rng.integers(2**31)),
        )
        for f in specs
    ]
    names = [f.name for f in fams]
    if len(set(names)) != len(names):
        raise ValueError(f"families: two families share a name {names}; give them distinct name=")
    e, src = inference_times(fams, cal)
    spec_of = {bid: spec for fam in fams for bid, spec in fam.blocks.items()}
    blocks = tuple(Block(bid, spec.bytes, spec.n_tensors) for bid, spec in spec_of.items())
    return fams, blocks, e, src


def build(
    scenario: Scenario, users: int, seed: int = 0, calibration: Calibration | str | Path | None = None
) -> Instance:
    """A seeded instance of ``scenario`` with ``users`` users."""
    if users < 1:
        raise ValueError(f"users: must be >= 1, got {users}")
    if scenario.loading not in SOURCES:
        raise ValueError(f"loading: unknown loading source {scenario.loading!r} (choose from {SOURCES})")
    if not scenario.families:
        raise ValueError("families: a scenario needs at least one fine-tuned family")
    dl = scenario.deadline
    if isinstance(dl, tuple):
        if not (len(dl) == 2 and 0 < dl[0] <= dl[1] and all(np.isfinite(dl))):
            raise ValueError(f"deadline: expected (lo, hi) with 0 < lo <= hi, got {dl}")
    elif not (np.isfinite(dl) and dl > 0):
        raise ValueError(f"deadline: must be a positive number or a (lo, hi) range, got {dl}")
    cal = resolve(calibration)
    fit = cal.fit(scenario.loading)
    rng = np.random.default_rng(seed)
    fams, blocks, e, e_src = build_families(scenario.families, rng, cal)
    models = tuple(Model(m.id, m.blocks, e[m.id]) for fam in fams for m in fam.models)
    kind = {m.id: fam.arch.family for fam in fams for m in fam.models}

    radio = scenario.radio
    n_models = len(models)
    weights = 1.0 / np.arange(1, n_models + 1) ** scenario.zipf
    popularity = rng.permutation(n_models)
    p = weights[np.argsort(popularity)]
    p = p / p.sum()
    choice = rng.choice(n_models, size=users, p=p)
    r = np.sqrt(rng.uniform((radio.min_distance / radio.cell_radius) ** 2, 1.0, users)) * radio.cell_radius
    gain = (
        path_loss_gain(r) * 10 ** (-rng.normal(0.0, radio.shadowing_db, users) / 10)
        if radio.shadowing_db
        else path_loss_gain(r)
    )
    snr_at = radio.power * gain / (10 ** (radio.noise_psd_dbm / 10) / 1000 * radio.total_bandwidth)
    out: list[User] = []
    for k in range(users):
        m = models[int(choice[k])]
        if kind[m.id] == "decoder":
            bits = float(rng.integers(radio.tokens[0], radio.tokens[1] + 1) * TOKEN_BITS)
        else:
            bits = float(rng.uniform(*radio.image_kb) * 8e3)
        T = float(dl) if not isinstance(dl, tuple) else float(rng.uniform(*dl))
        if T <= m.inference_time:
            raise InstanceError(
                f"deadline: {T:g} s is not above model {m.id}'s inference time "
                f"{m.inference_time:g} s; raise the deadline range"
            )
        if scenario.rate == "shannon":
            out.append(User(f"u{k}", m.id, bits, T, power=radio.power, gain=float(gain[k])))
        else:
            out.append(User(f"u{k}", m.id, bits, T, snr=float(snr_at[k])))
    server = Server(
        load_bandwidth=fit.v,
        tensor_overhead=fit.alpha,
        total_bandwidth=radio.total_bandwidth,
        noise_psd=10 ** (radio.noise_psd_dbm / 10) / 1000,
        rate=scenario.rate,
        overlap=scenario.overlap,
        initial_model=None,
    )
    meta = {
        "generator": "presets.scenarios.build",
        "seed": seed,
        "scenario": _jsonable(asdict(scenario)),
        "calibration": {
            "device": cal.device,
            "origin": cal.origin,
            "source": fit.source,
            "alpha": fit.alpha,
            "v": fit.v,
            "r2": fit.r2,
        },
        "inference_source": e_src,
    }
    return Instance(server, blocks, models, tuple(out), meta=meta)


def _jsonable(x):
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    return x
