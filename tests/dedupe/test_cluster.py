"""Clustering guarantees: no chaining through one bad edge; constraints obeyed."""

from __future__ import annotations

import numpy as np
import pytest

from dedupe import DedupeInputError, resolve
from dedupe.cluster import cluster_records, components


def _two_people(bad_edge: bool = True):  # type: ignore[no-untyped-def]
    """Records 0-4 are one person, 5-9 another; every pair inside a person is certain,
    every pair across is a clear non-match, except one wrong edge 0-5."""
    group = np.array([0] * 5 + [1] * 5)
    left, right = np.triu_indices(10, 1)
    same = group[left] == group[right]
    prob = np.where(same, 0.999, 0.001)
    if bad_edge:
        prob[(left == 0) & (right == 5)] = 0.99

    def scorer(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        p = np.where(group[a] == group[b], 0.999, 0.001)
        p[(a == 0) & (b == 5)] = 0.99
        return p

    # blocking only proposed a chain inside each person, plus the bad edge
    keep = (same & (right == left + 1)) | ((left == 0) & (right == 5))
    return left[keep], right[keep], prob[keep], scorer


def _cluster(left, right, prob, scorer, must=(), cannot=()):  # type: ignore[no-untyped-def]
    return cluster_records(
        10,
        left,
        right,
        prob,
        prob,
        upper=0.95,
        cohesion=0.5,
        scorer=scorer,
        max_dense=400,
        must=list(must),
        cannot=list(cannot),
    )


def test_one_bad_edge_does_not_chain_two_people() -> None:
    left, right, prob, scorer = _two_people()
    # plain connected components would put all ten together
    assert len(set(components(10, left[prob >= 0.95], right[prob >= 0.95]).tolist())) == 1
    labels = _cluster(left, right, prob, scorer)
    assert len(set(labels[:5].tolist())) == 1 and len(set(labels[5:].tolist())) == 1
    assert labels[0] != labels[5]


def test_must_link_and_cannot_link() -> None:
    left, right, prob, scorer = _two_people(bad_edge=False)
    labels = _cluster(left, right, prob, scorer, must=[(0, 5)])
    assert labels[0] == labels[5]  # an admin said so, whatever the scores
    labels = _cluster(left, right, prob, scorer, cannot=[(1, 3)])
    assert labels[1] != labels[3]
    assert len(set(labels[:5].tolist())) == 2  # the rest of the person is kept whole


def test_constraints_in_resolve(zh_rows, zh_spec) -> None:  # type: ignore[no-untyped-def]
    rows = zh_rows[:800]
    base = resolve(rows, zh_spec)
    by_cluster: dict[str, list[str]] = {}
    for rid, cid in base.clusters.items():
        by_cluster.setdefault(cid, []).append(rid)
    a, b = next(m for m in by_cluster.values() if len(m) >= 2)[:2]
    x, y = sorted(by_cluster)[:2]
    stranger = by_cluster[y][0]
    res = resolve(
        rows, zh_spec, cannot_link=[(a, b)], must_link=[(a, stranger)], previous=base.clusters
    )
    assert res.clusters[a] != res.clusters[b]
    assert res.clusters[a] == res.clusters[stranger]
    pair = next(p for p in res.pairs if {p.id_l, p.id_r} == {a, b})
    assert pair.decision == "apart" and pair.note == "admin decision: keep apart"
    # the next run, given the same decisions, obeys them again
    again = resolve(
        rows, zh_spec, cannot_link=[(a, b)], must_link=[(a, stranger)], previous=res.clusters
    )
    assert again.clusters == res.clusters and again.changes == []


def test_contradicting_constraints_are_an_input_error(zh_rows, zh_spec) -> None:  # type: ignore[no-untyped-def]
    a, b = zh_rows[0]["id"], zh_rows[1]["id"]
    with pytest.raises(DedupeInputError, match="both must-link and cannot-link"):
        resolve(zh_rows[:50], zh_spec, must_link=[(a, b)], cannot_link=[(b, a)])


def test_chaining_in_real_records(zh_rows, zh_spec) -> None:  # type: ignore[no-untyped-def]
    """Two different 张伟 with four records each; one record of the second carries the
    first one's phone by mistake. They must not end in one cluster."""
    a = [
        {
            "id": f"A{i}",
            "name": "张伟",
            "mobile": "13911112222",
            "email": "zw.a@qq.com",
            "city": "北京市",
            "address": "北京市海淀区中关村大街1号",
        }
        for i in range(4)
    ]
    b = [
        {
            "id": f"B{i}",
            "name": "张伟",
            "mobile": "13833334444",
            "email": "zw.b@163.com",
            "city": "广州市",
            "address": "广州市天河区天河路2号",
        }
        for i in range(4)
    ]
    b[0]["mobile"] = "13911112222"  # the one bad edge
    res = resolve(zh_rows + a + b, zh_spec)
    c = res.clusters
    assert len({c[r["id"]] for r in a}) == 1
    assert len({c[r["id"]] for r in b[1:]}) == 1
    assert c["A0"] != c["B1"]


def test_keep_apart_wins_over_a_chain_of_merges() -> None:
    left, right, prob, scorer = _two_people(bad_edge=False)
    labels = _cluster(left, right, prob, scorer, must=[(0, 5), (5, 6)], cannot=[(0, 6)])
    assert labels[0] != labels[6]  # 0-5 and 5-6 merged would put 0 with 6
    assert labels[0] == labels[5] or labels[5] == labels[6]


def test_components_are_those_of_a_plain_search() -> None:
    """Array union-find against a breadth-first search, on random graphs of every
    shape: chains in random order, stars, repeated edges, self-loops, no edges."""
    import random
    from collections import deque

    rng = random.Random(2)
    for trial in range(60):
        n = rng.randint(1, 300)
        if trial % 3 == 0:  # a long chain through the records in random order
            order = list(range(n))
            rng.shuffle(order)
            edges = list(zip(order, order[1:], strict=False))
        else:
            edges = [(rng.randrange(n), rng.randrange(n)) for _ in range(rng.randint(0, n))]
        edges += edges[: len(edges) // 4]  # repeated
        neighbours: list[list[int]] = [[] for _ in range(n)]
        for a, b in edges:
            neighbours[a].append(b)
            neighbours[b].append(a)
        want = [-1] * n
        label = 0
        for start in range(n):  # numbered in the order of their smallest record
            if want[start] >= 0:
                continue
            want[start] = label
            todo = deque([start])
            while todo:
                for b in neighbours[todo.popleft()]:
                    if want[b] < 0:
                        want[b] = label
                        todo.append(b)
            label += 1
        left = np.asarray([a for a, _ in edges], dtype=np.int64)
        right = np.asarray([b for _, b in edges], dtype=np.int64)
        assert components(n, left, right).tolist() == want


def test_average_linkage_in_two_forked_halves_is_the_same() -> None:
    """Components never merge, so clustering two halves of them apart (in forked
    processes) gives the roots of clustering them together, ties included."""
    import multiprocessing as mp

    import pytest

    from dedupe.cluster import _average_linkage, _linkage_in_halves

    if "fork" not in mp.get_all_start_methods():
        pytest.skip("no fork here")
    rng = np.random.default_rng(4)
    sizes = rng.integers(2, 12, size=300)
    comp = np.repeat(np.arange(len(sizes)), sizes)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    el, er = [], []
    for start, size in zip(starts.tolist(), sizes.tolist(), strict=True):
        i, j = np.triu_indices(size, 1)
        el.append(start + i)
        er.append(start + j)
    left, right = np.concatenate(el), np.concatenate(er)
    # probabilities on a coarse grid, so that many linkages tie
    prob = rng.integers(0, 11, size=len(left)) / 10
    strong = prob >= 0.9
    args = (len(comp), comp, sizes, 50, left, right, prob, strong, 0.5,
            np.zeros((0, 2), dtype=np.int64), [])  # fmt: skip
    whole = _average_linkage(*args)
    assert len(sizes) < len(np.unique(whole)) < len(comp)  # some merged, some not
    assert (_linkage_in_halves(args) == whole).all()
