"""Stable cluster ids across runs.

Rules (issue 4): same data -> same ids; new records join existing ids; a split keeps
the id on the larger part; a merge keeps the older id; every change is recorded.
Fresh ids derive from the smallest member id, so they do not depend on input order.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from itertools import repeat
from operator import methodcaller
from typing import NamedTuple

import numpy as np

__all__ = ["ClusterChange", "assign_ids", "first_run_ids", "fresh_id", "rerun_ids"]


class ClusterChange(NamedTuple):
    """One change of cluster membership (a named tuple: a first run on a million
    records creates a quarter of a million of them)."""

    kind: str  # created | joined | merged | split | left
    cluster_id: str
    records: tuple[str, ...]
    other_ids: tuple[str, ...] = ()

    def __str__(self) -> str:
        recs = ", ".join(self.records[:5]) + (" ..." if len(self.records) > 5 else "")
        if self.kind == "created":
            return f"cluster {self.cluster_id} created with {recs}"
        if self.kind == "joined":
            return f"{recs} joined cluster {self.cluster_id}"
        if self.kind == "merged":
            return (
                f"clusters {', '.join(self.other_ids)} merged into older cluster {self.cluster_id}"
            )
        if self.kind == "split":
            return (
                f"{recs} split off cluster {self.other_ids[0]} into new cluster {self.cluster_id}"
            )
        return f"{recs} left cluster {self.cluster_id} (no longer in the data)"


def fresh_id(min_member: str, taken: set[str]) -> str:
    salt = 0
    while True:
        raw = min_member if salt == 0 else f"{min_member}#{salt}"
        cid = "C" + hashlib.sha1(raw.encode("utf-8")).hexdigest()[:12]
        if cid not in taken:
            return cid
        salt += 1


def assign_ids(
    groups: Iterable[list[str]],
    previous: Mapping[str, str] | None,
    cluster_age: Mapping[str, int] | None = None,
    taken: set[str] | None = None,
) -> tuple[dict[str, str], list[ClusterChange]]:
    """groups: member record ids of each new cluster. Returns record -> id, changes."""
    prev = previous or {}
    clusters = sorted((sorted(g) for g in groups), key=lambda g: g[0])
    if not prev:
        return _first_ids(clusters, taken or set())
    mapping, changes = _rerun_ids(
        clusters, prev, cluster_age, set(prev.values()) | (taken or set())
    )
    return mapping, changes + _left(prev, mapping)


def _rerun_ids(
    clusters: list[list[str]],
    prev: Mapping[str, str],
    cluster_age: Mapping[str, int] | None,
    used: set[str],
) -> tuple[dict[str, str], list[ClusterChange]]:
    """Ids of `clusters` (sorted, each sorted) given the previous run's `prev`, and what
    changed, except records that left (`_left`). `used` gains the fresh ids."""
    old_members: dict[str, list[str]] = defaultdict(list)
    for rid, cid in prev.items():
        old_members[cid].append(rid)

    def age_key(cid: str) -> tuple:
        # "older": explicit age if given (smaller = older), else the smallest member id
        members = old_members.get(cid) or [cid]
        return (cluster_age.get(cid, 1 << 62) if cluster_age else 0, min(members), cid)

    # each old id prefers the new cluster holding most of its old members (the larger
    # part of a split); ties go to the part with the smallest member id
    overlap: dict[str, Counter[int]] = defaultdict(Counter)
    for k, members in enumerate(clusters):
        for rid in members:
            if rid in prev:
                overlap[prev[rid]][k] += 1
    claims: dict[int, list[str]] = defaultdict(list)
    for cid, cnt in overlap.items():
        best = max(cnt.items(), key=lambda kv: (kv[1], -kv[0]))[0]
        claims[best].append(cid)
    mapping: dict[str, str] = {}
    changes: list[ClusterChange] = []
    for k, members in enumerate(clusters):
        if claims.get(k):
            cid = min(claims[k], key=age_key)  # a merge keeps the older id
            absorbed = tuple(sorted(c for c in claims[k] if c != cid))
            if absorbed:
                changes.append(ClusterChange("merged", cid, tuple(members), absorbed))
        else:
            cid = fresh_id(members[0], used)
            used.add(cid)
            olds = sorted({prev[r] for r in members if r in prev})
            kind = "split" if olds else "created"
            changes.append(ClusterChange(kind, cid, tuple(members), tuple(olds)))
        newcomers = tuple(r for r in members if r in prev and prev[r] != cid)
        if claims.get(k):
            joined = tuple(r for r in members if r not in prev)
            if joined:
                changes.append(ClusterChange("joined", cid, joined))
            moved = tuple(r for r in newcomers if prev[r] not in claims[k])
            if moved:
                changes.append(ClusterChange("joined", cid, moved))
        for rid in members:
            mapping[rid] = cid
    return mapping, changes


def _left(prev: Mapping[str, str], mapping: Mapping[str, str]) -> list[ClusterChange]:
    """Records of the previous run that are no longer in the data, by cluster."""
    gone: dict[str, list[str]] = defaultdict(list)
    for rid, cid in prev.items():
        if rid not in mapping:  # deleted upstream since the last run
            gone[cid].append(rid)
    return [ClusterChange("left", cid, tuple(sorted(gone[cid]))) for cid in sorted(gone)]


def _first_ids(
    clusters: list[list[str]], taken: set[str]
) -> tuple[dict[str, str], list[ClusterChange]]:
    """No earlier run: every cluster gets a fresh id, every multi-record one is created."""
    used = set(taken)
    mapping: dict[str, str] = {}
    changes: list[ClusterChange] = []
    for members in clusters:
        cid = fresh_id(members[0], used)
        used.add(cid)
        if len(members) > 1:
            changes.append(ClusterChange("created", cid, tuple(members)))
        mapping.update(dict.fromkeys(members, cid))
    return mapping, changes


def first_run_ids(
    ids: list[str], labels: np.ndarray, taken: set[str] | None = None
) -> tuple[dict[str, str], list[ClusterChange]]:
    """`assign_ids` with no earlier run, from a cluster label per record (`ids`
    sorted): the same ids, changes and order, from arrays instead of a list per
    cluster (a million records: one pass, not half a million small sorts)."""
    if not ids:
        return {}, []
    records, sizes = _by_smallest_member(labels)
    ordered = np.asarray(ids, dtype=object)[records]
    ordered_ids = ordered.tolist()
    firsts = ordered[np.r_[0, np.cumsum(sizes)[:-1]]].tolist()
    # fresh_id's hash without its loop, as a chain of C-level maps (half a million)
    digests = map(methodcaller("hexdigest"), map(hashlib.sha1, map(methodcaller("encode"), firsts)))
    cids = ["C" + d[:12] for d in digests]
    used = set(taken or ())
    if len(set(cids)) != len(cids) or not used.isdisjoint(cids):
        cids = []  # a hash collision: salt one by one, as fresh_id does
        for m in firsts:
            cids.append(fresh_id(m, used))
            used.add(cids[-1])
    per_record = np.repeat(np.asarray(cids, dtype=object), sizes).tolist()
    mapping = dict(zip(ordered_ids, per_record, strict=True))
    ends = np.cumsum(sizes)
    multi = np.flatnonzero(sizes > 1)
    # ClusterChange("created", id, records) for each multi-record cluster, as C-level
    # maps: the named tuple's own __new__ is a Python call, half of this function's
    # time for a quarter of a million clusters
    members = map(
        tuple,
        map(
            ordered_ids.__getitem__,
            map(slice, (ends - sizes)[multi].tolist(), ends[multi].tolist()),
        ),
    )
    fields = zip(
        repeat("created"), np.asarray(cids, dtype=object)[multi].tolist(), members, repeat(())
    )
    return mapping, list(map(tuple.__new__, repeat(ClusterChange), fields))


def rerun_ids(
    ids: list[str],
    labels: np.ndarray,
    previous: Mapping[str, str],
    cluster_age: Mapping[str, int] | None = None,
) -> tuple[dict[str, str], list[ClusterChange]]:
    """`assign_ids` for a re-run, from a cluster label per record (`ids` sorted): the
    same ids, changes and order. A cluster whose records all come from one previous
    cluster, which has no present record elsewhere, keeps that id with no change; only
    the other clusters go through the rules one by one (a million records re-run
    with few changes: arrays, not a million Python steps)."""
    if not previous:
        return first_run_ids(ids, labels)
    if not ids:
        return {}, _left(previous, {})
    lookup: dict[str, int] = {}
    old = np.fromiter(
        (
            lookup.setdefault(c, len(lookup)) if (c := previous.get(r)) is not None else -1
            for r in ids
        ),
        np.int64,
        len(ids),
    )
    records, sizes = _by_smallest_member(labels)
    rank = np.repeat(np.arange(len(sizes)), sizes)  # cluster of each of them
    old_of = old[records]  # previous cluster of each, -1 = new record
    lowest = np.full(len(sizes), np.iinfo(np.int64).max)
    np.minimum.at(lowest, rank, old_of)
    highest = np.full(len(sizes), -1)
    np.maximum.at(highest, rank, old_of)
    known = old_of >= 0
    pairs = np.unique(old_of[known] * len(sizes) + rank[known])
    holders = np.bincount(pairs // len(sizes), minlength=len(lookup))
    kept = (lowest == highest) & (lowest >= 0)
    kept[kept] = holders[highest[kept]] == 1
    ordered_ids = [ids[i] for i in records.tolist()]
    bounds = np.r_[0, np.cumsum(sizes)].tolist()
    rest = [ordered_ids[bounds[k] : bounds[k + 1]] for k in np.flatnonzero(~kept).tolist()]
    rest_old = {c for members in rest for r in members if (c := previous.get(r)) is not None}
    prev_rest = {r: c for r, c in previous.items() if c in rest_old}
    rest_map, changes = _rerun_ids(rest, prev_rest, cluster_age, set(previous.values()))
    names = list(lookup)
    cids = [
        names[highest[k]] if kept[k] else rest_map[ordered_ids[bounds[k]]]
        for k in range(len(sizes))
    ]
    mapping = dict(zip(ordered_ids, np.repeat(np.asarray(cids, dtype=object), sizes), strict=True))
    return mapping, changes + _left(previous, mapping)


def _by_smallest_member(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Record indices regrouped cluster after cluster (clusters by smallest member,
    members in index order: the order assign_ids uses, since ids are sorted), and the
    size of each cluster in that order."""
    n = len(labels)
    order = np.argsort(labels, kind="stable")
    ordered = labels[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sizes = np.diff(np.r_[starts, n])
    by_first = np.argsort(order[starts], kind="stable")
    starts, sizes = starts[by_first], sizes[by_first]
    member_pos = np.repeat(starts - np.r_[0, np.cumsum(sizes)[:-1]], sizes) + np.arange(n)
    return order[member_pos], sizes
