"""The ``partitioned_resolution`` job: resolution of the hub's rows by blocking buckets,
one step per bucket, so the buckets run in parallel on whichever executor runs the job
(the multiprocess executor on one machine; the Celery or Kubernetes executor across
many, docs/deploy.md).

plan (reads the rows, the stored model, the crosswalk and the decisions; splits the
records, integration/partitioned.py) -> one ``resolve_bucket_step`` per non-empty bucket
(dynamic outputs keyed by bucket) -> ``write_bucket_resolution``: the one writer. Under
the hub lock ``resolve`` (and in the ``hub_writer`` pool) it checks that nothing moved a
record since the plan read the hub, puts the buckets back together as the whole run's
result and writes the crosswalk, identity events, review pairs and matching state as the
single-step resolve (``customer_clusters``) does, through the same functions, then
reports a materialization of ``customer_clusters`` so the golden records and publishing
downstream follow. The merged crosswalk also goes to
``<artifacts_dir>/partitioned_resolution.json``.

``resolve_bucket_partition`` is the same bucket work with the buckets as static Dagster
partitions: each partition's run plans (the same plan in every run) and resolves its own
bucket into ``<artifacts_dir>/partitioned_resolution/<bucket>.json``; it does not write
the hub (its runs are separate runs, with no last step to combine them).

The model is the one the hub stored (the nightly refit learns it): the buckets do the
comparing, scoring and clustering, not the learning.
"""

import bisect
import hashlib
import json
import os
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import dagster as dg
from sqlalchemy import select
from sqlalchemy.orm import Session

import dedupe
from dedupe.prepare import Prepared
from integration.assets import HUB_WRITER_POOL, one_writer
from integration.identity import Constraints, effective_constraints, golden_ages
from integration.partitioned import (
    BucketInput,
    BucketPlan,
    BucketResult,
    PartitionError,
    bucket_name,
    combine_buckets,
    plan_buckets,
    resolve_bucket,
    resolve_bucket_result,
    split_inputs,
)
from integration.pipeline.resolve import (
    IN_FLIGHT,
    RESOLVABLE,
    LoadedState,
    ResolveReport,
    _apply,
    _digest,
    _fill,
    _in_window,
    _issued,
    _read_rows,
    _recent,
    _Row,
    _row_columns,
    _save_state,
    _watermarks,
    load_matching_state,
)
from integration.resources import HubResource
from integration.status import review_queue_size
from integration.store import GoldenMember, session_scope
from integration.store.models import MatchingState

__all__ = [
    "BUCKET_JOB",
    "BUCKET_PARTITIONS",
    "PARTITIONED_JOB",
    "PlanConfig",
    "build_bucket_partition_job",
    "build_partitioned_job",
    "bucket_result_path",
    "resolve_in_buckets",
    "write_buckets",
]

PARTITIONED_JOB = "partitioned_resolution"
BUCKET_JOB = "resolve_bucket_partition"
#: the buckets as Dagster partitions: a backfill of all of them launches one run per
#: bucket, which the run queue runs side by side (on any run launcher)
BUCKET_COUNT = 8
BUCKET_PARTITIONS = dg.StaticPartitionsDefinition([bucket_name(k) for k in range(BUCKET_COUNT)])


class PlanConfig(dg.Config):
    #: how many buckets the records are hashed into (at most this many parallel steps)
    buckets: int = 8


@dataclass
class HubSnapshot:
    """What the plan read from the hub, for the last step (picklable: it crosses
    processes): the rows the buckets resolve, the crosswalk and decisions they obey, and
    a digest of everything a writer between the plan and the last step would change."""

    #: every customer row of every source, whatever its verdict (watermarks, removals)
    rows: list[_Row]
    records: list[dict[str, Any]]
    model: dedupe.Model
    constraints: Constraints
    previous: dict[str, str]
    ages: dict[str, int]
    watermarks: dict[str, str]
    recent: dict[str, int]
    fitted_at: str
    token: str
    #: refs whose pairs the single step would rewrite (rows changed, gone or marked)
    touched: set[str] = field(default_factory=set)
    prep: Prepared | None = field(default=None, repr=False)


def _hub_token(session: Session, previous: dict[str, str]) -> str:
    """A digest of what the buckets' result depends on besides the rows: the matching
    state's version, the rows marked dirty, the crosswalk and the decisions in force.
    Rows that change meanwhile need no check: the state's watermarks are the plan's,
    so the next run matches them."""
    state = session.get(MatchingState, "engine")
    dirty = session.scalar(select(MatchingState.meta).where(MatchingState.name == "engine.dirty"))
    c = effective_constraints(session)
    digest = hashlib.sha256()
    head = [
        state.version if state is not None else None,
        sorted((dirty or {}).get("rows", [])),
        sorted(c.must_refs),
        sorted(c.cannot_refs),
    ]
    digest.update(json.dumps(head, default=str).encode())
    # the crosswalk piece by piece: a million members need not be one string
    for ref, gid in sorted(previous.items()):
        digest.update(f"\n{ref}\t{gid}".encode())
    return digest.hexdigest()


def _crosswalk(session: Session) -> dict[str, str]:
    q = select(
        GoldenMember.source, GoldenMember.stream, GoldenMember.source_key, GoldenMember.golden_id
    )
    return {f"{s}:{t}:{k}": g for s, t, k, g in session.execute(q)}


def _snapshot(hub: HubResource) -> HubSnapshot:
    h = hub.get()
    blocked = h.blocked_sources()
    if blocked:
        # the single step keeps a held-back source's rows as the stored state has them;
        # the buckets can only resolve the rows the hub has now
        raise PartitionError(
            f"sources {', '.join(sorted(blocked))} are held back from resolution (too many "
            "rows fail quality): resolve with `customer_clusters` (`chub resolve`), which "
            "keeps their last rows, or fix the source first"
        )
    with session_scope(h.engine) as session:
        loaded = load_matching_state(session, h.match_spec, h.match_settings)
        if loaded is None:
            raise PartitionError(
                "the hub has no matching model yet: run `chub resolve` (or the "
                "resolve_and_publish job) once, it learns and stores one"
            )
        rows = _read_rows(session, _row_columns())
        constraints = effective_constraints(session)
        previous = _crosswalk(session)
        touched = _touched(rows, loaded)
        return HubSnapshot(
            rows=rows,
            records=[r.record for r in rows if r.verdict in RESOLVABLE],
            model=loaded.base.model,
            constraints=constraints,
            previous=previous,
            ages=dict(golden_ages(session)),
            watermarks=loaded.watermarks,
            recent=loaded.recent,
            fitted_at=str(loaded.meta.get("fitted_at", "")),
            token=_hub_token(session, previous),
            touched=touched,
        )


def _touched(rows: list[_Row], loaded: LoadedState) -> set[str]:
    """The refs the single step would match again (rows stamped since the state's
    watermarks, less the in-flight margin, and not read unchanged; rows gone; rows
    marked dirty): the review pairs it rewrites are theirs, and the last step rewrites
    the same ones. Every other pair is the same in the whole run as in the stored state
    (the engine's incremental run equals the whole one)."""
    known = loaded.base.ids  # sorted
    dirty = set(loaded.dirty)
    floors = {}
    for source, mark in loaded.watermarks.items():
        at = datetime.fromisoformat(mark)
        floors[source] = (at if at.tzinfo else at.replace(tzinfo=UTC)) - IN_FLIGHT

    def in_state(ref: str) -> bool:
        k = bisect.bisect_left(known, ref)
        return k < len(known) and known[k] == ref

    out: set[str] = set()
    for r in rows:
        floor = floors.get(r.source)
        if floor is not None and r.updated_at < floor and r.row_id not in dirty:
            continue  # not written since the state was saved
        present = in_state(r.ref)
        if r.verdict in RESOLVABLE:
            unchanged = loaded.recent.get(r.ref) == _digest(r.record)
            if present and unchanged and r.row_id not in dirty:
                continue
            out.add(r.ref)
        elif present or r.row_id in dirty:
            out.add(r.ref)
    return out


def _plan(hub: HubResource, got: HubSnapshot, buckets: int) -> BucketPlan:
    h = hub.get()
    return plan_buckets(
        got.records,
        h.match_spec,
        h.match_settings,
        buckets,
        must_link=got.constraints.must_refs,
        cannot_link=got.constraints.cannot_refs,
        previous=got.previous,
    )


def _bucket_inputs(hub: HubResource, got: HubSnapshot, plan: BucketPlan) -> Iterator[BucketInput]:
    """The plan's buckets, each with the records, decisions and previous clusters it needs
    (the dynamic job's plan step and each partition run split the same way)."""
    yield from split_inputs(
        got.records,
        plan,
        hub.get().match_spec.id,
        must_link=got.constraints.must_refs,
        cannot_link=got.constraints.cannot_refs,
        previous=got.previous,
        cluster_age=got.ages,
    )


@dg.op(
    out={
        "buckets": dg.DynamicOut(BucketInput),
        "model": dg.Out(dedupe.Model),
        "snapshot": dg.Out(HubSnapshot),
    },
    description="Split the hub's rows into blocking buckets no key, decision or cluster crosses.",
)
def plan_resolution_buckets(
    context: dg.OpExecutionContext, hub: HubResource, config: PlanConfig
) -> Iterator[dg.Output[Any] | dg.DynamicOutput[BucketInput]]:
    if config.buckets < 1:
        raise PartitionError(f"buckets must be at least 1, not {config.buckets}")
    started = time.monotonic()
    got = _snapshot(hub)
    plan = _plan(hub, got, config.buckets)
    if not plan.exact:
        context.log.warning(f"resolving in one bucket: {plan.reason}")
    # the plan's figures ride on the model output (a dynamic output's are per bucket)
    plan_meta: dict[str, Any] = {
        "records": len(got.records),
        "buckets": len(plan.buckets),
        "exact_split": plan.exact,
        "why_not_split": plan.reason or "-",
        "components": plan.components,
        "largest_component": plan.largest_component,
        "bucket_sizes": dg.MetadataValue.json({k: len(v) for k, v in plan.buckets.items()}),
        "seconds": round(time.monotonic() - started, 3),
    }
    yield dg.Output(got.model, "model", metadata=plan_meta)
    inputs = list(_bucket_inputs(hub, got, plan))
    # the last step keeps every record normalized once (the whole run's state); the
    # records themselves are the buckets' from here on
    got.prep, got.records = plan.prep, []
    yield dg.Output(got, "snapshot")
    for bucket in inputs:
        yield dg.DynamicOutput(bucket, mapping_key=bucket.name, output_name="buckets")


@dg.op(description="Resolve one bucket's records under the stored model.")
def resolve_bucket_step(
    context: dg.OpExecutionContext, hub: HubResource, bucket: BucketInput, model: dedupe.Model
) -> BucketResult:
    h = hub.get()
    started = time.time()
    result = resolve_bucket_result(bucket, h.match_spec, h.match_settings, model)
    context.add_output_metadata(
        {
            "bucket": bucket.name,
            "records": len(bucket.records),
            "clusters": len(set(result.clusters.values())),
            "candidate_pairs": len(result.cand),
            # which process resolved it, and when: parallel steps are visible in the UI
            "pid": os.getpid(),
            "started": started,
            "finished": time.time(),
        }
    )
    return result


def write_buckets(
    hub: HubResource, got: HubSnapshot, results: list[BucketResult], run_id: str | None
) -> tuple[ResolveReport, dict[str, str]]:
    """The buckets' result into the hub as the single-step resolve writes its own: one
    writer under the hub lock, in the transactions resolve uses. Refused, with nothing
    written, when another writer changed the crosswalk, the decisions or the state since
    the plan read them."""
    h = hub.get()
    started = time.monotonic()
    if got.prep is None:
        raise PartitionError("the plan passed no prepared records")
    spec, settings = h.match_spec, h.match_settings
    report = ResolveReport(mode="partitioned")
    with one_writer(h):
        with session_scope(h.engine) as session:
            if _hub_token(session, _crosswalk(session)) != got.token:
                raise PartitionError(
                    "the hub changed while the buckets ran (another resolve, a placement or "
                    "an admin decision): nothing was written; run the job again"
                )
        res = combine_buckets(results, got.prep, spec, settings, got.model, got.previous)
        by_ref = {r.ref: r for r in got.rows}
        fresh = set(res.clusters.values()) - set(got.previous.values())
        with session_scope(h.engine) as session:
            issued = _issued(session, among=fresh)
        # in the order the single step finds them (source by source, row by row): the
        # events of members leaving are written in this order
        removed: dict[str, str] = {}
        for row in sorted(got.rows, key=lambda r: (r.source, r.row_id)):
            if row.ref in got.previous and row.ref not in res.clusters:
                removed[row.ref] = "deletion" if row.verdict == "deleted" else "source"
        for ref in got.previous:  # a crosswalk entry without its row (none should be)
            if ref not in res.clusters and ref not in by_ref:
                removed[ref] = "deletion"
        applied = _apply(
            h.engine,
            res,
            got.previous,
            issued,
            new_rows={ref: by_ref[ref] for ref in res.clusters},
            removed=removed,
            touched=got.touched,
            cause="engine",
            run_id=run_id,
        )
        with session_scope(h.engine) as session:
            marks = _watermarks(got.rows, got.watermarks)
            _save_state(
                session,
                res,
                spec,
                settings,
                marks,
                _recent(got.rows, marks, got.recent),
                fitted_at=got.fitted_at,
                mode="partitioned",
                # every row was read: the stamps of those the next run reads again
                stamps=_in_window({}, got.rows, marks),
            )
    report.rows_matched = len(res.clusters)
    report.rows_removed = len(removed)
    _fill(report, res, applied, got.constraints)
    report.seconds = round(time.monotonic() - started, 3)
    return report, dict(res.clusters)


@dg.op(
    pool=HUB_WRITER_POOL,
    description=(
        "The one writer: the buckets' clusters into the hub's crosswalk, identity events, "
        "review pairs and matching state, as the single-step resolve writes them."
    ),
)
def write_bucket_resolution(
    context: dg.OpExecutionContext,
    hub: HubResource,
    snapshot: HubSnapshot,
    results: list[BucketResult],
) -> dict[str, str]:
    h = hub.get()
    report, merged = write_buckets(hub, snapshot, results, context.run_id)
    out = h.settings.resolve_path(h.settings.hub.artifacts_dir) / "partitioned_resolution.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(merged, sort_keys=True, ensure_ascii=False))
    h.say(
        f"  resolved {report.rows} rows in {len(results)} buckets into {report.clusters} "
        f"clusters: {report.auto_merged_pairs} pairs auto-merged, {report.review_pairs} "
        "queued for review"
    )
    meta: dict[str, Any] = {
        **report.as_metadata(),
        "buckets": len(results),
        "written_to": str(out),
        "review_queue": review_queue_size(h.engine),
    }
    meta = {
        k: dg.MetadataValue.json(v) if isinstance(v, (list, dict)) else v for k, v in meta.items()
    }
    # the clusters the single-step asset would have written are written: the asset graph
    # sees them as a new materialization, and the golden records downstream follow
    context.log_event(dg.AssetMaterialization(asset_key="customer_clusters", metadata=meta))
    context.add_output_metadata(meta)
    return merged


def resolve_in_buckets(
    hub: HubResource, buckets: int, *, workers: int = 1, run_id: str | None = None
) -> ResolveReport:
    """The job's work outside Dagster (a `chub resolve --buckets` or a script): the same
    plan, the buckets in ``workers`` processes of this machine, the same last step."""
    if buckets < 1 or workers < 1:
        raise PartitionError(f"buckets and workers must be at least 1, not {buckets}, {workers}")
    h = hub.get()
    got = _snapshot(hub)
    plan = _plan(hub, got, buckets)
    inputs = list(_bucket_inputs(hub, got, plan))
    got.prep, got.records = plan.prep, []
    spec, settings = h.match_spec, h.match_settings
    if workers == 1 or len(inputs) < 2:
        results = [resolve_bucket_result(b, spec, settings, got.model) for b in inputs]
    else:
        # workers forked from a fresh server process, not from this one (which holds
        # database connections, maybe threads); the server imports the engine once
        ctx = get_context("forkserver")
        ctx.set_forkserver_preload(["integration.partitioned"])
        with ProcessPoolExecutor(min(workers, len(inputs)), mp_context=ctx) as pool:
            n = len(inputs)
            results = list(
                pool.map(resolve_bucket_result, inputs, [spec] * n, [settings] * n, [got.model] * n)
            )
    report, _ = write_buckets(hub, got, results, run_id)
    return report


def build_partitioned_job() -> dg.JobDefinition:
    @dg.job(
        name=PARTITIONED_JOB,
        description=(
            "Resolve the hub's rows by blocking buckets, one parallel step per bucket, under "
            "the stored model, and write the crosswalk, identity events, review pairs and "
            "matching state as the single-step resolve does (scale-out)."
        ),
    )
    def _job() -> None:
        buckets, model, snapshot = plan_resolution_buckets()
        done = buckets.map(lambda b: resolve_bucket_step(b, model))
        write_bucket_resolution(snapshot, done.collect())

    return _job


def bucket_result_path(hub: HubResource, bucket: str) -> Path:
    h = hub.get()
    root = h.settings.resolve_path(h.settings.hub.artifacts_dir)
    return Path(root) / "partitioned_resolution" / f"{bucket}.json"


@dg.op(description="Plan the buckets and resolve the one this run's partition names.")
def resolve_partition_bucket(context: dg.OpExecutionContext, hub: HubResource) -> None:
    bucket = context.partition_key
    got = _snapshot(hub)
    # every partition's run makes the same plan (it is deterministic): no run has to wait
    # for another, at the price of normalizing and blocking every record in each run
    plan = _plan(hub, got, BUCKET_COUNT)
    inputs = {b.name: b for b in _bucket_inputs(hub, got, plan)}
    mine = inputs.get(bucket)
    h = hub.get()
    clusters = (
        {} if mine is None else resolve_bucket(mine, h.match_spec, h.match_settings, got.model)
    )
    out = bucket_result_path(hub, bucket)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(clusters, sort_keys=True, ensure_ascii=False))
    context.log.info(
        f"bucket {bucket}: {len(clusters)} records in {len(set(clusters.values()))} clusters"
        + ("" if plan.exact else f" (not split: {plan.reason})")
    )


def build_bucket_partition_job() -> dg.JobDefinition:
    @dg.job(
        name=BUCKET_JOB,
        partitions_def=BUCKET_PARTITIONS,
        description=(
            "One blocking bucket of the hub's rows resolved under the stored model, as a "
            "partition: backfill every partition to resolve them all side by side; each "
            "writes <artifacts_dir>/partitioned_resolution/<bucket>.json."
        ),
    )
    def _job() -> None:
        resolve_partition_bucket()

    return _job
