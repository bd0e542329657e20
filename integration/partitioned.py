"""Resolution split by blocking buckets, so the buckets can run as parallel steps.

The matching engine only ever compares two records that share a blocking key, and only
clusters records its candidate pairs connect. So the records fall into groups no key
crosses: the connected components of "shares a key of some blocking pass" (every block,
also those too big to yield pairs: a block's size decides what it yields), joined by the
admins' decisions and by the previous clusters (an id is inherited inside one group).
Each component goes to one of N buckets (a hash of its smallest record id), and a bucket
is resolved alone, under the stored model, by ``dedupe.resolve``: its blocks are the
whole run's blocks, its pairs the whole run's pairs, its clusters and ids the whole
run's (tests/integration/test_partitioned_resolution.py checks it).

Two things could make a bucket see another run than the whole one, and the plan checks
both up front, refusing to split (one bucket, ``exact=False`` with the reason) rather
than give other clusters:
- the pair budget (``max_pairs_per_record``): when the whole run would skip its weakest
  passes, a bucket alone might not skip them;
- a whole name's block bigger than ``max_block_size``: its records meet a few
  neighbours each in an order ranked over all records, which a bucket ranks otherwise.
Each bucket also checks that the engine derived the same fields and passes from its
records as from all of them (a masked-phone pass, for one, exists only where masked
numbers are), and fails loudly if not.

Two Dagster jobs run it (integration/partitioned_job.py): ``partitioned_resolution``, one
run with a dynamic step per bucket, and ``resolve_bucket_partition``, the buckets as static
partitions (a backfill of all of them is one run per bucket).

``combine_buckets`` puts the buckets' results back together as the one ``Resolution`` the
whole run would have given: the clusters and their changes in the whole run's order, the
scored pairs worth reporting, and the engine's state (prepared records, candidates,
comparison levels, components, cluster labels) over all records, so that the job's last
step writes the crosswalk, identity events, review pairs and matching state exactly as
the single-step resolve does, and a later single-step run goes on incrementally from it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

import dedupe
from dedupe.blocking import blocking_passes, candidate_pairs, pass_keys
from dedupe.cluster import components
from dedupe.engine import _State
from dedupe.ids import ClusterChange
from dedupe.prepare import Prepared, prepare
from integration.errors import ChubError

__all__ = [
    "BucketInput",
    "BucketPlan",
    "BucketResult",
    "PartitionError",
    "bucket_name",
    "combine_buckets",
    "merge_buckets",
    "plan_buckets",
    "resolve_bucket",
    "resolve_bucket_result",
    "split_inputs",
]

#: no budget inside a bucket: the plan made sure the whole run skips no pass either
_UNBOUNDED = 1e12
#: key kinds of the whole-name passes whose big blocks pair neighbours (dedupe.blocking)
_WHOLE_NAME = ("phonetic", "pair_sound")


class PartitionError(ChubError):
    """A bucket would not resolve as the whole run does."""


def bucket_name(k: int) -> str:
    return f"b{k:03d}"


@dataclass
class BucketPlan:
    #: bucket name -> positions (in the input order) of its records; empty buckets left out
    buckets: dict[str, list[int]]
    #: False: the records could not be split exactly (``reason``), one bucket holds them all
    exact: bool
    reason: str = ""
    #: what the engine derived from all records; each bucket must derive the same
    fields: tuple[str, ...] = ()
    passes: tuple[str, ...] = ()
    components: int = 0
    largest_component: int = 0
    stats: dict[str, Any] = field(default_factory=dict)
    #: every record normalized once (what the whole run's state keeps; combine_buckets)
    prep: Prepared | None = field(default=None, repr=False)


def _signature(prep: Prepared) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(prep.fields), tuple(bp.name for bp in blocking_passes(prep))


def _key_edges(prep: Prepared, max_block: int) -> tuple[np.ndarray, np.ndarray, str]:
    """Edges chaining the records of every block of every pass; and why the split would
    not be exact ("" if it would)."""
    lefts: list[np.ndarray] = []
    rights: list[np.ndarray] = []
    why = ""
    cache: dict[tuple[str, str], Any] = {}
    for bp in blocking_passes(prep):
        rec, code = pass_keys(prep, bp, cache)
        if not len(rec):
            continue
        order = np.argsort(code, kind="stable")
        rec, code = rec[order], code[order]
        same = code[1:] == code[:-1]
        lefts.append(rec[:-1][same])
        rights.append(rec[1:][same])
        if not why and all(how in _WHOLE_NAME for _, how in bp.parts):
            sizes = np.diff(np.flatnonzero(np.r_[True, ~same, True]))
            if (sizes > max_block).any():
                why = (
                    f"a whole name's block holds {int(sizes.max())} records (more than "
                    f"max_block_size {max_block}, pass {bp.name}): its neighbour pairs "
                    "depend on all records"
                )
    if not lefts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), why
    return np.concatenate(lefts), np.concatenate(rights), why


def _pair_edges(
    pairs: Iterable[tuple[str, str]], index: Mapping[str, int]
) -> tuple[list[int], list[int]]:
    left, right = [], []
    for a, b in pairs:
        if str(a) in index and str(b) in index:
            left.append(index[str(a)])
            right.append(index[str(b)])
    return left, right


def plan_buckets(
    records: Sequence[Mapping[str, Any]],
    spec: dedupe.MatchSpec,
    settings: dedupe.MatchSettings,
    n_buckets: int,
    *,
    must_link: Iterable[tuple[str, str]] = (),
    cannot_link: Iterable[tuple[str, str]] = (),
    previous: Mapping[str, str] | None = None,
) -> BucketPlan:
    """Which records go to which bucket. Normalizes and blocks every record once (no
    comparison, no scoring, no clustering: those are the buckets' work)."""
    if n_buckets < 1:
        raise PartitionError(f"the number of buckets must be at least 1, not {n_buckets}")
    prep = prepare(records, spec, settings.workers)
    n = prep.n
    fields, passes = _signature(prep)
    index = {rid: i for i, rid in enumerate(prep.ids)}
    left, right, why = _key_edges(prep, settings.max_block_size)
    extra_l, extra_r = _pair_edges([*must_link, *cannot_link], index)
    if previous:
        first_of: dict[str, int] = {}
        for rid, cid in previous.items():
            i = index.get(str(rid))
            if i is None:
                continue
            j = first_of.setdefault(cid, i)
            if j != i:
                extra_l.append(j)
                extra_r.append(i)
    comp = components(
        n,
        np.r_[left, np.asarray(extra_l, np.int64)],
        np.r_[right, np.asarray(extra_r, np.int64)],
    )
    if not why:
        budget = int(settings.max_pairs_per_record * max(n, 1))
        _, pass_stats = candidate_pairs(prep, settings.max_block_size, budget, settings.workers)
        skipped = [name for name, count in pass_stats.items() if count < 0]
        if skipped:
            why = (
                "the pair budget (max_pairs_per_record) skips blocking passes "
                f"{', '.join(skipped)} over all records; a bucket alone would not skip them"
            )
    sizes = np.bincount(comp) if n else np.zeros(0, np.int64)
    # prep.ids is sorted and components are numbered by their smallest record
    first_ids = [prep.ids[i] for i in np.unique(comp, return_index=True)[1].tolist()]
    if why or n_buckets == 1:
        per_comp = np.zeros(len(first_ids), np.int64)
    else:
        per_comp = np.asarray(
            [
                int.from_bytes(hashlib.blake2b(r.encode(), digest_size=8).digest(), "big")
                % n_buckets
                for r in first_ids
            ],
            np.int64,
        )
    # positions in the caller's order: prepare() sorted the records by id
    position = {str(r[spec.id]): k for k, r in enumerate(records)}
    buckets: dict[str, list[int]] = {}
    for i, b in enumerate(per_comp[comp].tolist() if n else []):
        buckets.setdefault(bucket_name(b), []).append(position[prep.ids[i]])
    return BucketPlan(
        buckets={k: sorted(v) for k, v in sorted(buckets.items())},
        exact=not why,
        reason=why,
        fields=fields,
        passes=passes,
        components=len(first_ids),
        largest_component=int(sizes.max()) if len(sizes) else 0,
        prep=prep,
    )


@dataclass
class BucketInput:
    """What one bucket step needs (picklable: it crosses processes)."""

    name: str
    records: list[dict[str, Any]]
    fields: tuple[str, ...]
    passes: tuple[str, ...]
    must_link: list[tuple[str, str]] = field(default_factory=list)
    cannot_link: list[tuple[str, str]] = field(default_factory=list)
    previous: dict[str, str] = field(default_factory=dict)
    cluster_age: dict[str, int] = field(default_factory=dict)
    #: the plan split exactly: no pair budget inside the bucket (the whole run skips no
    #: pass); otherwise the one bucket is the whole run, budget and all
    unbounded: bool = True


def split_inputs(
    records: Sequence[Mapping[str, Any]],
    plan: BucketPlan,
    id_field: str,
    *,
    must_link: Iterable[tuple[str, str]] = (),
    cannot_link: Iterable[tuple[str, str]] = (),
    previous: Mapping[str, str] | None = None,
    cluster_age: Mapping[str, int] | None = None,
) -> list[BucketInput]:
    """Each bucket's records with the decisions, previous ids and ages that concern them."""
    where = {str(records[p][id_field]): name for name, ps in plan.buckets.items() for p in ps}
    out = {
        name: BucketInput(
            name,
            [dict(records[p]) for p in ps],
            plan.fields,
            plan.passes,
            unbounded=plan.exact,
        )
        for name, ps in plan.buckets.items()
    }
    for kind, pairs in (("must", must_link), ("cannot", cannot_link)):
        for a, b in pairs:
            name = where.get(str(a))
            if name is None or where.get(str(b)) != name:
                continue  # a record that is gone: the engine ignores it as well
            target = out[name].must_link if kind == "must" else out[name].cannot_link
            target.append((str(a), str(b)))
    prev = previous or {}
    ages = cluster_age or {}
    for rid, cid in prev.items():
        name = where.get(str(rid))
        if name is not None:
            out[name].previous[str(rid)] = cid
            if cid in ages:
                out[name].cluster_age[cid] = ages[cid]
    return [out[name] for name in sorted(out)]


@dataclass
class BucketResult:
    """One bucket's resolution in the bucket's own record indices (picklable: it
    crosses processes): what ``combine_buckets`` needs to rebuild the whole run's."""

    name: str
    #: the bucket's record ids, sorted (index -> id, as the engine numbers them)
    ids: list[str]
    clusters: dict[str, str]
    changes: list[ClusterChange]
    #: whether the bucket ran with previous ids (False: every record of it is new)
    had_previous: bool
    cand: np.ndarray
    levels: np.ndarray
    bits: np.ndarray
    comp: np.ndarray
    labels: np.ndarray
    must: list[tuple[str, str]]
    cannot: list[tuple[str, str]]
    #: the reported pairs: left, right, probability, levels, weights (bucket indices)
    pair_arrays: tuple[np.ndarray, ...]
    decisions: list[str]
    notes: list[str]
    stats: dict[str, Any] = field(default_factory=dict)


def resolve_bucket_result(
    bucket: BucketInput,
    spec: dedupe.MatchSpec,
    settings: dedupe.MatchSettings,
    model: dedupe.Model,
) -> BucketResult:
    """The bucket's records resolved under ``model``, with its pairs and engine state."""
    res = dedupe.resolve(
        bucket.records,
        spec,
        replace(settings, max_pairs_per_record=_UNBOUNDED) if bucket.unbounded else settings,
        must_link=bucket.must_link,
        cannot_link=bucket.cannot_link,
        previous=bucket.previous or None,
        cluster_age=bucket.cluster_age or None,
        model=model,
    )
    state = res.state
    if state is None:
        raise PartitionError(f"bucket {bucket.name}: the engine kept no state")
    if bucket.records:
        fields, passes = _signature(state.prep)
        if fields != bucket.fields or passes != bucket.passes:
            differ = sorted(set(passes) ^ set(bucket.passes)) or sorted(
                set(fields) ^ set(bucket.fields)
            )
            raise PartitionError(
                f"bucket {bucket.name}: the engine derived other fields or blocking passes "
                f"from its records than from all records ({', '.join(differ)}): resolve in "
                "one bucket"
            )
    _ids, _names, left, right, prob, levels, bits, _types, dec, notes = res._pair_data
    return BucketResult(
        name=bucket.name,
        ids=list(state.prep.ids),
        clusters=dict(res.clusters),
        changes=list(res.changes),
        had_previous=bool(bucket.previous),
        cand=state.cand,
        levels=state.levels,
        bits=state.bits,
        comp=state.comp,
        labels=state.labels,
        must=list(state.must),
        cannot=list(state.cannot),
        pair_arrays=(left, right, prob, levels, bits),
        decisions=list(dec),
        notes=list(notes),
        stats=dict(res.stats),
    )


def resolve_bucket(
    bucket: BucketInput,
    spec: dedupe.MatchSpec,
    settings: dedupe.MatchSettings,
    model: dedupe.Model,
) -> dict[str, str]:
    """The bucket's records resolved under ``model``: record id -> cluster id."""
    return resolve_bucket_result(bucket, spec, settings, model).clusters


def _by_code(left: np.ndarray, right: np.ndarray, n: int) -> np.ndarray:
    """The order of pairs (i < j) by i * n + j: the order the engine keeps them in."""
    return np.argsort(left.astype(np.int64) * n + right.astype(np.int64), kind="stable")


def combine_buckets(
    results: Sequence[BucketResult],
    prep: Prepared,
    spec: dedupe.MatchSpec,
    settings: dedupe.MatchSettings,
    model: dedupe.Model,
    previous: Mapping[str, str] | None = None,
) -> dedupe.Resolution:
    """The buckets' results as the ``Resolution`` one ``dedupe.resolve`` of all records
    (``prep``, the plan's) under ``model`` and ``previous`` gives: the clusters and
    changes in its order (the crosswalk and identity events are written in that order),
    the reported pairs in its order, and its state, so a later incremental run goes on
    from it.

    No candidate pair, decision or previous cluster crosses two buckets (the plan made
    them so), so renumbering each bucket's record indices to the whole run's is all it
    takes; the cluster labels (the smallest member's index) and components (numbered
    by their smallest record) keep their meaning since the renumbering keeps order."""
    ids, n = prep.ids, prep.n
    index = {rid: i for i, rid in enumerate(ids)}
    clusters = merge_buckets(r.clusters for r in results)
    labels = np.full(n, -1, np.int64)
    comp_first = np.full(n, -1, np.int64)
    cands, levels, bits = [], [], []
    pairs: list[list[np.ndarray]] = [[] for _ in range(5)]
    decisions: list[str] = []
    notes: list[str] = []
    must: list[tuple[str, str]] = []
    cannot: list[tuple[str, str]] = []
    keyed: list[tuple[tuple[int, Any], ClusterChange]] = []
    whole_has_previous = any(r.had_previous for r in results)
    for r in results:
        missing = [rid for rid in r.ids if rid not in index]
        if missing:
            raise PartitionError(f"bucket {r.name} holds records the plan has not: {missing[:3]}")
        g = np.fromiter((index[rid] for rid in r.ids), np.int64, len(r.ids))
        if (labels[g] >= 0).any():
            raise PartitionError(f"bucket {r.name} holds records another bucket holds too")
        labels[g] = g[r.labels]
        if len(g):
            comp_first[g] = g[np.unique(r.comp, return_index=True)[1]][r.comp]
        cands.append(g[r.cand.astype(np.int64)].reshape(-1, 2))
        levels.append(r.levels)
        bits.append(r.bits)
        left, right, *rest = r.pair_arrays
        pairs[0].append(g[left.astype(np.int64)])
        pairs[1].append(g[right.astype(np.int64)])
        for k, arr in enumerate(rest, start=2):
            pairs[k].append(arr)
        decisions.extend(r.decisions)
        notes.extend(r.notes)
        must.extend(r.must)
        cannot.extend(r.cannot)
        changes = r.changes
        if whole_has_previous and not r.had_previous:
            changes = _created(r.ids, r.labels, r.clusters)
        for c in changes:
            if c.kind == "left":
                keyed.append(((1, c.cluster_id), c))
            else:
                keyed.append(((0, int(labels[index[c.records[0]]])), c))
    # records of the previous run no longer in the data are in no bucket: their clusters
    # are told here, as the whole run tells them (by cluster id, after the others)
    gone: dict[str, list[str]] = {}
    for rid, cid in (previous or {}).items():
        if rid not in index:
            gone.setdefault(cid, []).append(rid)
    told = {c.cluster_id for (first, _), c in keyed if first == 1}
    for cid in sorted(set(gone) - told):
        keyed.append(((1, cid), ClusterChange("left", cid, tuple(sorted(gone[cid])))))
    if (labels < 0).any():
        lost = [ids[i] for i in np.flatnonzero(labels < 0)[:3].tolist()]
        raise PartitionError(f"no bucket resolved records {lost} of the plan")
    width = len(prep.fields)
    cand = np.concatenate(cands) if cands else np.zeros((0, 2), np.int64)
    order = _by_code(cand[:, 0], cand[:, 1], n)
    cand = cand[order]
    lv = np.concatenate(levels)[order] if levels else np.zeros((0, width), np.int8)
    bt = np.concatenate(bits)[order] if bits else np.zeros((0, width), np.float32)
    # no bucket at all (no record left): the arrays of a run without pairs
    empty = (np.zeros(0, np.int64),) * 3 + (lv[:0], bt[:0])
    p = [np.concatenate(parts) if parts else empty[k] for k, parts in enumerate(pairs)]
    sel = _by_code(p[0], p[1], n)
    p = [a[sel] for a in p]
    dec = [decisions[k] for k in sel.tolist()]
    nts = [notes[k] for k in sel.tolist()]
    # the whole run's order: clusters by their smallest member, members by id
    mapping = {ids[i]: clusters[ids[i]] for i in np.lexsort((np.arange(n), labels)).tolist()}
    keyed.sort(key=lambda kc: kc[0])
    position = index.__getitem__
    must.sort(key=lambda ab: (position(ab[0]), position(ab[1])))
    cannot.sort(key=lambda ab: (position(ab[0]), position(ab[1])))
    state = _State(
        spec,
        settings,
        prep,
        must,
        cannot,
        cand,
        lv,
        bt,
        np.unique(comp_first, return_inverse=True)[1].reshape(-1),
        labels,
    )
    names = list(prep.fields)
    stats: dict[str, Any] = {
        "records": n,
        "candidate_pairs": int(len(cand)),
        "clusters": len(set(mapping.values())),
        "pairs_reported": len(dec),
        "merge_pairs": sum(1 for d in dec if d == "merge"),
        "review_pairs": sum(1 for d in dec if d == "review"),
        "prior": model.prior,
        "buckets": len(results),
    }
    return dedupe.Resolution(
        clusters=mapping,
        changes=[c for _, c in keyed],
        model=model,
        stats=stats,
        _pair_data=(
            ids,
            names,
            p[0],
            p[1],
            p[2],
            p[3],
            p[4],
            [prep.fields[k].type for k in names],
            dec,
            nts,
        ),
        ids=ids,
        state=state,
    )


def _created(
    ids: list[str], labels: np.ndarray, clusters: Mapping[str, str]
) -> list[ClusterChange]:
    """The changes the whole run reports for a bucket of new records only: a bucket
    without previous ids names only its clusters of several records (a first run's
    changes), the whole run every cluster as created (a re-run's)."""
    groups: dict[int, list[str]] = {}
    for i in np.lexsort((np.arange(len(ids)), labels)).tolist():
        groups.setdefault(int(labels[i]), []).append(ids[i])
    return [
        ClusterChange("created", clusters[members[0]], tuple(members))
        for _, members in sorted(groups.items())
    ]


def merge_buckets(results: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """The buckets' clusters as one crosswalk; a cluster id two buckets both issued (a
    hash collision of fresh ids) is an error, never a silent merge."""
    merged: dict[str, str] = {}
    owner: dict[str, int] = {}
    for k, clusters in enumerate(results):
        for rid, cid in clusters.items():
            if owner.setdefault(cid, k) != k:
                raise PartitionError(f"cluster id {cid} was issued by two buckets")
            merged[rid] = cid
    return merged
