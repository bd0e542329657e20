"""Resolution by blocking buckets gives the clusters (and ids) of one single step, and
the partitioned_resolution job runs its buckets as parallel steps in several processes
under the multiprocess executor (SQLite and PostgreSQL hubs). That the job writes the hub
as the single step does: tests/integration/test_partitioned_writes.py."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import dagster as dg
import pytest
import yaml

import dedupe
from integration.demo.data import generate
from integration.partitioned import (
    PartitionError,
    merge_buckets,
    plan_buckets,
    resolve_bucket,
    split_inputs,
)
from integration.partitioned_job import BUCKET_JOB, BUCKET_PARTITIONS, PARTITIONED_JOB
from tests.integration.test_identity import SETTINGS, SPEC, demo_sources, members, run

_FIELDS = ("name", "mobile", "email", "province", "city", "district", "address", "company_name")


def _records(people: int, seed: int) -> list[dict[str, object]]:
    data = generate(people, seed=seed)
    return [
        {"id": f"{silo}:c:{r.get('id', 'X')}-{i}", **{k: r.get(k) for k in _FIELDS}}
        for silo, rows in data.silos.items()
        for i, r in enumerate(rows)
    ]


def _partitioned(records, n, model, settings=SETTINGS, **kw):  # type: ignore[no-untyped-def]
    plan = plan_buckets(records, SPEC, settings, n, **kw)
    kw.pop("cluster_age", None)
    inputs = split_inputs(records, plan, SPEC.id, **kw)
    return plan, merge_buckets(resolve_bucket(b, SPEC, settings, model) for b in inputs)


@pytest.mark.parametrize(("people", "seed"), [(600, 5), (1500, 11)])
def test_buckets_give_the_clusters_and_ids_of_one_step(people: int, seed: int) -> None:
    records = _records(people, seed)
    first = dedupe.resolve(records, SPEC, SETTINGS)
    rng = random.Random(seed)
    # a later run: some records gone, some renamed, admins' decisions, previous ids
    later = [dict(r) for r in records if rng.random() > 0.03]
    for r in rng.sample(later, 30):
        r["name"] = str(r["name"] or "无")[:-1] + "强"
    ids = [str(r["id"]) for r in later]
    must = [(ids[k], ids[k + 7]) for k in range(0, 50, 10)]
    by_cluster: dict[str, list[str]] = {}
    for rid in ids:
        by_cluster.setdefault(first.clusters[rid], []).append(rid)
    # an admin keeps apart two records the engine had put together
    cannot = [(m[0], m[1]) for m in by_cluster.values() if len(m) > 1][:5]
    assert len(cannot) == 5
    kw = {"must_link": must, "cannot_link": cannot, "previous": first.clusters}
    one = dedupe.resolve(later, SPEC, SETTINGS, model=first.model, **kw)  # type: ignore[arg-type]
    plan, split = _partitioned(later, 8, first.model, **kw)
    assert plan.exact, plan.reason
    assert len(plan.buckets) >= 6  # split for real, not one bucket holding everything
    assert max(map(len, plan.buckets.values())) < len(later) / 2
    assert split == one.clusters  # every record, with the same golden id
    assert len({c for c in split.values()}) < len(split)  # and there were duplicates to find


def test_a_split_that_would_change_the_result_is_refused_to_one_bucket() -> None:
    records = _records(300, 3)
    first = dedupe.resolve(records, SPEC, SETTINGS)
    # a tiny pair budget: the whole run skips its weakest passes, a bucket would not
    tight = dedupe.MatchSettings(upper=0.95, lower=0.6, max_pairs_per_record=0.05)
    plan, split = _partitioned(records, 8, first.model, settings=tight)
    assert not plan.exact and "pair budget" in plan.reason
    assert list(plan.buckets) == ["b000"]
    assert split == dedupe.resolve(records, SPEC, tight, model=first.model).clusters
    # every record of one whole name by sound, more of them than a block may hold
    crowd = [{"id": f"r{i:03d}", "name": "王伟", "mobile": f"1380013{i:04d}"} for i in range(70)]
    plan = plan_buckets(crowd, SPEC, SETTINGS, 4)
    assert not plan.exact and "whole name" in plan.reason


def test_a_bucket_that_derives_other_passes_fails_loudly() -> None:
    records = _records(200, 8)
    first = dedupe.resolve(records, SPEC, SETTINGS)
    plan = plan_buckets(records, SPEC, SETTINGS, 2)
    [bucket, *_] = split_inputs(records, plan, SPEC.id)
    bucket.passes = (*bucket.passes, "no_such_pass")
    with pytest.raises(PartitionError, match="blocking passes"):
        resolve_bucket(bucket, SPEC, SETTINGS, first.model)
    with pytest.raises(PartitionError, match="at least 1"):
        plan_buckets(records, SPEC, SETTINGS, 0)


# ------------------------------------------------------------------ the Dagster job


def partitioned_job() -> dg.JobDefinition:
    """Rebuilt in each step process (reconstructable) from $CHUB_CONFIG."""
    from integration.definitions import build_definitions

    return build_definitions(os.environ["CHUB_CONFIG"]).get_job_def(PARTITIONED_JOB)


def _hub_config(tmp_path: Path, hub_url: str) -> Path:
    config = {
        "hub": {"database_url": hub_url, "artifacts_dir": str(tmp_path / "artifacts")},
        "matching": {"upper": SETTINGS.upper, "lower": SETTINGS.lower},
        "sources": {"x": {"type": "dropfolder", "path": str(tmp_path), "pattern": "*.none"}},
    }
    path = tmp_path / "chub.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_the_job_runs_buckets_in_parallel_processes_with_one_steps_clusters(
    tmp_path: Path, engine, hub_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    run(engine, demo_sources(400, seed=6))  # rows, a stored model, the hub's crosswalk
    written = members(engine)
    monkeypatch.setenv("CHUB_CONFIG", str(_hub_config(tmp_path, hub_url)))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        result = dg.execute_job(
            dg.reconstructable(partitioned_job),
            instance=instance,
            run_config={
                "ops": {"plan_resolution_buckets": {"config": {"buckets": 4}}},
                "execution": {"config": {"multiprocess": {"max_concurrent": 4}}},
            },
        )
        assert result.success
        steps: dict[str, dict[str, float]] = {}
        for event in result.all_events:
            key = event.step_key or ""
            if event.event_type_value == "STEP_OUTPUT" and key.startswith("resolve_bucket_step["):
                meta = event.step_output_data.metadata
                steps[key] = {k: float(meta[k].value) for k in ("pid", "started", "finished")}  # type: ignore[arg-type]
    assert len(steps) >= 3, steps
    assert len({s["pid"] for s in steps.values()}) > 1  # more than one step process
    spans = sorted((s["started"], s["finished"]) for s in steps.values())
    # some bucket started before another one finished: they ran at the same time
    assert any(b[0] < a[1] for a, b in zip(spans, spans[1:], strict=False)), spans
    merged = json.loads((tmp_path / "artifacts" / "partitioned_resolution.json").read_text())
    # the hub's single-step resolve wrote these clusters; the buckets found the same ones
    assert merged == written
    # and the job's last step wrote them back: the hub had not changed, so nothing moved
    assert members(engine) == written


def test_buckets_as_partitions_give_the_hubs_clusters(tmp_path: Path, engine, hub_url: str) -> None:  # type: ignore[no-untyped-def]
    from integration.definitions import build_definitions

    run(engine, demo_sources(300, seed=12))
    written = members(engine)
    job = build_definitions(str(_hub_config(tmp_path, hub_url))).get_job_def(BUCKET_JOB)
    keys = BUCKET_PARTITIONS.get_partition_keys()
    assert len(keys) == 8 and job.partitions_def == BUCKET_PARTITIONS
    merged: dict[str, str] = {}
    sizes = []
    for key in keys:  # what a backfill of every partition runs, one run each
        assert job.execute_in_process(partition_key=key).success
        part = json.loads(
            (tmp_path / "artifacts" / "partitioned_resolution" / f"{key}.json").read_text()
        )
        assert not set(part) & set(merged)  # a record is in one bucket only
        merged.update(part)
        sizes.append(len(part))
    assert sum(1 for n in sizes if n) >= 4  # split for real
    assert merged == written
