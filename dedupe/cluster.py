"""Clustering that a single bad edge cannot chain together.

Connected components of the auto-merge edges are only *candidates*. Inside each one we
run constrained average-linkage: two clusters join only if (a) at least one cross pair
is an auto-merge edge (or must-link) and (b) the mean match probability over *all*
their cross pairs reaches `cohesion` (every pair of a small component is scored, so a
pair no blocking pass proposed still counts). Two groups of five records of two
people joined by one wrong edge have a cross mean near 1/25 and stay apart. Cannot-link
pairs forbid any join that would put them together; must-link pairs start together.

Growth past a refusal: a customer written down over years changes phone, e-mail and city,
so his records of two periods disagree on all three although a record of the one period
shares an e-mail with several of the other. With `lenient` evidence (what the fields say
when a differing contact point or place is not held against the pair) two clusters that
fail the cohesion test still join when at least `grow_edges` of their cross pairs are
auto-merge edges and the lenient mean reaches `cohesion`: several strong links, and no
contradiction on what defines a person (the name, a birth date, an id, an address, a
company). One wrong edge is still one edge and chains nothing.
"""

from __future__ import annotations

import heapq
import multiprocessing as mp
from collections.abc import Callable

import numpy as np

from dedupe.arrays import member, unique

__all__ = ["components", "cluster_records"]

Scorer = Callable[[np.ndarray, np.ndarray], np.ndarray]


def components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The connected component of each of n records under the edges (left[k],
    right[k]), numbered in the order of their smallest record.

    Union-find in array form: every edge between two trees hooks the larger root under
    the smaller, then every record jumps straight to its root; repeated until no edge
    joins two trees. (scipy's connected_components gives the same numbers, but
    importing scipy.sparse took a third of a second of every run.)"""
    parent = np.arange(n, dtype=np.int64)
    left, right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    while len(left):
        root_l, root_r = parent[left], parent[right]
        apart = root_l != root_r
        if not apart.any():
            break
        left, right, root_l, root_r = left[apart], right[apart], root_l[apart], root_r[apart]
        np.minimum.at(parent, np.maximum(root_l, root_r), np.minimum(root_l, root_r))
        while True:
            up = parent[parent]
            if np.array_equal(up, parent):
                break
            parent = up
    # a root is its tree's smallest record: no edge ever hooks a record under a larger one
    return np.unique(parent, return_inverse=True)[1].reshape(-1)


def _intra_pairs(comp: np.ndarray, comp_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All record pairs inside the given components (vectorised per component size)."""
    order = np.argsort(comp, kind="stable")
    sorted_comp = comp[order]
    lefts, rights = [], []
    sizes = np.bincount(comp)
    for size in unique(sizes[comp_ids]):
        chosen = comp_ids[sizes[comp_ids] == size]
        starts = np.searchsorted(sorted_comp, chosen)
        members = order[starts[:, None] + np.arange(size)[None, :]]
        iu, ju = np.triu_indices(size, 1)
        lefts.append(members[:, iu].ravel())
        rights.append(members[:, ju].ravel())
    if not lefts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(lefts), np.concatenate(rights)


def cluster_records(
    n: int,
    left: np.ndarray,
    right: np.ndarray,
    prob: np.ndarray,
    evidence: np.ndarray,
    *,
    upper: float,
    cohesion: float,
    scorer: Scorer,
    max_dense: int,
    must: list[tuple[int, int]],
    cannot: list[tuple[int, int]],
    workers: int = 1,
    lenient_scorer: Scorer | None = None,
    grow_edges: int = 2,
) -> np.ndarray:
    """Label per record (the smallest record index of its cluster).

    `prob` is each candidate's match probability: it decides the auto-merge edges.
    `evidence` (and `scorer` for pairs that were not candidates) is the probability at
    even prior odds, used for cohesion: once two clusters are linked by an auto-merge
    edge the question is no longer "do two random records match" but "does every cross
    pair agree", and a pair with nothing to compare counts as neutral (0.5).
    """
    strong = prob >= upper
    ml = np.asarray(must, dtype=np.int64).reshape(-1, 2)
    comp = components(n, np.r_[left[strong], ml[:, 0]], np.r_[right[strong], ml[:, 1]])
    sizes = np.bincount(comp, minlength=n)
    dense_ids = np.flatnonzero((sizes >= 2) & (sizes <= max_dense))
    dl, dr = _intra_pairs(comp, dense_ids)
    dp = scorer(dl, dr) if len(dl) else np.zeros(0)
    # huge components (a shared switchboard number...) fall back on the scored edges only
    big = sizes[comp[left]] > max_dense
    el = np.r_[dl, left[big]]
    er = np.r_[dr, right[big]]
    ep = np.r_[dp, evidence[big]]
    grow = lenient_scorer is not None and grow_edges > 0
    # which cross pairs are auto-merge edges comes from the candidates' posterior
    # (asked below only of the few pairs in hard components)
    strong_codes = np.sort(left[strong] * n + right[strong])
    # fast path: a small component whose every pair reaches cohesion and that holds no
    # cannot-link is one cluster whatever the merge order (most components are)
    lowest = np.full(len(sizes), np.inf)
    np.minimum.at(lowest, comp[dl], dp)
    cl = np.asarray(cannot, dtype=np.int64).reshape(-1, 2)
    troubled = np.zeros(len(sizes), dtype=bool)
    troubled[comp[cl[:, 0]][comp[cl[:, 0]] == comp[cl[:, 1]]]] = True
    easy = (sizes <= max_dense) & (lowest >= cohesion) & ~troubled
    hard = ~easy[comp[el]]
    # only the records of hard pairs and constraints take part, renumbered in order (so
    # every tie breaks as it would over all n): a million-record run does not pay per
    # record in Python for a few thousand
    nodes = unique(np.concatenate([el[hard], er[hard], ml.ravel(), cl.ravel()]))
    local = np.searchsorted(nodes, [el[hard], er[hard]])
    args = (
        len(nodes),
        comp[nodes],
        sizes,
        max_dense,
        local[0],
        local[1],
        ep[hard],
        member(el[hard] * n + er[hard], strong_codes),
        cohesion,
        np.searchsorted(nodes, ml),
        [tuple(pair) for pair in np.searchsorted(nodes, cl).tolist()],
        _lenient(lenient_scorer, el[hard], er[hard]) if grow else None,
        grow_edges if grow else 0,
    )
    parallel = workers > 1 and "fork" in mp.get_all_start_methods()
    if parallel and len(local[0]) >= _PARALLEL_EDGES and not len(ml) and not len(cl):
        roots = _linkage_in_halves(args)
    else:
        roots = _average_linkage(*args)
    labels = np.arange(n, dtype=np.int64)
    labels[nodes] = nodes[roots]
    first = np.full(len(sizes), n, dtype=np.int64)
    np.minimum.at(first, comp, np.arange(n))
    in_easy = easy[comp]
    labels[in_easy] = first[comp[in_easy]]
    return labels


def _lenient(scorer: Scorer | None, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    assert scorer is not None  # only called when growth is on
    return scorer(left, right) if len(left) else np.zeros(0)


# hard edges from which average linkage runs in two halves, each in its own process
# (with no admin decisions): components never merge, so each half is clustered as it
# would be whole
_PARALLEL_EDGES = 20_000


def _linkage_in_halves(args: tuple) -> np.ndarray:
    """`_average_linkage(*args)`, its components split into two halves of about equal
    edge counts, clustered in two processes. Records keep their order inside a half, so
    every tie breaks as it would over all of them. The processes are spawned, not forked:
    a fork starts at the size of the whole run (2.4 GB on a million records) and grows
    from there, where a spawned one holds only its half's edges."""
    n, comp, _, _, el, er = args[:6]
    ids, at = np.unique(comp, return_inverse=True)  # components of the hard records
    weight = np.cumsum(np.bincount(at[el], minlength=len(ids)))
    first_half = (weight <= weight[-1] // 2)[at]  # per record
    with mp.get_context("spawn").Pool(2) as pool:
        halves = pool.map(_half, [_half_args(args, first_half), _half_args(args, ~first_half)])
    roots = np.empty(n, dtype=np.int64)
    for chosen, half_roots in zip((first_half, ~first_half), halves, strict=True):
        where = np.flatnonzero(chosen)
        roots[where] = where[half_roots]
    return roots


def _half_args(args: tuple, chosen: np.ndarray) -> tuple:
    """The `_average_linkage` arguments of the records `chosen` (renumbered in order)."""
    (_, comp, sizes, max_dense, el, er, ep, es, cohesion, must, cannot, *growth) = args
    eq, grow = growth or (None, 0)  # without the growth arguments: none
    renumber = np.cumsum(chosen) - 1  # order kept inside the half
    edges = chosen[el]
    return (
        int(chosen.sum()),
        comp[chosen],
        sizes,
        max_dense,
        renumber[el[edges]],
        renumber[er[edges]],
        ep[edges],
        es[edges],
        cohesion,
        must,
        cannot,
        None if eq is None else eq[edges],
        grow,
    )


def _half(args: tuple) -> np.ndarray:
    return _average_linkage(*args)


def _average_linkage(
    n: int,
    comp: np.ndarray,
    sizes: np.ndarray,
    max_dense: int,
    el: np.ndarray,
    er: np.ndarray,
    ep: np.ndarray,
    es: np.ndarray,
    cohesion: float,
    must: np.ndarray,
    cannot: list[tuple[int, int]],
    eq: np.ndarray | None = None,
    grow: int = 0,
) -> np.ndarray:
    """Roots per record. `eq`: the lenient evidence per edge; with `grow` > 0 two
    clusters that fail the cohesion test join on it when `grow` of their cross pairs
    are auto-merge edges (after every join that passes the test: its priority is below
    theirs)."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in must.tolist():
        ra, rb = find(a), find(b)
        # a chain of merges must not join two records an admin kept apart: the
        # keep-apart wins and this merge is not applied (the pair says so)
        if ra != rb and not any({find(x), find(y)} == {ra, rb} for x, y in cannot):
            parent[max(ra, rb)] = min(ra, rb)
    size = {i: 1 for i in range(n)}
    for i in range(n):
        r = find(i)
        if r != i:
            size[r] += 1
    # cluster-pair statistics: [sum of p, scored pairs, strong edges, forbidden, sum of
    # lenient p]
    link: dict[int, dict[int, list]] = {}

    def stat(a: int, b: int) -> list:
        return link.setdefault(a, {}).setdefault(b, [0.0, 0, 0, False, 0.0])

    lenient = eq.tolist() if eq is not None else [0.0] * len(el)
    for a, b, p, s, q in zip(
        el.tolist(), er.tolist(), ep.tolist(), es.tolist(), lenient, strict=True
    ):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        for x, y in ((ra, rb), (rb, ra)):
            st = stat(x, y)
            st[0] += p
            st[1] += 1
            st[2] += int(s)
            st[4] += q
    for a, b in cannot:
        ra, rb = find(a), find(b)
        if ra != rb:
            stat(ra, rb)[3] = True
            stat(rb, ra)[3] = True
    dense = sizes <= max_dense

    def linkage(a: int, b: int) -> float:
        """The join's priority, -1 when it may not happen: 1 + the cross mean for a join
        that passes the cohesion test, the lenient mean (below 1) for one that grows."""
        st = link[a][b]
        if st[3] or not st[2]:
            return -1.0
        denom = size[a] * size[b] if dense[comp[a]] else max(st[1], 1)
        mean = round(st[0] / denom, 9)
        if mean >= cohesion:
            return 1.0 + mean
        if grow and st[2] >= grow:
            lenient_mean = round(st[4] / denom, 9)
            if lenient_mean >= cohesion:
                return min(lenient_mean, 0.999999999)
        return -1.0

    heap = [(-linkage(a, b), a, b) for a in link for b in link[a] if a < b]
    heap = [h for h in heap if -h[0] >= 0.0]
    heapq.heapify(heap)
    while heap:
        neg, a, b = heapq.heappop(heap)
        if find(a) != a or find(b) != b or b not in link.get(a, {}):
            continue
        if -neg != linkage(a, b):
            continue  # stale entry
        keep, gone = min(a, b), max(a, b)
        parent[gone] = keep
        size[keep] += size.pop(gone)
        link[keep].pop(gone, None)
        for other, st in link.pop(gone, {}).items():
            if other == keep:
                continue
            mine = stat(keep, other)
            mine[0] += st[0]
            mine[1] += st[1]
            mine[2] += st[2]
            mine[3] = mine[3] or st[3]
            mine[4] += st[4]
            link[other].pop(gone, None)
            link[other][keep] = list(mine)
        for other in list(link[keep]):
            link[other][keep] = link[keep][other]
            lk = linkage(keep, other)
            if lk >= 0.0:
                heapq.heappush(heap, (-lk, min(keep, other), max(keep, other)))
    return np.fromiter((find(i) for i in range(n)), dtype=np.int64, count=n)
