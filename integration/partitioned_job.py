"""The ``partitioned_resolution`` job: resolution of the hub's rows by blocking buckets,
one step per bucket, so the buckets run in parallel on whichever executor runs the job
(the multiprocess executor on one machine; the Celery or Kubernetes executor across
many, docs/deploy.md).

plan (reads the rows, the stored model and the decisions; splits the records,
integration/partitioned.py) -> one ``resolve_bucket`` step per non-empty bucket
(dynamic outputs keyed by bucket) -> merge (one crosswalk; how many records it puts in
another golden record than the hub's crosswalk; written to
``<artifacts_dir>/partitioned_resolution.json``).

``resolve_bucket_partition`` is the same work with the buckets as static Dagster
partitions: each partition's run plans (the same plan in every run) and resolves its own
bucket into ``<artifacts_dir>/partitioned_resolution/<bucket>.json``.

The model is the one the hub stored (the nightly refit learns it): the buckets do the
comparing, scoring and clustering, not the learning. The job does not write the hub's
crosswalk: that stays the single-step resolve's (``customer_clusters``).
"""

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
from sqlalchemy import select

import dedupe
from integration.identity import effective_constraints, golden_ages
from integration.partitioned import (
    BucketInput,
    BucketPlan,
    bucket_name,
    merge_buckets,
    plan_buckets,
    resolve_bucket,
    split_inputs,
)
from integration.pipeline.resolve import RESOLVABLE, SPEC_FIELDS, load_matching_state
from integration.resources import HubResource
from integration.store import CustomerRow, GoldenMember, session_scope

__all__ = [
    "BUCKET_JOB",
    "BUCKET_PARTITIONS",
    "PARTITIONED_JOB",
    "PlanConfig",
    "build_bucket_partition_job",
    "build_partitioned_job",
    "bucket_result_path",
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


def _hub_inputs(hub: HubResource) -> dict[str, Any]:
    h = hub.get()
    with session_scope(h.engine) as session:
        loaded = load_matching_state(session)
        if loaded is None:
            raise dg.Failure(
                "the hub has no matching model yet: run `chub resolve` (or the "
                "resolve_and_publish job) once, it learns and stores one"
            )
        q = select(
            CustomerRow.source, CustomerRow.stream, CustomerRow.source_key, CustomerRow.fields
        ).where(CustomerRow.verdict.in_(RESOLVABLE))
        records = [
            {"id": f"{a}:{b}:{c}", **{f: (v or {}).get(f) for f in SPEC_FIELDS}}
            for a, b, c, v in session.execute(q)
        ]
        constraints = effective_constraints(session)
        members = select(
            GoldenMember.source,
            GoldenMember.stream,
            GoldenMember.source_key,
            GoldenMember.golden_id,
        )
        previous = {f"{s}:{t}:{k}": g for s, t, k, g in session.execute(members)}
        ages = dict(golden_ages(session))
    return {
        "records": records,
        "model": loaded.base.model,
        "must": constraints.must_refs,
        "cannot": constraints.cannot_refs,
        "previous": previous,
        "ages": ages,
        "spec": h.match_spec,
        "settings": h.match_settings,
    }


def _bucket_inputs(got: dict[str, Any], plan: BucketPlan) -> Iterator[BucketInput]:
    """The plan's buckets, each with the records, decisions and previous clusters it needs
    (the dynamic job's plan step and each partition run split the same way)."""
    yield from split_inputs(
        got["records"],
        plan,
        got["spec"].id,
        must_link=got["must"],
        cannot_link=got["cannot"],
        previous=got["previous"],
        cluster_age=got["ages"],
    )


@dg.op(
    out={
        "buckets": dg.DynamicOut(BucketInput),
        "model": dg.Out(dedupe.Model),
    },
    description="Split the hub's rows into blocking buckets no key, decision or cluster crosses.",
)
def plan_resolution_buckets(
    context: dg.OpExecutionContext, hub: HubResource, config: PlanConfig
) -> Iterator[dg.Output[Any] | dg.DynamicOutput[BucketInput]]:
    if config.buckets < 1:
        raise dg.Failure(f"buckets must be at least 1, not {config.buckets}")
    started = time.monotonic()
    got = _hub_inputs(hub)
    plan = plan_buckets(
        got["records"],
        got["spec"],
        got["settings"],
        config.buckets,
        must_link=got["must"],
        cannot_link=got["cannot"],
        previous=got["previous"],
    )
    if not plan.exact:
        context.log.warning(f"resolving in one bucket: {plan.reason}")
    # the plan's figures ride on the model output (a dynamic output's are per bucket)
    plan_meta: dict[str, Any] = {
        "records": len(got["records"]),
        "buckets": len(plan.buckets),
        "exact_split": plan.exact,
        "why_not_split": plan.reason or "-",
        "components": plan.components,
        "largest_component": plan.largest_component,
        "bucket_sizes": dg.MetadataValue.json({k: len(v) for k, v in plan.buckets.items()}),
        "seconds": round(time.monotonic() - started, 3),
    }
    yield dg.Output(got["model"], "model", metadata=plan_meta)
    for bucket in _bucket_inputs(got, plan):
        yield dg.DynamicOutput(bucket, mapping_key=bucket.name, output_name="buckets")


@dg.op(description="Resolve one bucket's records under the stored model.")
def resolve_bucket_step(
    context: dg.OpExecutionContext, hub: HubResource, bucket: BucketInput, model: dedupe.Model
) -> dict[str, str]:
    h = hub.get()
    started = time.time()
    clusters = resolve_bucket(bucket, h.match_spec, h.match_settings, model)
    context.add_output_metadata(
        {
            "bucket": bucket.name,
            "records": len(bucket.records),
            "clusters": len(set(clusters.values())),
            # which process resolved it, and when: parallel steps are visible in the UI
            "pid": os.getpid(),
            "started": started,
            "finished": time.time(),
        }
    )
    return clusters


@dg.op(description="The buckets' clusters as one crosswalk, compared with the hub's.")
def merge_bucket_clusters(
    context: dg.OpExecutionContext, hub: HubResource, results: list[dict[str, str]]
) -> dict[str, str]:
    h = hub.get()
    merged = merge_buckets(results)
    with session_scope(h.engine) as session:
        q = select(
            GoldenMember.source,
            GoldenMember.stream,
            GoldenMember.source_key,
            GoldenMember.golden_id,
        )
        hub_ids = {f"{s}:{t}:{k}": g for s, t, k, g in session.execute(q)}
    differing = sum(1 for rid, cid in merged.items() if hub_ids.get(rid) != cid)
    out = h.settings.resolve_path(h.settings.hub.artifacts_dir) / "partitioned_resolution.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(merged, sort_keys=True, ensure_ascii=False))
    context.add_output_metadata(
        {
            "records": len(merged),
            "clusters": len(set(merged.values())),
            "buckets": len(results),
            "records_not_as_in_hub": differing,
            "written_to": str(out),
        }
    )
    return merged


def build_partitioned_job() -> dg.JobDefinition:
    @dg.job(
        name=PARTITIONED_JOB,
        description=(
            "Resolve the hub's rows by blocking buckets, one parallel step per bucket, under "
            "the stored model; the same clusters as one process (scale-out)."
        ),
    )
    def _job() -> None:
        buckets, model = plan_resolution_buckets()
        done = buckets.map(lambda b: resolve_bucket_step(b, model))
        merge_bucket_clusters(done.collect())

    return _job


def bucket_result_path(hub: HubResource, bucket: str) -> Path:
    h = hub.get()
    root = h.settings.resolve_path(h.settings.hub.artifacts_dir)
    return Path(root) / "partitioned_resolution" / f"{bucket}.json"


@dg.op(description="Plan the buckets and resolve the one this run's partition names.")
def resolve_partition_bucket(context: dg.OpExecutionContext, hub: HubResource) -> None:
    bucket = context.partition_key
    got = _hub_inputs(hub)
    # every partition's run makes the same plan (it is deterministic): no run has to wait
    # for another, at the price of normalizing and blocking every record in each run
    plan = plan_buckets(
        got["records"],
        got["spec"],
        got["settings"],
        BUCKET_COUNT,
        must_link=got["must"],
        cannot_link=got["cannot"],
        previous=got["previous"],
    )
    inputs = {b.name: b for b in _bucket_inputs(got, plan)}
    mine = inputs.get(bucket)
    clusters = (
        {} if mine is None else resolve_bucket(mine, got["spec"], got["settings"], got["model"])
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
