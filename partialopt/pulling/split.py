"""Variant ``split``: the model of the second seed's public code (``docs/SPEC_PULLING.md``, last section).

Reconstructed from the description only (the code has no license; nothing is copied):

- model k of size ``S_k`` has a shareable part (``2/3 S_k``: the foundation model common to every
  model of its service type) and a specific part (``1/3 S_k``);
- models start stored at some cloudlets (``stored``); the data center (``"dc"``) holds all;
- request q (home cloudlet ``h_q``, service type, minimum accuracy ``A_q``, budget ``G_q``) picks a
  model k of its type with ``acc_k >= A_q`` and a source for each part: the shareable part from any
  cloudlet storing *any* model of that type (or the data center), the specific part from any
  cloudlet storing k (or the data center). Parts travel along shortest paths of the cloudlet graph
  (edge weights in s/GB), in parallel:

      pull_q = max( d(s_sh, h_q) * (2/3) S_k, d(s_sp, h_q) * (1/3) S_k )      (per request)
      delay_q = pull_q + e_k + W(h_q) + D_q / rate_q
      cost_q  = price(s_sh) (2/3) S_k + price(s_sp) (1/3) S_k  <=  G_q          (budget)

  with sizes in GB, ``price`` = ``dc_price`` $/GB from the data center, ``edge_price`` $/GB from
  another cloudlet, 0 from the home cloudlet; ``W(c) = lambda_c m2_c / (2 (1 - lambda_c m1_c))`` the
  M/G/1 (Pollaczek-Khinchine) waiting time of cloudlet c's background traffic (arrival rate
  ``lambda_c``, service-time moments ``m1_c``, ``m2_c``).
- inference runs at the home cloudlet: ``sum_{q: h_q = c} e_{k_q} <= F_c`` per cloudlet;
- a request with no affordable option, or squeezed out by ``F_c``, is served by the data center at
  ``penalty`` seconds (the fallback option, cost 0).

Faults of the public code this does not reproduce: the max in ``pull_q`` is per request, not one
global maximum; capacity ``F_c`` is per cloudlet, not per request; no uninformative contexts.
Storage of pulled parts at the home cloudlet is not modelled (the description does not bound it).

``split_ilp`` solves it exactly (one binary per request and option; options enumerated, so the
max is a constant per option). ``split_lp_sampling`` samples each request's option from the LP
relaxation (seeded) and repairs ``F_c`` by moving the longest inferences to the fallback.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Sequence

import numpy as np
import pyomo.environ as pyo
from scipy.sparse.csgraph import csgraph_from_dense, dijkstra

from ..instance import InstanceError, _ident, _number
from ..core import interrupt
from ..core.highs import MEMORY_LIMIT_MB, Budget, SizeEstimate, check_memory_limit
from ..core.status import Status
from .methods import _solve, solve_lp

SHARE = 2.0 / 3.0
DC = "dc"
GB = 1e9


@dataclass(frozen=True)
class SplitCloudlet:
    id: str
    compute: float          # F_c, inference-seconds per frame
    arrival: float = 0.0    # lambda_c, background requests/s
    m1: float = 0.0         # mean background service time (s)
    m2: float = 0.0         # second moment of background service time (s^2)
    stored: tuple[str, ...] = ()

    @property
    def waiting(self) -> float:
        """M/G/1 waiting time ``lambda m2 / (2 (1 - lambda m1))``."""
        return 0.0 if self.arrival == 0 else self.arrival * self.m2 / (2.0 * (1.0 - self.arrival * self.m1))


@dataclass(frozen=True)
class SplitModel:
    id: str
    task: str
    size: float             # S_k, bytes
    accuracy: float
    inference_time: float


@dataclass(frozen=True)
class SplitRequest:
    id: str
    home: str
    task: str
    min_accuracy: float
    budget: float           # G_q, $
    data_bits: float
    uplink_rate: float      # bits/s
    penalty: float          # s, served by the data center


@dataclass(frozen=True)
class SplitInstance:
    """Cloudlets, the graph ``edges`` ((a, b, s/GB); ``"dc"`` is the data center's node), models,
    requests, and prices ``dc_price`` / ``edge_price`` ($/GB)."""

    cloudlets: tuple[SplitCloudlet, ...]
    edges: tuple[tuple[str, str, float], ...]
    models: tuple[SplitModel, ...]
    requests: tuple[SplitRequest, ...]
    dc_price: float = 1.0
    edge_price: float = 0.2
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        ids = set()
        for i, c in enumerate(self.cloudlets):
            p = f"cloudlets[{i}]"
            _ident(f"{p}.id", c.id)
            if c.id in ids or c.id == DC:
                raise InstanceError(f"{p}.id: duplicate or reserved id {c.id!r}")
            ids.add(c.id)
            for name in ("compute", "arrival", "m1", "m2"):
                _number(f"{p}.{name}", getattr(c, name))
            if c.arrival * c.m1 >= 1:
                raise InstanceError(f"{p}.arrival: utilisation lambda m1 = {c.arrival * c.m1:g} >= 1 (unstable queue)")
        mids = {m.id for m in self.models}
        if len(mids) != len(self.models):
            raise InstanceError("models: duplicate model id")
        for i, m in enumerate(self.models):
            p = f"models[{i}]"
            _ident(f"{p}.id", m.id)
            _ident(f"{p}.task", m.task)
            _number(f"{p}.size", m.size, positive=True)
            if _number(f"{p}.accuracy", m.accuracy) > 1:
                raise InstanceError(f"{p}.accuracy: must be in [0, 1], got {m.accuracy!r}")
            _number(f"{p}.inference_time", m.inference_time, positive=True)
        for i, c in enumerate(self.cloudlets):
            for j, k in enumerate(c.stored):
                if k not in mids:
                    raise InstanceError(f"cloudlets[{i}].stored[{j}]: unknown model id {k!r}")
        for i, (a, b, w) in enumerate(self.edges):
            for end in (a, b):
                if end != DC and end not in ids:
                    raise InstanceError(f"edges[{i}]: unknown cloudlet id {end!r}")
            _number(f"edges[{i}].weight", w)
        if not self.requests:
            raise InstanceError("requests: an instance needs at least one request")
        for i, q in enumerate(self.requests):
            p = f"requests[{i}]"
            _ident(f"{p}.id", q.id)
            if q.home not in ids:
                raise InstanceError(f"{p}.home: unknown cloudlet id {q.home!r}")
            if _number(f"{p}.min_accuracy", q.min_accuracy) > 1:
                raise InstanceError(f"{p}.min_accuracy: must be in [0, 1], got {q.min_accuracy!r}")
            for name in ("budget", "data_bits"):
                _number(f"{p}.{name}", getattr(q, name))
            for name in ("uplink_rate", "penalty"):
                _number(f"{p}.{name}", getattr(q, name), positive=True)
        _number("dc_price", self.dc_price)
        _number("edge_price", self.edge_price)
        if not np.isfinite(self.distance).all():
            raise InstanceError("edges: the graph does not connect every cloudlet to the data center")

    @cached_property
    def nodes(self) -> list[str]:
        return [c.id for c in self.cloudlets] + [DC]

    @cached_property
    def distance(self) -> np.ndarray:
        """Shortest-path s/GB between nodes (cloudlets in order, then the data center)."""
        idx = {n: i for i, n in enumerate(self.nodes)}
        n = len(self.nodes)
        W = np.full((n, n), np.inf)
        for a, b, x in self.edges:  # parallel edges: the cheapest counts; a 0-weight edge stays an edge
            i, j = idx[a], idx[b]
            W[i, j] = W[j, i] = min(W[i, j], max(float(x), 1e-300))
        return dijkstra(csgraph_from_dense(W, null_value=np.inf), directed=False)

    def options(self, q: int, sharing: bool = True) -> list[tuple[str, str, str, float, float]]:
        """Affordable options ``(model, shareable source, specific source, delay, cost)`` of request q,
        the data-center fallback ``("dc", "dc", "dc", penalty, 0)`` last. ``sharing=False``: no common
        knowledge, the shareable part too comes only from cloudlets storing k itself."""
        r = self.requests[q]
        home = self.nodes.index(r.home)
        base = self.cloudlets[home].waiting + r.data_bits / r.uplink_rate
        out = []
        for m in self.models:
            if m.task != r.task or m.accuracy < r.min_accuracy:
                continue
            sh_src, sp_src = self.sources(m.id, sharing)
            for a, b in itertools.product(sh_src, sp_src):
                ia, ib = self.nodes.index(a), self.nodes.index(b)
                pull = max(self.distance[ia, home] * SHARE * m.size / GB, self.distance[ib, home] * (1 - SHARE) * m.size / GB)
                cost = self._price(a, r.home) * SHARE * m.size / GB + self._price(b, r.home) * (1 - SHARE) * m.size / GB
                if cost <= r.budget * (1 + 1e-12):
                    out.append((m.id, a, b, pull + m.inference_time + base, cost))
        out.append((DC, DC, DC, r.penalty, 0.0))
        return out

    def sources(self, k: str, sharing: bool = True) -> tuple[list[str], list[str]]:
        """Nodes that can send model k's shareable part and its specific part."""
        task = self._model(k).task
        sp = [c.id for c in self.cloudlets if k in c.stored] + [DC]
        if not sharing:
            return sp, sp
        return [c.id for c in self.cloudlets if any(self._model(x).task == task for x in c.stored)] + [DC], sp

    @cached_property
    def _models_by_id(self) -> dict[str, SplitModel]:
        return {m.id: m for m in self.models}

    def _model(self, k: str) -> SplitModel:
        return self._models_by_id[k]

    def _price(self, src: str, home: str) -> float:
        return 0.0 if src == home else (self.dc_price if src == DC else self.edge_price)


@dataclass
class SplitResult:
    method: str
    status: str
    choice: dict[str, tuple[str, str, str]]      # request -> (model, shareable source, specific source)
    objective: float
    bound: float | None = None
    wall_time: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)


def evaluate_split(inst: SplitInstance, choice: dict[str, tuple[str, str, str]],
                   sharing: bool = True) -> tuple[float, list[str]]:
    """Total delay of ``choice`` recomputed from the definitions, and the violated constraints
    (eligibility, sources, budget, per-cloudlet compute)."""
    viol: list[str] = []
    total = 0.0
    load = {c.id: 0.0 for c in inst.cloudlets}
    for qi, r in enumerate(inst.requests):
        if r.id not in choice:
            viol.append(f"{r.id}: no choice")
            continue
        k, a, b = choice[r.id]
        if k == DC:
            total += r.penalty
            continue
        m = inst._model(k)
        if m.task != r.task or m.accuracy < r.min_accuracy:
            viol.append(f"{r.id}: model {k} not eligible")
        holders_sh, holders_sp = inst.sources(k, sharing)
        if a not in holders_sh or b not in holders_sp:
            viol.append(f"{r.id}: a part is pulled from a node that does not hold it")
            continue
        h = inst.nodes.index(r.home)
        d_sh = inst.distance[inst.nodes.index(a), h] * SHARE * m.size / GB
        d_sp = inst.distance[inst.nodes.index(b), h] * (1 - SHARE) * m.size / GB
        cost = inst._price(a, r.home) * SHARE * m.size / GB + inst._price(b, r.home) * (1 - SHARE) * m.size / GB
        if cost > r.budget * (1 + 1e-9):
            viol.append(f"{r.id}: cost {cost:.6g} > budget {r.budget:.6g}")
        total += max(d_sh, d_sp) + m.inference_time + inst.cloudlets[h].waiting + r.data_bits / r.uplink_rate
        load[r.home] += m.inference_time
    for c in inst.cloudlets:
        if load[c.id] > c.compute * (1 + 1e-9):
            viol.append(f"compute[{c.id}]: {load[c.id]:.6g} > F = {c.compute:.6g}")
    return total, viol


def _model(inst: SplitInstance, relax: bool, sharing: bool = True) -> tuple[pyo.ConcreteModel, list[list[tuple]]]:
    opts = [inst.options(q, sharing) for q in range(len(inst.requests))]
    m = pyo.ConcreteModel("split")
    m.O = pyo.Set(dimen=2, initialize=[(q, o) for q in range(len(opts)) for o in range(len(opts[q]))])
    m.w = pyo.Var(m.O, domain=pyo.UnitInterval if relax else pyo.Binary)
    m.obj = pyo.Objective(expr=sum(opts[q][o][3] * m.w[q, o] for q, o in m.O), sense=pyo.minimize)
    m.choose_one = pyo.Constraint(range(len(opts)), rule=lambda m, q: sum(m.w[q, o] for o in range(len(opts[q]))) == 1)
    e = {mm.id: mm.inference_time for mm in inst.models}
    def compute(m, c):
        terms = [e[opts[q][o][0]] * m.w[q, o] for q, o in m.O
                 if inst.requests[q].home == inst.cloudlets[c].id and opts[q][o][0] != DC]
        return sum(terms) <= inst.cloudlets[c].compute if terms else pyo.Constraint.Skip

    m.compute = pyo.Constraint(range(len(inst.cloudlets)), rule=compute)
    return m, opts


def split_ilp(inst: SplitInstance, time_limit: float = 60.0, sharing: bool = True,
              threads: int | None = None, memory_limit: float = MEMORY_LIMIT_MB) -> SplitResult:
    """Exact: one binary per (request, option), one option each, compute per cloudlet.
    ``sharing=False`` solves the system without common knowledge (the baseline).

    A time limit (model building included), an interrupt or a solver error returns the best
    checked choice (at worst every request on the data-center fallback, always feasible), a valid
    lower bound (HiGHS's, or ``sum_q min_o delay_{q,o}``: the problem without compute limits)
    and the status; ``stats["termination"]`` is HiGHS's own status."""
    budget = Budget(time_limit)
    check_memory_limit(memory_limit)
    name = "split_ilp" if sharing else "split_ilp_no_sharing"
    with interrupt.interruptible():
        opts = [inst.options(q, sharing) for q in range(len(inst.requests))]
        best = {r.id: (DC, DC, DC) for r in inst.requests}
        bound = float(sum(min(o[3] for o in opts[q]) for q in range(len(opts))))
        n_options = sum(len(o) for o in opts)
        stats: dict[str, Any] = {"options": n_options, "termination": None, "cheap_bound": bound}

        def done(status: Status, **extra: Any) -> SplitResult:
            stats.update(extra)
            total, viol = evaluate_split(inst, best, sharing)
            if viol:
                raise RuntimeError(f"{name} returned a choice the evaluator rejects ({viol[0]}); a bug")
            if status == Status.OPTIMAL and total > bound * (1 + 1e-6) + 1e-9:
                status = Status.FEASIBLE  # never claim optimality the bound does not show
            return SplitResult(name, str(status), best, total, bound, budget.elapsed(), stats)

        why = SizeEstimate(3 * n_options).refusal(budget, memory_limit)  # objective, choose-one, compute
        if why:
            return done(Status.TIME_LIMIT, limit=f"model not built: {why}")
        m, opts = _model(inst, relax=False, sharing=sharing)
        if budget.check_build():
            return done(Status.TIME_LIMIT, limit="model building used up time_limit")
        rep = _solve(m, budget.left(), 1e-9, threads)
        stats["termination"] = rep.termination
        if rep.has_solution:
            choice = {inst.requests[q].id: opts[q][o][:3] for q, o in m.O if (pyo.value(m.w[q, o]) or 0) > 0.5}
            if len(choice) == len(inst.requests) and not evaluate_split(inst, choice, sharing)[1]:
                best = choice
                stats["solver_objective"] = rep.objective
        if rep.status == Status.ERROR or rep.status == Status.INFEASIBLE:
            return done(Status.ERROR, error=rep.error or f"HiGHS says infeasible ({rep.termination})")
        if rep.bound is not None:
            checked = evaluate_split(inst, best, sharing)[0]
            if rep.bound > checked * (1 + 1e-6) + 1e-9:
                return done(Status.ERROR, error=f"HiGHS's bound {rep.bound:.9g} is above a checked "
                                                f"choice's delay {checked:.9g}")
            bound = max(bound, rep.bound)
        return done(rep.status)


def split_lp_sampling(inst: SplitInstance, seed: int = 0) -> SplitResult:
    """Sample each request's option from the LP relaxation's ``w`` (seeded); repair ``F_c`` by
    moving the requests with the longest inference at an overloaded cloudlet to the data center.
    Always feasible (the fallback has no budget or compute use); ``bound`` = the LP value."""
    t0 = time.perf_counter()
    m, opts = _model(inst, relax=True)
    rep = solve_lp(m, "split LP relaxation")
    rng = np.random.default_rng(seed)
    choice = {}
    for q, r in enumerate(inst.requests):
        p = np.array([max(0.0, pyo.value(m.w[q, o]) or 0.0) for o in range(len(opts[q]))])
        o = int(rng.choice(len(p), p=p / p.sum()))
        choice[r.id] = opts[q][o][:3]
    e = {mm.id: mm.inference_time for mm in inst.models}
    for c in inst.cloudlets:
        here = sorted((r.id for r in inst.requests if r.home == c.id and choice[r.id][0] != DC),
                      key=lambda rid: (-e[choice[rid][0]], rid))
        load = sum(e[choice[rid][0]] for rid in here)
        for rid in here:
            if load <= c.compute * (1 + 1e-12):
                break
            load -= e[choice[rid][0]]
            choice[rid] = (DC, DC, DC)
    total, viol = evaluate_split(inst, choice)
    if viol:
        raise RuntimeError(f"split_lp_sampling returned a choice the evaluator rejects ({viol[0]}); a bug")
    return SplitResult("split_lp_sampling", "feasible", choice, total, float(rep.objective),
                       time.perf_counter() - t0, {"seed": seed})


def eua_instance(n_cloudlets: int = 8, n_requests: int = 30, seed: int = 0, models_per_type: int = 3,
                 area_km: float = 2.0) -> SplitInstance:
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
            models.append(SplitModel(f"{t}-{a.name}-{i}", t, float(a.bytes), round(float(rng.uniform(0.7, 0.95)), 3),
                                     float(cal.inference_time(a.name))))
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
        reqs.append(SplitRequest(f"q{q}", f"c{home}", t, float(rng.choice([0.0, 0.8])), float(rng.uniform(0.05, 1.0)),
                                 float(rng.uniform(2e5, 2e6)), float(rng.uniform(5e6, 5e7)), 30.0))
    # a chain in index order joins any components the 3-nearest rule leaves apart
    edges |= {(f"c{i - 1}", f"c{i}", 8.0 + 4.0 * float(d[i - 1, i])) for i in range(1, n_cloudlets)}
    inst_edges = tuple(sorted(edges))
    return SplitInstance(tuple(cl), inst_edges, tuple(models), tuple(reqs),
                         meta={"generator": "pulling.split.eua_instance", "seed": seed})


def exhaustive_split(inst: SplitInstance) -> float:
    """Least total delay by enumerating every combination of options (tiny instances only)."""
    opts = [inst.options(q) for q in range(len(inst.requests))]
    e = {m.id: m.inference_time for m in inst.models}
    best = np.inf
    for combo in itertools.product(*opts):
        load: dict[str, float] = {}
        for r, o in zip(inst.requests, combo):
            if o[0] != DC:
                load[r.home] = load.get(r.home, 0.0) + e[o[0]]
        if all(load.get(c.id, 0.0) <= c.compute * (1 + 1e-12) for c in inst.cloudlets):
            best = min(best, sum(o[3] for o in combo))
    return best


__all__: Sequence[str] = ["SplitCloudlet", "SplitModel", "SplitRequest", "SplitInstance", "SplitResult",
                          "evaluate_split", "split_ilp", "split_lp_sampling", "eua_instance", "exhaustive_split",
                          "split_online_ts", "SplitOnlineResult"]


@dataclass
class SplitOnlineResult:
    """``played``/``oracle``: option index chosen per frame by the learner / by an oracle that
    knows the congestion; ``regret``: cumulative pseudo-regret (loss units); ``loss``: the
    learner's per-frame expected loss."""

    requests: np.ndarray
    played: np.ndarray
    oracle: np.ndarray
    loss: np.ndarray
    regret: np.ndarray
    wall_time: float
    stats: dict[str, Any] = field(default_factory=dict)


def split_online_ts(inst: SplitInstance, frames: int = 3000, seed: int = 0, noise: float = 0.3,
                    accuracy_weight: float = 1.0, congestion: tuple[float, float] = (0.5, 3.0)) -> SplitOnlineResult:
    """Online variant: Thompson sampling on unknown link congestion.

    Environment (seeded): every directed link ``(source, home)`` has a hidden congestion factor
    ``theta`` (log-uniform in ``congestion``), so a part of ``g`` GB pulled along it takes
    ``theta * d(source, home) * g`` seconds. One request arrives per frame (uniform over the
    instance's requests) and must take one of its affordable options (:meth:`SplitInstance.options`).
    Its loss mixes delay and accuracy, as in the authors' method::

        loss = delay / max_q P_q + accuracy_weight * (-ln acc_k)     (the data center: -ln 1 = 0)

    The learner measures each pulled part's time with log-normal noise (``sigma = noise``) and keeps
    a Gaussian posterior on every link's ``log theta`` (prior N(0, 1), known noise variance). Each
    frame it samples ``log theta`` from the posterior and takes the option of least sampled loss.
    The context is the identity of the links an option uses (informative by construction); the
    authors' per-round restriction to a random subset of context features is not implemented.
    Compute ``F_c`` is not binding with one request per frame and is not checked here.
    Pseudo-regret: ``R_T = sum_t loss(played_t) - loss(oracle_t)``, both with the true ``theta``.
    """
    if frames < 1:
        raise ValueError(f"frames: must be >= 1, got {frames}")
    if not noise > 0:
        raise ValueError(f"noise: must be > 0, got {noise}")
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    n = len(inst.nodes)
    log_theta = rng.uniform(np.log(congestion[0]), np.log(congestion[1]), (n, n))
    acc = {m.id: m.accuracy for m in inst.models}
    size = {m.id: m.size / GB for m in inst.models}
    scale = max(r.penalty for r in inst.requests)
    # per request and option: (link_sh, g_sh, link_sp, g_sp, rest, accuracy term)
    table = []
    for q, r in enumerate(inst.requests):
        h = inst.nodes.index(r.home)
        rows = []
        for k, a, b, delay, _cost in inst.options(q):
            if k == DC:
                rows.append((None, 0.0, None, 0.0, r.penalty, 0.0))
                continue
            ia, ib = inst.nodes.index(a), inst.nodes.index(b)
            d_sh = inst.distance[ia, h] * SHARE * size[k]
            d_sp = inst.distance[ib, h] * (1 - SHARE) * size[k]
            rest = delay - max(d_sh, d_sp)
            rows.append(((ia, h), d_sh, (ib, h), d_sp, rest, -np.log(acc[k])))
        table.append(rows)

    def loss_of(row, lt) -> float:
        l1, d1, l2, d2, rest, acc_term = row
        pull = max(np.exp(lt[l1]) * d1 if l1 else 0.0, np.exp(lt[l2]) * d2 if l2 else 0.0)
        return (pull + rest) / scale + accuracy_weight * acc_term

    mean = np.zeros((n, n))
    prec = np.ones((n, n))          # posterior precision of log theta per link
    obs_prec = 1.0 / noise**2
    reqs = rng.integers(len(inst.requests), size=frames)
    played = np.zeros(frames, dtype=int)
    oracle = np.zeros(frames, dtype=int)
    loss = np.zeros(frames)
    regret = np.zeros(frames)
    total = 0.0
    for t, q in enumerate(reqs):
        rows = table[q]
        sample = mean + rng.standard_normal((n, n)) / np.sqrt(prec)
        o = int(np.argmin([loss_of(row, sample) for row in rows]))
        true = [loss_of(row, log_theta) for row in rows]
        best = int(np.argmin(true))
        played[t], oracle[t], loss[t] = o, best, true[o]
        total += true[o] - true[best]
        regret[t] = total
        l1, d1, l2, d2, _, _ = rows[o]
        for link, g in ((l1, d1), (l2, d2)):
            if link is None or g <= 0:
                continue
            y = log_theta[link] + noise * rng.standard_normal()   # measured log(time / nominal)
            mean[link] = (prec[link] * mean[link] + obs_prec * y) / (prec[link] + obs_prec)
            prec[link] += obs_prec
    return SplitOnlineResult(reqs, played, oracle, loss, regret, time.perf_counter() - t0,
                             {"seed": seed, "noise": noise, "accuracy_weight": accuracy_weight,
                              "oracle_loss": float(sum(loss_of(table[q][oracle[t]], log_theta) for t, q in enumerate(reqs)))})
