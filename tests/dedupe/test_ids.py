"""Stable cluster ids: same data same ids, joins, splits, merges, every change recorded."""

from __future__ import annotations

import hashlib
import random

import numpy as np

from dedupe import resolve
from dedupe.ids import assign_ids, fresh_id


def test_fresh_ids_derive_from_the_smallest_member() -> None:
    mapping, changes = assign_ids([["b", "a"], ["c"]], None)
    assert mapping["a"] == mapping["b"] == "C" + hashlib.sha1(b"a").hexdigest()[:12]
    assert [c.kind for c in changes] == ["created"]
    assert fresh_id("a", {mapping["a"]}) != mapping["a"]  # collisions are avoided


def test_same_data_same_ids(zh_rows, zh_spec) -> None:  # type: ignore[no-untyped-def]
    first = resolve(zh_rows, zh_spec)
    again = resolve(list(reversed(zh_rows)), zh_spec, previous=first.clusters)
    assert again.clusters == first.clusters and again.changes == []
    assert resolve(zh_rows, zh_spec).clusters == first.clusters  # also without previous


def test_new_records_join_existing_ids(zh_rows, zh_spec) -> None:  # type: ignore[no-untyped-def]
    first = resolve(zh_rows, zh_spec)
    target = next(r for r in zh_rows if r["mobile"] and r["name"])
    twin = {**target, "id": "NEW-1"}
    res = resolve([*zh_rows, twin], zh_spec, previous=first.clusters)
    assert res.clusters["NEW-1"] == first.clusters[target["id"]]
    joined = [c for c in res.changes if c.kind == "joined"]
    assert joined and "NEW-1" in joined[0].records and "joined" in str(joined[0])


def test_split_keeps_the_id_on_the_larger_part() -> None:
    prev = {"a": "X", "b": "X", "c": "X", "d": "X"}
    mapping, changes = assign_ids([["a", "b", "c"], ["d"]], prev)
    assert mapping["a"] == mapping["b"] == mapping["c"] == "X"
    assert mapping["d"] not in ("X", "")
    (split,) = [c for c in changes if c.kind == "split"]
    assert split.records == ("d",) and split.other_ids == ("X",)
    # ties go to the part holding the smallest member id
    mapping, _ = assign_ids([["b"], ["a"]], {"a": "X", "b": "X"})
    assert mapping["a"] == "X"


def test_merge_keeps_the_older_id() -> None:
    prev = {"a": "X", "b": "X", "c": "Y", "d": "Y", "e": "Y"}
    mapping, changes = assign_ids([["a", "b", "c", "d", "e"]], prev)
    assert set(mapping.values()) == {"X"}  # X holds the smallest member id: older
    (merged,) = [c for c in changes if c.kind == "merged"]
    assert merged.cluster_id == "X" and merged.other_ids == ("Y",)
    mapping, _ = assign_ids([["a", "b", "c", "d", "e"]], prev, cluster_age={"X": 5, "Y": 1})
    assert set(mapping.values()) == {"Y"}  # an explicit age wins


def test_split_in_resolve(zh_rows, zh_spec) -> None:  # type: ignore[no-untyped-def]
    """A wrong merge from an earlier run is split; the larger part keeps the id."""
    first = resolve(zh_rows, zh_spec)
    members: dict[str, list[str]] = {}
    for rid, cid in first.clusters.items():
        members.setdefault(cid, []).append(rid)
    big = next(cid for cid, m in sorted(members.items()) if len(m) >= 3)
    lone = next(m[0] for cid, m in sorted(members.items()) if len(m) == 1)
    prev = {**first.clusters, lone: big}  # pretend the lone record was merged into big
    res = resolve(zh_rows, zh_spec, previous=prev)
    assert res.clusters[members[big][0]] == big
    assert res.clusters[lone] != big
    assert any(c.kind == "split" and lone in c.records for c in res.changes)


def test_removed_records_are_recorded() -> None:
    mapping, changes = assign_ids([["a"]], {"a": "X", "b": "X"})
    assert mapping == {"a": "X"}
    assert [(c.kind, c.cluster_id, c.records) for c in changes] == [("left", "X", ("b",))]


def _groups(ids: list[str], labels: np.ndarray) -> list[list[str]]:
    """Member ids of each label, as assign_ids takes them."""
    out: dict[int, list[str]] = {}
    for rid, label in zip(ids, labels.tolist(), strict=True):
        out.setdefault(label, []).append(rid)
    return list(out.values())


def test_first_run_ids_from_labels_equal_assign_ids() -> None:
    from dedupe.ids import first_run_ids

    rng = np.random.default_rng(7)
    for n in (0, 1, 2, 50, 3000):
        ids = sorted(f"r{i:05d}" for i in range(n))
        labels = rng.integers(0, max(n // 2, 1), n)
        want = assign_ids(_groups(ids, labels), None)
        got = first_run_ids(ids, labels)
        assert list(got[0].items()) == list(want[0].items()) and got[1] == want[1]
        if n:  # an id already taken elsewhere is salted, as fresh_id does
            taken = {next(iter(want[0].values()))}
            assert first_run_ids(ids, labels, taken) == assign_ids(
                _groups(ids, labels), None, taken=taken
            )


def test_rerun_ids_from_labels_equal_assign_ids() -> None:
    """Most clusters unchanged (kept by arrays), some records moved, new or gone."""
    from dedupe.ids import rerun_ids

    rng = random.Random(7)
    for _ in range(1500):
        n = rng.randint(1, 80)
        ids = sorted(f"r{i:03d}" for i in rng.sample(range(300), n))
        labels = np.asarray([rng.randint(0, max(n // 2, 1)) for _ in ids])
        prev: dict[str, str] = {}
        for rid, label in zip(ids, labels.tolist(), strict=True):
            x = rng.random()
            if x < 0.8:
                prev[rid] = f"K{label:03d}"
            elif x < 0.9:
                prev[rid] = f"K{rng.randint(0, n):03d}"
        for i in range(rng.randint(0, 4)):
            prev[f"g{i}"] = f"K{rng.randint(0, n):03d}"
        age = {c: rng.randint(0, 3) for c in set(prev.values())} if rng.random() < 0.5 else None
        if not prev:
            continue
        want = assign_ids(_groups(ids, labels), prev, age)
        got = rerun_ids(ids, labels, prev, age)
        assert list(got[0].items()) == list(want[0].items()) and got[1] == want[1]
