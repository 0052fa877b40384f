"""The compiled node loop of :mod:`partialopt.algorithms.bnb` (numba, ``cache=True``).

Everything here works on the *relaxed* problem that :mod:`.bnb` hands over: candidate users
``0..n-1`` (n <= 64, a set is one ``uint64``), deadlines ``Tr`` a hair above the judge's
``T_tol``, budget ``Br`` a hair above ``B_tol``, and a ``beta`` that is never above the judge's.
So every order the judge accepts is accepted here, and the search's "no order of this size" is a
proof for the judge too. What it finds is re-checked by the judge in Python.

State of a node (a suffix of the order, built from its last user backward; SPEC §5):
``L`` latest start of its first user f, ``Lp`` latest model-ready time of f (pipelined; equal to
``L`` sequential), ``W = sum beta_k(L_k)`` over the suffix, the used set and f. Placing user k
in front of f::

    sequential: L_k = min(T_k - e_k, L_f - e_k - tL(m_k -> m_f)),   Lp_k = L_k
    pipelined:  L_k = min(T_k - e_k, L_f - e_k),   Lp_k = min(L_k, Lp_f - tL(m_k -> m_f))

and ``W' = W + beta_k(L_k)`` is final (later placements in front never move a latest start of
the suffix). The suffix is a complete schedule iff ``tL0(m_f) <= Lp_f`` and ``W <= B``.

The resumable depth-first search (:func:`search`) answers "is there a complete suffix with at
least ``target`` users?" within a node budget, so Python checks the clock and Ctrl-C between
calls. Its stack, its dominance memo and its best complete suffix live in arrays owned by
Python (:func:`new_state`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

LN2 = math.log(2.0)


@njit(cache=True, inline="always")
def beta_relaxed(t: float, D: float, q: float, shannon: bool) -> float:
    """``beta(t)`` of SPEC §5, never above the closed form's value beyond rounding. Shannon: the
    root ``y = a / b`` of ``ln(1+y) = c y`` (``c = D ln2 / (t a)``) from the asymptotic
    expansion of Lambert W's lower branch (``W ~ L1 - L2 + L2 / L1``), moved right of the root and
    refined by Newton there (monotone: the function is concave and decreasing), as
    :func:`partialopt.bandwidth._polish` does; the result is lowered by a relative
    ``1e-15 (4 + 4 / (1 - c))`` for the conditioning near ``c = 1``. inf when no bandwidth
    finishes the upload by t."""
    if D <= 0.0:
        return 0.0
    if t <= 0.0:
        return np.inf
    if not shannon:
        return D / (t * q) * (1.0 - 4e-16)
    c = D * LN2 / (t * q)
    if not c < 1.0:
        return np.inf
    far = 1.0 / (c * c) - 1.0
    L1 = math.log(c) - c
    L2 = math.log(-L1)
    y = -(L1 - L2 + L2 / L1) / c - 1.0
    near = 2.0 * (1.0 - c) / c  # the root's expansion at c -> 1
    if c > 0.5 and near > y:
        y = near
    if not (y > 0.0 and y < far):
        y = far
    g = math.log1p(y) - c * y
    gp = 1.0 / (1.0 + y) - c
    if g > 0.0:
        y = y - g / gp if gp < 0.0 else far
        if not (y > 0.0 and y <= far):
            y = far
    for _ in range(100):
        gp = 1.0 / (1.0 + y) - c
        if not gp < 0.0:
            break
        step = (math.log1p(y) - c * y) / gp
        if not step > 4.4e-16 * y:
            break
        y -= step
    return q / y * (1.0 - 1e-15 * (4.0 + 4.0 / (1.0 - c)))


@njit(cache=True)
def _insertion_order(keys: np.ndarray, idx: np.ndarray, n: int) -> None:
    """Sort ``idx[:n]`` by ``keys[idx]`` ascending (stable; n <= 64)."""
    for a in range(1, n):
        v = idx[a]
        kv = keys[v]
        b = a - 1
        while b >= 0 and keys[idx[b]] > kv:
            idx[b + 1] = idx[b]
            b -= 1
        idx[b + 1] = v


@njit(cache=True)
def _moore_hodgson(p: np.ndarray, due: np.ndarray, idx: np.ndarray, n: int, heap: np.ndarray, origin: float) -> int:
    """Most jobs on time (Moore-Hodgson) among ``idx[:n]`` with processing ``p`` and due dates
    ``due``, starting at ``origin``; ``idx`` is sorted by due date in place."""
    _insertion_order(due, idx, n)
    t = origin
    h = 0
    for a in range(n):
        j = idx[a]
        # push p[j] on a max-heap
        x = p[j]
        i = h
        h += 1
        while i > 0:
            par = (i - 1) >> 1
            if heap[par] >= x:
                break
            heap[i] = heap[par]
            i = par
        heap[i] = x
        t += p[j]
        if t > due[j]:
            top = heap[0]
            t -= top
            h -= 1
            last = heap[h]
            i = 0
            while True:
                c = 2 * i + 1
                if c >= h:
                    break
                if c + 1 < h and heap[c + 1] > heap[c]:
                    c += 1
                if heap[c] <= last:
                    break
                heap[i] = heap[c]
                i = c
            if h > 0:
                heap[i] = last
    return h


@njit(cache=True)
def _levels_fit(
    idx: np.ndarray,
    nr: int,
    drop: int,
    e: np.ndarray,
    mdl: np.ndarray,
    setups: tuple,
    due: np.ndarray,
    heap: np.ndarray,
    seen: np.ndarray,
) -> bool:
    """The deadline-level test with whole setups (sequential): for every prefix of the remaining
    users in due-date order (``idx[:nr]``, sorted), the inferences of the users kept plus the least
    loads of what they use (``own_m`` per model, ``bb_c`` per cluster: :func:`partialopt.bounds.least_setups`)
    must fit before the prefix's last due date. At most ``drop`` users are left out. Leaving out
    x of the ``n_m`` users of model m in the prefix saves ``x e + own_m [x = n_m]``, at most
    ``x (e + own_m / n_m)`` (likewise ``bb_c`` over the cluster's ``n_c``), so each user is given
    the saving ``v_j = e_j + own_m / n_m + bb_c / n_c`` with the counts of the prefix where it
    enters (they only grow: a later v is smaller, an early one stays an upper bound), and the
    prefix's whole work less its ``drop`` largest v must fit. ``seen`` (2 M counts) is overwritten."""
    own, cl, bb = setups
    M = own.shape[0]
    for m in range(2 * M):
        seen[m] = 0
    work = 0.0
    top = 0.0  # sum of the drop largest savings so far (a min-heap of them in heap[:h])
    h = 0
    for a in range(nr):
        j = idx[a]
        m = mdl[j]
        c = cl[m]
        work += e[j]
        if seen[m] == 0:
            work += own[m]
        if seen[M + c] == 0:
            work += bb[c]
        seen[m] += 1
        seen[M + c] += 1
        if drop > 0:
            v = e[j] + own[m] / seen[m] + bb[c] / seen[M + c]
            if h < drop:
                i = h
                h += 1
                while i > 0:
                    par = (i - 1) >> 1
                    if heap[par] <= v:
                        break
                    heap[i] = heap[par]
                    i = par
                heap[i] = v
                top += v
            elif v > heap[0]:
                top += v - heap[0]
                i = 0
                while True:
                    k = 2 * i + 1
                    if k >= h:
                        break
                    if k + 1 < h and heap[k + 1] < heap[k]:
                        k += 1
                    if heap[k] >= v:
                        break
                    heap[i] = heap[k]
                    i = k
                heap[i] = v
        if work - top > due[j]:
            return False
    return True


@njit(cache=True, inline="always")
def _slot(mask: np.uint64, mf: int, hkey: np.ndarray, hmod: np.ndarray) -> int:
    """The hash slot of ``(mask, mf)``: its own, or the empty one where it would go."""
    size = hkey.shape[0]
    hsh = (mask * np.uint64(0x9E3779B97F4A7C15)) ^ (np.uint64(mf + 1) * np.uint64(0xBF58476D1CE4E5B9))
    slot = np.int64(hsh >> np.uint64(20)) & (size - 1)
    while True:
        if hmod[slot] == 0:
            return slot
        if hkey[slot] == mask and hmod[slot] == mf + 1:
            return slot
        slot = (slot + 1) & (size - 1)


@njit(cache=True, inline="always")
def _covers(slot: int, L: float, Lp: float, W: float, hmod, hhead, pool_f, pool_next) -> bool:
    """Whether a state stored at ``slot`` has ``L' >= L``, ``Lp' >= Lp`` and ``W' <= W``."""
    if hmod[slot] == 0:
        return False
    e = hhead[slot] - 1
    while e >= 0:
        if pool_f[e, 0] >= L and pool_f[e, 1] >= Lp and pool_f[e, 2] <= W:
            return True
        e = pool_next[e] - 1
    return False


@njit(cache=True)
def _memo_dominated(
    mask: np.uint64,
    mf: int,
    L: float,
    Lp: float,
    W: float,
    hkey: np.ndarray,
    hmod: np.ndarray,
    hhead: np.ndarray,
    pool_f: np.ndarray,
    pool_next: np.ndarray,
    counts: np.ndarray,
) -> bool:
    """Whether a stored state of the same used set and first model has ``L' >= L``, ``Lp' >= Lp``
    and ``W' <= W`` (then nothing in front of this one can do better); otherwise store this one
    (while the pool has room). Open addressing on ``(mask, mf)``; ``counts``: pool entries, used
    slots. (Stored states of one more user would dominate too, but looking them up cost more
    time than the nodes they saved on 3 of 4 benchmark instances: not done.)"""
    slot = _slot(mask, mf, hkey, hmod)
    if _covers(slot, L, Lp, W, hmod, hhead, pool_f, pool_next):
        return True
    size = hkey.shape[0]
    cap = pool_f.shape[0]
    n = counts[0]
    if n >= cap or counts[1] * 2 >= size:
        return False
    if hmod[slot] == 0:
        hkey[slot] = mask
        hmod[slot] = mf + 1
        hhead[slot] = 0
        counts[1] += 1
    pool_f[n, 0] = L
    pool_f[n, 1] = Lp
    pool_f[n, 2] = W
    pool_next[n] = hhead[slot]
    hhead[slot] = n + 1
    counts[0] = n + 1
    return False


@njit(cache=True)
def _time_bounds_fail(
    nr: int,
    need: int,
    seq: bool,
    t0: float,
    e: np.ndarray,
    mdl: np.ndarray,
    setups: tuple,
    work_f: np.ndarray,
    work_i: np.ndarray,
    idx: np.ndarray,
    cnt: np.ndarray,
) -> bool:
    """Whether the remaining users ``work_i[:nr, 0]`` (due dates ``work_f[:, 4]``) cannot give
    ``need`` more: Moore-Hodgson with each user's share of its setups (sequential) or from ``t0``
    (pipelined), then the deadline levels with whole setups (sequential)."""
    own, cl, bb = setups
    M = own.shape[0]
    for m in range(cnt.shape[0]):
        cnt[m] = 0
    for a in range(nr):
        m = mdl[work_i[a, 0]]
        cnt[m] += 1
        cnt[M + cl[m]] += 1
    for a in range(nr):
        j = work_i[a, 0]
        if seq:
            m = mdl[j]
            work_f[j, 3] = e[j] + own[m] / cnt[m] + bb[cl[m]] / cnt[M + cl[m]]
        else:
            work_f[j, 3] = e[j]
        idx[a] = j
    heap = work_f[:, 6]
    if _moore_hodgson(work_f[:, 3], work_f[:, 4], idx, nr, heap, 0.0 if seq else t0) < need:
        return True
    return seq and not _levels_fit(idx, nr, nr - need, e, mdl, setups, work_f[:, 4], heap, cnt)


@njit(cache=True)
def _expand(
    d: int,
    target: int,
    n: int,
    mdl: np.ndarray,
    e: np.ndarray,
    Tr: np.ndarray,
    D: np.ndarray,
    q: np.ndarray,
    b0: np.ndarray,
    shannon: bool,
    seq: bool,
    time_first: bool,
    tL: np.ndarray,
    setups: tuple,
    t0: float,
    Br: float,
    succ: np.ndarray,
    st_user: np.ndarray,
    st_L: np.ndarray,
    st_W: np.ndarray,
    st_mask: np.ndarray,
    ch_u: np.ndarray,
    ch_f: np.ndarray,
    ch_cnt: np.ndarray,
    ch_ptr: np.ndarray,
    memo: tuple,
    work_f: np.ndarray,
    work_i: np.ndarray,
    cntm: np.ndarray,
) -> None:
    """Children of the node at depth ``d`` into ``ch_*[d]`` (none when pruned or dominated).

    Bounds, over the remaining users R that still fit (``Lp_j >= t0``, ``W + beta_j(L_j) <= B``,
    with ``L_j`` the latest start j would get right in front of f, an upper bound on its latest
    start anywhere in front by the triangle inequality of tL): with ``need = target - d`` more
    users to find, prune when ``|R| < need``, when the ``need`` least ``beta_j(L_j)`` exceed
    ``B - W``, or when Moore-Hodgson serves fewer than ``need`` of R with due dates ``L_j + e_j``.
    Sequential: processing ``e_j + own_m / |R_m| + bb_c / |R_c|`` from time 0 (each model used is
    loaded at least ``own_m`` before its first user, each cluster its backbone ``bb_c``; shared over
    the users of R of that model and cluster), then :func:`_levels_fit` with whole setups;
    pipelined: ``e_j`` from ``t0``.
    """
    ch_cnt[d] = 0
    ch_ptr[d] = 0
    mask = st_mask[d]
    Lf = st_L[d, 0]
    Lpf = st_L[d, 1]
    W = st_W[d]
    mf = -1
    if d > 0:
        mf = mdl[st_user[d]]
        hkey, hmod, hhead, pool_f, pool_next, counts = memo
        if _memo_dominated(mask, mf, Lf, Lpf, W, hkey, hmod, hhead, pool_f, pool_next, counts):
            return
    need = target - d
    if need < 1:
        need = 1
    if d >= n:
        return
    # work_f columns: 0 L_j, 1 Lp_j, 2 beta_j, 3 p_j, 4 due_j, 5 -L_j (sort key), 6 heap
    # phase 1: latest starts, and the time bounds first when the budget is loose (``time_first``:
    # then most pruned nodes need no beta); when it binds, the betas' filter goes first
    nr = 0
    for j in range(n):
        if (mask >> np.uint64(j)) & np.uint64(1):
            continue
        own_t = Tr[j] - e[j]
        if mf < 0:
            Lj = own_t
            Lpj = own_t
        elif seq:
            Lj = min(own_t, Lf - e[j] - tL[mdl[j], mf])
            Lpj = Lj
        else:
            Lj = min(own_t, Lf - e[j])
            Lpj = min(Lj, Lpf - tL[mdl[j], mf])
        if not Lpj >= t0:
            continue
        work_i[nr, 0] = j
        work_f[j, 0] = Lj
        work_f[j, 1] = Lpj
        work_f[j, 4] = Lj + e[j]
        work_f[j, 5] = -Lj
        nr += 1
    if nr < need:
        return
    idx = work_i[:, 1]
    if time_first and _time_bounds_fail(nr, need, seq, t0, e, mdl, setups, work_f, work_i, idx, cntm):
        return
    # phase 2: bandwidth. First the floors b0_j = beta_j(T_j - e_j) <= beta_j(L_j) (no beta to
    # compute): a user whose floor does not fit is out, and the need least floors must fit
    left = Br - W
    kept = 0
    for a in range(nr):
        j = work_i[a, 0]
        if b0[j] <= left:
            work_i[kept, 0] = j
            kept += 1
    if kept < need:
        return
    for a in range(kept):
        idx[a] = work_i[a, 0]
    _insertion_order(b0, idx, kept)
    s = 0.0
    for a in range(need):
        s += b0[idx[a]]
    if s > left:
        return
    n_floor = kept
    # then each beta_j(L_j), the child's own and final bandwidth
    kept = 0
    for a in range(n_floor):
        j = work_i[a, 0]
        bj = beta_relaxed(work_f[j, 0], D[j], q[j], shannon)
        if bj <= left:
            work_f[j, 2] = bj
            work_i[kept, 0] = j
            kept += 1
    if kept < need:
        return
    shrunk = kept < nr
    nr = kept
    for a in range(nr):
        idx[a] = work_i[a, 0]
    bcol = work_f[:, 2]
    _insertion_order(bcol, idx, nr)
    s = 0.0
    for a in range(need):
        s += bcol[idx[a]]
    if s > left:
        return
    if (shrunk or not time_first) and _time_bounds_fail(nr, need, seq, t0, e, mdl, setups, work_f, work_i, idx, cntm):
        return
    # children: the remaining users allowed by symmetry, latest L first
    c = 0
    for a in range(nr):
        j = work_i[a, 0]
        sj = succ[j]
        if sj >= 0 and not ((mask >> np.uint64(sj)) & np.uint64(1)):
            continue
        idx[c] = j
        c += 1
    _insertion_order(work_f[:, 5], idx, c)
    for a in range(c):
        j = idx[a]
        ch_u[d, a] = j
        ch_f[d, a, 0] = work_f[j, 0]
        ch_f[d, a, 1] = work_f[j, 1]
        ch_f[d, a, 2] = W + work_f[j, 2]
    ch_cnt[d] = c


@njit(cache=True)
def search(
    target: int,
    budget: int,
    n: int,
    mdl: np.ndarray,
    e: np.ndarray,
    Tr: np.ndarray,
    D: np.ndarray,
    q: np.ndarray,
    b0: np.ndarray,
    shannon: bool,
    seq: bool,
    time_first: bool,
    tL: np.ndarray,
    tL0: np.ndarray,
    setups: tuple,
    t0: float,
    Br: float,
    succ: np.ndarray,
    st: tuple,
    memo: tuple,
) -> int:
    """Run the depth-first search for at most ``budget`` nodes: 1 when the node on top of the
    stack is a complete suffix of at least ``target`` users (call again to go on), 0 when the
    tree is exhausted, 2 when the budget ran out (call again to resume). ``st`` holds the stack,
    the node counter and the best complete suffix seen (:func:`new_state`)."""
    depth, nodes, st_user, st_L, st_W, st_mask, ch_u, ch_f, ch_cnt, ch_ptr, best, best_ord, work_f, work_i, cntm = st
    if depth[0] < 0:  # fresh state: expand the root
        depth[0] = 0
        st_mask[0] = np.uint64(0)
        st_L[0, 0] = np.inf
        st_L[0, 1] = np.inf
        st_W[0] = 0.0
        _expand(0, target, n, mdl, e, Tr, D, q, b0, shannon, seq, time_first, tL, setups, t0, Br, succ, st_user, st_L, st_W, st_mask,
                ch_u, ch_f, ch_cnt, ch_ptr, memo, work_f, work_i, cntm)  # fmt: skip
    used = 0
    while used < budget:
        d = depth[0]
        if ch_ptr[d] < ch_cnt[d]:
            i = ch_ptr[d]
            ch_ptr[d] = i + 1
            j = ch_u[d, i]
            d1 = d + 1
            st_user[d1] = j
            st_L[d1, 0] = ch_f[d, i, 0]
            st_L[d1, 1] = ch_f[d, i, 1]
            st_W[d1] = ch_f[d, i, 2]
            st_mask[d1] = st_mask[d] | (np.uint64(1) << np.uint64(j))
            depth[0] = d1
            used += 1
            nodes[0] += 1
            _expand(d1, target, n, mdl, e, Tr, D, q, b0, shannon, seq, time_first, tL, setups, t0, Br, succ, st_user, st_L, st_W,
                    st_mask, ch_u, ch_f, ch_cnt, ch_ptr, memo, work_f, work_i, cntm)  # fmt: skip
            if st_L[d1, 1] >= tL0[mdl[j]]:  # complete suffix
                if d1 > best[0]:
                    best[0] = d1
                    for a in range(d1):
                        best_ord[a] = st_user[d1 - a]
                if d1 >= target:
                    return 1
        else:
            if d == 0:
                return 0
            depth[0] = d - 1
    return 2


def new_state(n: int, M: int) -> tuple:
    """Fresh stack arrays for :func:`search` (depth -1: the root is expanded on the first call)."""
    return (
        np.full(1, -1, dtype=np.int64),  # depth
        np.zeros(1, dtype=np.int64),  # nodes
        np.zeros(n + 1, dtype=np.int64),  # user at each depth (the suffix's first user)
        np.zeros((n + 1, 2)),  # L, Lp
        np.zeros(n + 1),  # W
        np.zeros(n + 1, dtype=np.uint64),  # used set
        np.zeros((n + 1, max(n, 1)), dtype=np.int64),  # children
        np.zeros((n + 1, max(n, 1), 3)),  # children's L, Lp, W
        np.zeros(n + 1, dtype=np.int64),
        np.zeros(n + 1, dtype=np.int64),
        np.zeros(1, dtype=np.int64),  # best complete suffix size
        np.zeros(max(n, 1), dtype=np.int64),  # its order (forward)
        np.zeros((max(n, 1), 7)),
        np.zeros((max(n, 1), 2), dtype=np.int64),
        np.zeros(max(2 * M, 1), dtype=np.int64),  # per model, then per cluster
    )


MEMO_BYTES = 128
"""Bytes per memo state at most: a pool row (3 floats and a link, 32 B) and up to 4 hash slots
(key, model, head: 24 B each; the table has a power of two >= 2 slots per state)."""


def new_memo(megabytes: float, n: int) -> tuple:
    """An empty dominance memo taking at most ``megabytes`` MB (:data:`MEMO_BYTES` per state) and
    no more than ``16 n 2^n`` states for n users. Every array is zero-filled by the allocator (the
    empty state is all zeros: a slot's model is stored plus one, links plus one), so the memory is
    only touched as states are stored: a fresh memo costs no time however large."""
    entries = int(max(16, min(megabytes * 1e6 / MEMO_BYTES, 16 * n * 2.0 ** min(n, 40))))
    size = 1 << int(math.ceil(math.log2(2 * entries)))
    return (
        np.zeros(size, dtype=np.uint64),  # key: used set
        np.zeros(size, dtype=np.int64),  # first model + 1 (0: empty slot)
        np.zeros(size, dtype=np.int64),  # head of the slot's list + 1 (0: none)
        np.zeros((entries, 3)),  # L, Lp, W of each stored state
        np.zeros(entries, dtype=np.int64),  # next state of the same slot + 1 (0: none)
        np.zeros(2, dtype=np.int64),  # stored states, used slots
    )
