"""Model zoo, fine-tuning styles, calibration, scenarios and ``partialopt profile`` (issue 5)."""

import hashlib
import json
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import partialopt as po
from partialopt.algorithms.dp import backbone_structure
from partialopt.cli import main
from partialopt.loading import switch_costs
from partialopt.presets import FamilySpec, Scenario, build, family
from partialopt.presets.architectures import ARCHITECTURES, PUBLISHED_PARAMS, architecture
from partialopt.presets.calibration import bundled, fit_loading, load
from partialopt.profiling import ProfileError, require_torch_gpu, run_profile
from tests import ROOT

SHARED = ROOT.parent / "shared" / "data" / "gpu_profile_h100"
REALISTIC = [name for name, p in po.PRESETS.items() if p.realistic]


# -- architectures -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PUBLISHED_PARAMS))
def test_parameter_counts_match_published(name):
    assert architecture(name).params == PUBLISHED_PARAMS[name]


@pytest.mark.parametrize(
    "name", ["resnet18", "resnet50", "resnet101", "vit_b_16", "vit_l_16", "bert_base", "llama_1.1b"]
)
def test_blocks_match_the_h100_measurements(name):
    """Every measured block: same name, bytes and tensor count (buffers included); same order;
    model totals equal models.csv."""
    cal = bundled()
    arch = architecture(name)
    rows = cal.blocks[cal.blocks["model"] == name]
    assert list(rows["block"]) == [b.name for b in arch.blocks]
    assert list(rows["bytes"]) == [b.bytes for b in arch.blocks]
    assert list(rows["n_tensors"]) == [b.n_tensors for b in arch.blocks]
    m = cal.models[cal.models["model"] == name].iloc[0]
    assert (m["params"], m["bytes"], m["n_blocks"]) == (arch.params, arch.bytes, len(arch.blocks))


def test_macs_match_published_flops():
    # torchvision's published GFLOPS (multiply-adds) at 224x224
    for name, gmacs in [
        ("resnet18", 1.81),
        ("resnet50", 4.09),
        ("resnet101", 7.80),
        ("vit_b_16", 17.56),
        ("vit_l_16", 61.55),
    ]:
        assert architecture(name).macs / 1e9 == pytest.approx(gmacs, rel=0.01), name


def test_bytes_by_dtype():
    bn = architecture("resnet50").block("bn1")
    assert bn.bytes_by_dtype() == {"float32": 4 * 64 * 4, "int64": 8}
    assert set(architecture("llama_7b").block("model.layers.0").bytes_by_dtype()) == {"float16"}
    t = architecture("resnet18").table()
    assert t["bytes"].sum() == 46_796_608 and t["n_int64"].sum() == 20  # one counter per BatchNorm
    assert (t["bytes_float32"] + 8 * t["n_int64"] == t["bytes"]).all()


BUNDLED = Path(po.__file__).parent / "data" / "gpu_profile_h100"


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()  # what `sha256sum -c SHA256SUMS` checks


def test_bundled_data_is_the_shared_measurement():
    """The bundled H100 files are the measurement, byte for byte: SHA256SUMS (committed beside
    them, computed from the original measurement) lists every file and each checksum matches."""
    sums = dict(
        reversed(line.split(None, 1)) for line in (BUNDLED / "SHA256SUMS").read_text().splitlines() if line.strip()
    )
    assert set(sums) == {p.name for p in BUNDLED.iterdir() if p.name != "SHA256SUMS" and not p.name.startswith(".")}
    assert {"blocks.csv", "models.csv", "env.json"} <= set(sums)
    for name, digest in sums.items():
        assert _sha256(BUNDLED / name) == digest, name
    if SHARED.exists():  # extra, only beside the original measurement: still the same files
        for f in ("blocks.csv", "models.csv"):
            assert pd.read_csv(SHARED / f).equals(pd.read_csv(BUNDLED / f))


# -- calibration ---------------------------------------------------------------------------------


def test_fit_reproduces_the_published_calibration():
    cal = bundled()
    pinned, pageable, disk = cal.fit("pinned"), cal.fit("pageable"), cal.fit("disk")
    assert pinned.alpha == pytest.approx(8.5e-6, rel=0.02) and pinned.v == pytest.approx(54e9, rel=0.02)
    assert pinned.r2 > 0.98
    assert disk.alpha == pytest.approx(20e-6, rel=0.03) and disk.v == pytest.approx(6.8e9, rel=0.02)
    assert pageable.v == pytest.approx(8e9, rel=0.1) and pageable.alpha < 1e-6
    # the fit predicts the measured ResNet-50 pageable load (16 ms per the spec) to ~10 %
    r50 = cal.blocks[cal.blocks["model"] == "resnet50"]
    assert pageable.predict(r50["n_tensors"], r50["bytes"]).sum() == pytest.approx(0.016, rel=0.25)


def test_fit_recovers_known_parameters():
    rng = np.random.default_rng(0)
    n = rng.integers(1, 30, 50)
    b = rng.integers(1e3, 1e8, 50)
    df = pd.DataFrame(
        {
            "model": "x",
            "block": "b",
            "n_tensors": n,
            "bytes": b,
            "t_pinned_s": 7e-6 * n + b / 3e10,
            "t_pageable_s": np.nan,
            "t_disk_s": np.nan,
        }
    )
    f = fit_loading(df, "pinned")
    assert (
        f.alpha == pytest.approx(7e-6, rel=1e-9) and f.v == pytest.approx(3e10, rel=1e-9) and f.r2 == pytest.approx(1)
    )
    with pytest.raises(ValueError, match="t_disk_s"):
        fit_loading(df, "disk")
    with pytest.raises(ValueError, match="source"):
        fit_loading(df, "nvme")


# -- fine-tuning styles ----------------------------------------------------------------------------


def _instance(fams, users=12, seed=0, deadline=0.2):
    return build(Scenario(tuple(fams), deadline=deadline), users, seed)


def test_frozen_bottom_is_one_backbone_cluster_per_base():
    inst = _instance(
        [FamilySpec("resnet50", "frozen_bottom", 4, frozen=0.5), FamilySpec("vit_b_16", "frozen_bottom", 3)]
    )
    cluster, bb, own = backbone_structure(inst)
    assert len(set(cluster)) == 2
    fam = family("resnet50", "frozen_bottom", 4, frozen=0.5)
    arch = architecture("resnet50")
    shared = set.intersection(*(set(m.blocks) for m in fam.models))
    # stem (conv1, bn1) + 8 of 16 bottlenecks, in forward order
    assert sorted(shared) == sorted(f"resnet50:{b.name}" for b in arch.blocks[:10])
    # the head is sized to the task: pets has 37 classes
    pets = fam.blocks["resnet50-frozen_bottom/pets:fc"]
    assert pets.bytes == 4 * (37 * 2048 + 37)


def test_head_style_shares_everything_but_the_head():
    fam = family("vit_b_16", "head", 3)
    arch = architecture("vit_b_16")
    for m in fam.models:
        assert m.blocks[:-1] == tuple(f"vit_b_16:{b.name}" for b in arch.blocks[:-1])
        assert m.blocks[-1].startswith(f"{fam.name}/")


def test_lora_switch_costs_only_the_adapter():
    inst = _instance([FamilySpec("llama_1.1b", "lora", 3, lora_rank=16)], deadline=2.0)
    tL, full = switch_costs(inst)
    arch = architecture("llama_1.1b")
    d, kv = 2048, 256
    adapter_bytes = 22 * 16 * ((d + d) + (d + kv)) * 2  # q and v, fp16
    assert sum(b.bytes == adapter_bytes and b.tensors == 22 * 4 for b in inst.blocks) == 3  # one per task
    fit = bundled().fit("pageable")
    expected = fit.alpha * 22 * 4 + adapter_bytes / fit.v
    off = tL[~np.eye(len(tL), dtype=bool)]
    assert np.allclose(off, expected, rtol=1e-12)
    n_tensors = sum(b.n_tensors for b in arch.blocks) + 22 * 4
    assert full == pytest.approx(np.full(3, fit.alpha * n_tensors + (arch.bytes + adapter_bytes) / fit.v), rel=1e-12)
    with pytest.raises(ValueError, match="style: 'lora' needs a transformer"):
        family("resnet50", "lora")


def test_mixed_shares_blocks_at_arbitrary_depths():
    """Fine-tuning trees are general sharing: the DP refuses them, and some block is shared by a
    strict subset of more than one model."""
    inst = _instance([FamilySpec("resnet50", "mixed", 6, retrain=0.3)], users=20, seed=3)
    with pytest.raises(ValueError, match="general sharing"):
        backbone_structure(inst)
    fam = family("resnet50", "mixed", 6, retrain=0.3, seed=1)
    n_body = sum(b.role == "body" for b in fam.arch.blocks)
    for m in fam.models:  # each task owns at least its retrained blocks and its head
        owned = [b for b in m.blocks if b.startswith(fam.name + "/" + m.task + ":")]
        assert len(owned) >= int(np.ceil(0.3 * n_body)) + 1


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"arch": "resnet999", "style": "head"}, "architecture"),
        ({"arch": "resnet50", "style": "prune"}, "style"),
        ({"arch": "resnet50", "style": "frozen_bottom", "frozen": 1.5}, "frozen"),
        ({"arch": "resnet50", "style": "mixed", "retrain": 0.0}, "retrain"),
        ({"arch": "vit_b_16", "style": "lora", "lora_rank": 0}, "lora_rank"),
        ({"arch": "resnet50", "style": "head", "tasks": []}, "tasks"),
    ],
)
def test_family_bad_input_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        family(**kwargs)


# -- scenarios and presets -------------------------------------------------------------------------


@pytest.mark.parametrize("name", REALISTIC)
def test_realistic_presets_are_seeded_and_round_trip(name):
    a, b, c = po.generate(name, 15, seed=4), po.generate(name, 15, seed=4), po.generate(name, 15, seed=5)
    assert a.to_json() == b.to_json() and a.to_json() != c.to_json()
    assert po.Instance.from_json(a.to_json()) == a
    assert a.meta["preset"] == name and a.meta["calibration"]["device"].startswith("NVIDIA H100")
    assert set(a.meta["inference_source"]) == {m.id for m in a.models}


@pytest.mark.parametrize("name", REALISTIC)
def test_every_method_passes_the_evaluator_on_realistic_presets(name):
    inst = po.generate(name, 14, seed=2)
    for method in ("greedy", "no_sharing", "edf", "local_search", "dp"):
        opts = {"time_limit": 2.0, "seed": 0} if method == "local_search" else {}
        try:
            res = po.solve(inst, method=method, **opts)
        except ValueError as exc:
            assert method == "dp" and str(exc).startswith("dp:")
            continue
        ev = po.evaluate(inst, res.order, res.bandwidth)
        assert ev.feasible and ev.objective == res.objective


@pytest.mark.parametrize("seed", range(4))
def test_dp_is_exact_on_the_common_deadline_preset(seed):
    """Real block sizes, the DP's class: its optimum equals brute force's."""
    inst = po.generate("vision-frozen-bottom-common", 7, seed=seed)
    d = po.solve(inst, method="dp")
    bf = po.solve(inst, method="brute_force")
    assert d.status == "optimal" and d.objective == bf.objective


def test_inference_times_measured_or_scaled_by_macs():
    inst = _instance([FamilySpec("llama_7b", "lora", 2), FamilySpec("resnet50", "head", 2, name="r50")], deadline=2.0)
    cal = bundled()
    e = {m.id: m.inference_time for m in inst.models}
    src = inst.meta["inference_source"]
    l7 = architecture("llama_7b")
    fam = family("llama_7b", "lora", 2)
    expected = cal.inference_time("llama_1.1b") * fam.models[0].macs / architecture("llama_1.1b").macs
    assert e["llama_7b-lora/chat"] == pytest.approx(expected)
    assert e["llama_7b-lora/chat"] > 5 * cal.inference_time("llama_1.1b")
    assert src["llama_7b-lora/chat"] == "macs-scaled from measured llama_1.1b"
    assert l7.measured is None
    # a new head on ResNet-50 changes e_m only by the head's MACs
    assert e["r50/pets"] == pytest.approx(cal.inference_time("resnet50"), rel=0.01)


def test_scenario_bad_input_names_the_field():
    fams = (FamilySpec("resnet50", "head"),)
    with pytest.raises(ValueError, match="^loading:"):
        build(Scenario(fams, loading="nvme"), 5)
    with pytest.raises(ValueError, match="^deadline:"):
        build(Scenario(fams, deadline=(0.5, 0.1)), 5)
    with pytest.raises(ValueError, match="^deadline:"):
        build(Scenario(fams, deadline=float("nan")), 5)
    with pytest.raises(ValueError, match="^deadline:.*inference time"):
        build(Scenario(fams, deadline=1e-4), 5)
    with pytest.raises(ValueError, match="^families:"):
        build(Scenario(()), 5)
    with pytest.raises(ValueError, match="^users:"):
        build(Scenario(fams), 0)
    with pytest.raises(ValueError, match="^families: two families"):
        build(Scenario(fams + fams), 5)


def test_loading_source_changes_the_server():
    a = po.generate("vision-mixed", 5, seed=0)
    b = po.generate("vision-mixed", 5, seed=0, loading="pinned")
    assert a.server.load_bandwidth == pytest.approx(bundled().fit("pageable").v)
    assert b.server.load_bandwidth == pytest.approx(bundled().fit("pinned").v)
    assert b.server.tensor_overhead == pytest.approx(8.5e-6, rel=0.02)
    with pytest.raises(ValueError, match="^loading: preset 'general' is synthetic"):
        po.generate("general", 5, loading="pinned")


# -- profiling (no GPU needed) -------------------------------------------------------------------


def _fake_calibration(alpha=12e-6, v=2.5e10, e=0.004):
    def time_block(b, source):
        return None if source == "disk" else alpha * b.n_tensors + b.bytes / (v if source == "pinned" else v / 4)

    def time_inference(arch):
        return e if arch.name == "resnet50" else None

    return run_profile(["resnet18", "resnet50"], time_block, time_inference, "Fake GPU")


def test_run_profile_fits_and_round_trips(tmp_path):
    cal = _fake_calibration()
    assert list(cal.blocks["model"].unique()) == ["raw", "resnet18", "resnet50"]
    f = cal.fit("pinned")
    assert f.alpha == pytest.approx(12e-6, rel=1e-6) and f.v == pytest.approx(2.5e10, rel=1e-6)
    assert cal.fit("pageable").v == pytest.approx(2.5e10 / 4, rel=1e-6)
    cal.save(tmp_path / "cal.json")
    back = load(tmp_path / "cal.json")
    assert back.device == "Fake GPU" and back.fit("pinned").v == pytest.approx(f.v)
    assert back.inference_time("resnet50") == 0.004 and back.inference_time("resnet18") is None


def test_generate_uses_a_calibration_file(tmp_path):
    _fake_calibration().save(tmp_path / "cal.json")
    out = tmp_path / "inst.json"
    fams = (FamilySpec("resnet50", "frozen_bottom"), FamilySpec("resnet18", "head"))
    inst = build(Scenario(fams, loading="pinned"), 6, 0, calibration=tmp_path / "cal.json")
    assert inst.server.load_bandwidth == pytest.approx(2.5e10, rel=1e-6)
    # resnet18 was not timed: scaled from the measured resnet50 by MACs
    e18 = [m.inference_time for m in inst.models if m.id.startswith("resnet18")][0]
    assert e18 == pytest.approx(0.004 * architecture("resnet18").macs / architecture("resnet50").macs, rel=0.01)
    assert (
        main(
            ["generate", "vision-frozen-bottom", "-k", "4", "--calibration", str(tmp_path / "cal.json"), "-o", str(out)]
        )
        == 2
    )  # vit_b_16 has no measured reference in the fake file
    (tmp_path / "bad.json").write_text(json.dumps({"schema": "other"}))
    assert main(["generate", "vision-mixed", "--calibration", str(tmp_path / "bad.json")]) == 2


def test_profile_without_torch_fails_clearly(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ProfileError, match="needs PyTorch"):
        require_torch_gpu()
    assert main(["profile", "-o", str(tmp_path / "c.json")]) == 3
    assert "pip install" in capsys.readouterr().err
    assert not (tmp_path / "c.json").exists()


def test_profile_without_gpu_fails_clearly(monkeypatch, capsys, tmp_path):
    fake = types.SimpleNamespace(
        __version__="2.0-fake",
        version=types.SimpleNamespace(cuda=None),
        cuda=types.SimpleNamespace(is_available=lambda: False),
    )
    monkeypatch.setitem(sys.modules, "torch", fake)
    assert main(["profile", "-o", str(tmp_path / "c.json")]) == 3
    assert "needs a CUDA GPU" in capsys.readouterr().err


def test_cli_generate_lists_presets(capsys):
    with pytest.raises(SystemExit):
        main(["generate", "--help"])
    text = capsys.readouterr().out
    for name in po.PRESETS:
        assert name in text
    assert set(ARCHITECTURES) >= set(PUBLISHED_PARAMS)
