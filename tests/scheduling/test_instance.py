"""Instance validation (every error names its field) and the JSON format of SPEC §9."""

import json

import pytest

import partialopt as po
from partialopt import Instance, InstanceError
from partialopt.generators import random_instance


@pytest.mark.parametrize("seed", range(6))
def test_json_round_trip_is_exact(seed, tmp_path):
    inst = random_instance(
        9,
        4,
        structure=["general", "backbone"][seed % 2],
        rate=["shannon", "fixed_snr"][seed % 3 == 0],
        initial_model=seed % 2 == 1,
        seed=seed,
    )
    path = tmp_path / "i.json"
    inst.save(path)
    back = Instance.load(path)
    assert back == inst
    assert back.to_json() == inst.to_json()
    assert json.loads(path.read_text())["schema"] == "partialopt/instance@1"


def test_spec_example_loads():
    d = {
        "schema": "partialopt/instance@1",
        "server": {
            "load_bandwidth": 5.4e10,
            "tensor_overhead": 8.5e-6,
            "total_bandwidth": 2.0e7,
            "noise_psd": 3.98e-21,
            "rate": "shannon",
            "overlap": "sequential",
            "initial_model": None,
        },
        "blocks": [{"id": "r50.stem", "bytes": 37888, "tensors": 5}],
        "models": [{"id": "r50-pets", "blocks": ["r50.stem"], "inference_time": 0.0034}],
        "users": [
            {
                "id": "u0",
                "model": "r50-pets",
                "data_bits": 1.2e6,
                "deadline": 0.3,
                "power": 0.2,
                "gain": 1e-10,
                "snr": None,
            }
        ],
    }
    inst = Instance.from_dict(d)
    assert inst.to_dict() == d
    assert po.evaluate(inst, ["u0"]).feasible


def _mutate(d, path, value):
    """``d`` (the hand instance's JSON dict) with ``value`` at ``path`` (or the key removed)."""
    obj = d
    for key in path[:-1]:
        obj = obj[key]
    if value is _DELETE:
        del obj[path[-1]]
    else:
        obj[path[-1]] = value
    return d


_DELETE = object()

BAD = [
    (("schema",), "partialopt/instance@2", r"^schema: unknown schema version"),
    (("server",), _DELETE, r"^server: missing field"),
    (("server", "load_bandwidth"), _DELETE, r"^server\.load_bandwidth: missing field"),
    (("server", "total_bandwidth"), 0.0, r"^server\.total_bandwidth: must be > 0"),
    (("server", "total_bandwidth"), -1.0, r"^server\.total_bandwidth: must be > 0"),
    (("server", "load_bandwidth"), float("nan"), r"^server\.load_bandwidth: is NaN"),
    (("server", "rate"), "cdma", r"^server\.rate: unknown rate model 'cdma'"),
    (("server", "overlap"), "async", r"^server\.overlap: unknown overlap variant"),
    (("server", "initial_model"), "m9", r"^server\.initial_model: unknown model id 'm9'"),
    (("server", "tensor_overhead"), -1e-6, r"^server\.tensor_overhead: must be >= 0"),
    (("blocks", 1, "bytes"), -5, r"^blocks\[1\]\.bytes: must be >= 0"),
    (("blocks", 1, "bytes"), float("nan"), r"^blocks\[1\]\.bytes: expected a non-negative integer"),
    (("blocks", 2, "id"), "A", r"^blocks\[2\]\.id: duplicate id 'A'"),
    (("blocks", 0, "size"), 3, r"^blocks\[0\]\.size: unknown field"),
    (("models", 1, "blocks"), ["A", "Z"], r"^models\[1\]\.blocks\[1\]: unknown block id 'Z'"),
    (("models", 1, "blocks"), [], r"^models\[1\]\.blocks: a model needs at least one block"),
    (("models", 0, "inference_time"), -0.1, r"^models\[0\]\.inference_time: must be > 0"),
    (("models", 2, "id"), "m1", r"^models\[2\]\.id: duplicate id 'm1'"),
    (("users", 0, "model"), "nope", r"^users\[0\]\.model: unknown model id 'nope'"),
    (("users", 1, "deadline"), 0.0, r"^users\[1\]\.deadline: must be > 0"),
    (("users", 1, "deadline"), 0.01, r"^users\[1\]\.deadline: 0.01 s is shorter than model 'm2'"),
    (("users", 2, "data_bits"), -1.0, r"^users\[2\]\.data_bits: must be >= 0"),
    (("users", 2, "data_bits"), float("nan"), r"^users\[2\]\.data_bits: is NaN"),
    (("users", 3, "snr"), None, r"^users\[3\]\.snr: required when server\.rate is 'fixed_snr'"),
    (("users", 3, "id"), "u0", r"^users\[3\]\.id: duplicate id 'u0'"),
    (("users", 0, "deadline"), _DELETE, r"^users\[0\]\.deadline: missing field"),
    (("users",), [], r"^users: an instance needs at least one user"),
]


@pytest.mark.parametrize("path,value,message", BAD, ids=[m.split(":")[0].strip("^\\") for _, _, m in BAD])
def test_bad_input_names_the_field(path, value, message, hand_dict):
    with pytest.raises(InstanceError, match=message):
        Instance.from_dict(_mutate(hand_dict, path, value))


def test_shannon_user_needs_power_and_gain(hand_dict):
    d = hand_dict
    d["server"]["rate"] = "shannon"
    with pytest.raises(InstanceError, match=r"^users\[0\]\.power: required when server\.rate is 'shannon'"):
        Instance.from_dict(d)
    for u in d["users"]:
        u["power"], u["gain"] = 0.2, 1e-10
    d["users"][2]["gain"] = -1e-10
    with pytest.raises(InstanceError, match=r"^users\[2\]\.gain: must be > 0"):
        Instance.from_dict(d)


def test_not_json():
    with pytest.raises(InstanceError, match="not valid JSON"):
        Instance.from_json("{oops")


def test_without_sharing_reloads_full_models(hand):
    ns = hand.without_sharing()
    arr = ns.arrays
    # every switch between different models costs the full load of the target
    for a in range(3):
        for b in range(3):
            assert arr.tL[a, b] == pytest.approx(0.0 if a == b else arr.full[b])
    assert list(arr.full) == pytest.approx(list(hand.arrays.full))
