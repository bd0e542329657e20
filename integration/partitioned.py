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

What this does not do (yet): write the result into the hub. The hub's crosswalk, events
and review pairs are written by the single-step resolve (integration/pipeline/resolve.py);
the partitioned job reports its clusters and how many differ from the hub's.
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
from dedupe.prepare import Prepared, prepare
from integration.errors import ChubError

__all__ = [
    "BucketInput",
    "BucketPlan",
    "PartitionError",
    "bucket_name",
    "merge_buckets",
    "plan_buckets",
    "resolve_bucket",
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


def resolve_bucket(
    bucket: BucketInput,
    spec: dedupe.MatchSpec,
    settings: dedupe.MatchSettings,
    model: dedupe.Model,
) -> dict[str, str]:
    """The bucket's records resolved under ``model``: record id -> cluster id."""
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
    if state is not None and bucket.records:
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
    return dict(res.clusters)


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
