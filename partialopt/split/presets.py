"""Generated presets of the ``split`` variant: :func:`eua_instance`, an EUA-style map of cloudlets
and users (``docs/SPEC_PULLING.md``, last section: the layout is used only as a generated preset).
"""

from __future__ import annotations

import numpy as np

from .instance import DC, SplitCloudlet, SplitInstance, SplitModel, SplitRequest


def eua_instance(
    n_cloudlets: int = 8, n_requests: int = 30, seed: int = 0, models_per_type: int = 3, area_km: float = 2.0
) -> SplitInstance:
    """EUA-style layout: cloudlets uniform on an ``area_km`` square, each linked to its 3 nearest
    and to the next in index order (weight 8 s/GB per link + 4 s/GB per km: 1 Gbit/s links), the
    data center linked to the two most central cloudlets at 40 s/GB; models are fine-tunes of the
    zoo's architectures (sizes from their configurations, inference times measured on the H100),
    3 service types (vision, nlp, llm); each cloudlet stores 1-3 models; requests at the nearest
    cloudlet to a uniform point; budgets $0.05-1 (the data center charges $1/GB, other cloudlets
    $0.2/GB), penalty 30 s."""
    from ..presets.architectures import architecture
    from ..presets.calibration import bundled

    cal = bundled()
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, area_km, (n_cloudlets, 2))
    types = {"vision": ("resnet50", "vit_b_16", "resnet101"), "nlp": ("bert_base",), "llm": ("llama_1.1b",)}
    models = []
    for t, archs in types.items():
        for i in range(models_per_type):
            a = architecture(archs[i % len(archs)])
            models.append(
                SplitModel(
                    f"{t}-{a.name}-{i}",
                    t,
                    float(a.bytes),
                    round(float(rng.uniform(0.7, 0.95)), 3),
                    float(cal.inference_time(a.name)),
                )
            )
    cl = []
    for i in range(n_cloudlets):
        stored = tuple(sorted(rng.choice([m.id for m in models], size=int(rng.integers(1, 4)), replace=False)))
        lam = float(rng.uniform(0, 50))
        cl.append(SplitCloudlet(f"c{i}", float(rng.uniform(0.01, 0.06)), lam, 0.01, 2e-4, stored))
    d = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    edges = set()
    for i in range(n_cloudlets):
        for j in np.argsort(d[i])[1:4]:
            a, b = sorted((i, int(j)))
            edges.add((f"c{a}", f"c{b}", 8.0 + 4.0 * float(d[a, b])))
    center = np.argsort(np.linalg.norm(xy - area_km / 2, axis=1))[:2]
    edges |= {(f"c{int(c)}", DC, 40.0) for c in center}
    reqs = []
    for q in range(n_requests):
        p = rng.uniform(0, area_km, 2)
        home = int(np.argmin(np.linalg.norm(xy - p, axis=1)))
        t = list(types)[int(rng.integers(len(types)))]
        reqs.append(
            SplitRequest(
                f"q{q}",
                f"c{home}",
                t,
                float(rng.choice([0.0, 0.8])),
                float(rng.uniform(0.05, 1.0)),
                float(rng.uniform(2e5, 2e6)),
                float(rng.uniform(5e6, 5e7)),
                30.0,
            )
        )
    # a chain in index order joins any components the 3-nearest rule leaves apart
    edges |= {(f"c{i - 1}", f"c{i}", 8.0 + 4.0 * float(d[i - 1, i])) for i in range(1, n_cloudlets)}
    inst_edges = tuple(sorted(edges))
    return SplitInstance(
        tuple(cl), inst_edges, tuple(models), tuple(reqs), meta={"generator": "split.eua_instance", "seed": seed}
    )


__all__ = ["eua_instance"]
