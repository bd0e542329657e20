"""The partitioned_resolution job is the hub's resolver as much as the single step is:
two hubs fed the same rows and the same admin decisions, one resolved by
``resolve_customers``, the other by the bucket job (in process, then under the
multiprocess executor), end with the same crosswalk, golden ids, identity events (with
their causes), review pairs and matching state; the golden build after them agrees, and
a single-step run after the bucket job goes on incrementally from the state it saved.
On SQLite and PostgreSQL (the twin hub is a second schema of the test database)."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import numpy as np
import pytest
import yaml
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from connectors.contract import RawRecord
from integration.definitions import build_definitions
from integration.golden.build import build_golden
from integration.identity import merge_golden, split_member
from integration.partitioned import PartitionError
from integration.partitioned_job import PARTITIONED_JOB, resolve_in_buckets, write_buckets
from integration.pipeline.land import sync_source
from integration.pipeline.resolve import load_matching_state, resolve_customers
from integration.pipeline.standardize import standardize
from integration.resources import HubResource
from integration.store import (
    CustomerRow,
    GoldenCustomer,
    GoldenMember,
    IdentityEvent,
    make_engine,
    session_scope,
    upgrade,
)
from integration.store.models import MatchPair
from tests.integration.doubles import ListSource, rec
from tests.integration.test_identity import RULES, SETTINGS, SPEC, demo_sources, members

PEOPLE, SEED = 300, 21


@pytest.fixture
def twin_url(hub_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty hub beside ``hub_url``'s: another SQLite file, or another schema."""
    if not hub_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'twin.db'}"
        return
    admin = create_engine(hub_url)
    with admin.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS twin CASCADE"))
        conn.execute(text("CREATE SCHEMA twin"))
    url = make_url(hub_url).update_query_dict({"options": "-csearch_path=twin"})
    yield url.render_as_string(hide_password=False)
    with admin.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS twin CASCADE"))
    admin.dispose()


def _config(tmp_path: Path, url: str) -> Path:
    config = {
        "hub": {"database_url": url, "artifacts_dir": str(tmp_path / "artifacts")},
        "matching": {"upper": SETTINGS.upper, "lower": SETTINGS.lower},
        "sources": {"x": {"type": "dropfolder", "path": str(tmp_path), "pattern": "*.none"}},
    }
    path = tmp_path / "chub.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _land(engine: Engine, sources: dict[str, ListSource]) -> None:
    for name, source in sources.items():
        sync_source(engine, name, source)
    standardize(engine, sources, RULES)


def _start(engine: Engine) -> dict[str, ListSource]:
    """A first single-step run (it learns the model), then two admin decisions: a merge
    of two golden records and a member split off, both marking rows for the next run."""
    sources = demo_sources(PEOPLE, seed=SEED)
    _land(engine, sources)
    resolve_customers(engine, SPEC, SETTINGS, run_id="first")
    by_golden: dict[str, list[str]] = {}
    for ref, gid in sorted(members(engine).items()):
        by_golden.setdefault(gid, []).append(ref)
    singles = sorted(g for g, refs in by_golden.items() if len(refs) == 1)
    merge_golden(engine, singles[0], singles[1], actor="steward", reason="same person")
    crowd = sorted(g for g, refs in by_golden.items() if len(refs) > 2)
    split_member(engine, crowd[0], by_golden[crowd[0]][-1], actor="steward", reason="two people")
    return sources


def _change(sources: dict[str, ListSource], seed: int, size: int) -> None:
    """Records renamed, deleted and added (a newcomer with an existing mobile), as
    appended source records the next sync lands."""
    rng = random.Random(seed)
    for name in sorted(sources):
        rows = sources[name].data["customers"]
        latest = {r.key: r for r in rows}
        alive = sorted(k for k, r in latest.items() if not r.deleted)
        for key in rng.sample(alive, size):
            payload = dict(latest[key].payload or {})
            if rng.random() < 0.3:
                rows.append(RawRecord(key=key, payload=None, deleted=True))
            else:
                payload["name"] = str(payload.get("name") or "无")[:-1] + "强"
                rows.append(rec(key, **payload))
        twin = dict(latest[rng.choice(alive)].payload or {})
        rows.append(rec(f"new-{seed}-{name}", **twin))


def _hub(engine: Engine) -> dict[str, Any]:
    """Everything resolution writes, without timestamps and run ids."""
    with session_scope(engine) as s:
        loaded = load_matching_state(s)
        assert loaded is not None
        state = loaded.base.state
        assert state is not None
        newest = dict(
            s.execute(
                select(CustomerRow.source, func.max(CustomerRow.updated_at)).group_by(
                    CustomerRow.source
                )
            ).all()
        )
        return {
            "crosswalk": sorted(
                (m.row_id, m.golden_id, m.source, m.stream, m.source_key)
                for m in s.scalars(select(GoldenMember))
            ),
            "golden": sorted(
                (
                    g.golden_id,
                    g.status,
                    g.merged_into,
                    g.version,
                    g.content_hash,
                    json.dumps(g.fields, sort_keys=True, default=str),
                )
                for g in s.scalars(select(GoldenCustomer))
            ),
            "events": [
                (e.id, e.kind, e.golden_id, e.other_id, e.row_id, e.member_ref, e.cause)
                + (e.decision_id, json.dumps(e.detail, sort_keys=True))
                for e in s.scalars(select(IdentityEvent).order_by(IdentityEvent.id))
            ],
            "pairs": [
                (p.id, p.left_id, p.right_id, round(p.score, 6), p.status)
                + (json.dumps(p.explanation, sort_keys=True),)
                for p in s.scalars(select(MatchPair).order_by(MatchPair.id))
            ],
            "state": {
                "clusters": sorted(loaded.base.clusters.items()),
                "ids": state.prep.ids,
                "must": state.must,
                "cannot": state.cannot,
                "arrays": [
                    getattr(state, a).tolist() for a in ("cand", "levels", "comp", "labels")
                ],
                "bits": np.round(state.bits, 4).tolist(),
                # per source: the newest row it has seen is the newest row there is
                "watermarks": {
                    src: datetime.fromisoformat(mark) == _utc(newest[src])
                    for src, mark in loaded.watermarks.items()
                },
                # what the state keeps to skip re-reading rows: the same rows
                "recent": loaded.recent,
                "stamped": sorted(loaded.stamps),
                "dirty": loaded.dirty,
                "fitted_at": bool(loaded.meta.get("fitted_at")),
            },
        }


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _same(a: dict[str, Any], b: dict[str, Any]) -> None:
    for part in a:  # one part at a time: a failure names what differs
        assert a[part] == b[part], part


def _new_events(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[Any, ...]]:
    return after["events"][len(before["events"]) :]


def partitioned_job() -> dg.JobDefinition:
    """Rebuilt in each step process (reconstructable) from $CHUB_CONFIG."""
    return build_definitions(os.environ["CHUB_CONFIG"]).get_job_def(PARTITIONED_JOB)


def test_the_bucket_job_leaves_the_hub_as_the_single_step_does(
    tmp_path: Path, engine: Engine, twin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    twin = make_engine(twin_url)
    upgrade(twin)
    (tmp_path / "twin").mkdir()
    config = _config(tmp_path / "twin", twin_url)
    one_sources, twin_sources = _start(engine), _start(twin)
    _same(_hub(engine), _hub(twin))

    # a run with renames, deletions, newcomers and two admin decisions to obey
    for sources, hub in ((one_sources, engine), (twin_sources, twin)):
        _change(sources, seed=1, size=12)
        _land(hub, sources)
    before = _hub(engine)
    resolve_customers(engine, SPEC, SETTINGS, run_id="second")
    job = build_definitions(str(config)).get_job_def(PARTITIONED_JOB)
    done = job.execute_in_process(
        run_config={"ops": {"plan_resolution_buckets": {"config": {"buckets": 6}}}}
    )
    assert done.success
    [meta] = [
        e.step_output_data.metadata
        for e in done.all_events
        if e.event_type_value == "STEP_OUTPUT" and e.step_output_data.output_name == "model"
    ]
    assert meta["exact_split"].value is True
    assert isinstance(meta["buckets"].value, int) and meta["buckets"].value >= 4  # split
    one, split = _hub(engine), _hub(twin)
    _same(one, split)
    run = _new_events(before, one)
    kinds = {(e[1], e[6]) for e in run}
    # what the run did: members left by deletion, joined and left by the engine
    assert {("left", "deletion"), ("joined", "engine"), ("left", "engine")} <= kinds, kinds
    assert any(p[4] == "pending" for p in one["pairs"])  # review pairs were written

    # a second, small change: the bucket job under the multiprocess executor
    for sources, hub in ((one_sources, engine), (twin_sources, twin)):
        _change(sources, seed=2, size=3)
        _land(hub, sources)
    before = one
    resolve_customers(engine, SPEC, SETTINGS, run_id="third")
    monkeypatch.setenv("CHUB_CONFIG", str(config))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        parallel = dg.execute_job(
            dg.reconstructable(partitioned_job),
            instance=instance,
            run_config={
                "ops": {"plan_resolution_buckets": {"config": {"buckets": 4}}},
                "execution": {"config": {"multiprocess": {"max_concurrent": 3}}},
            },
        )
        assert parallel.success
        # the clusters asset sees the bucket job's write as a materialization of it
        materialized = instance.get_latest_materialization_event(dg.AssetKey("customer_clusters"))
        assert materialized is not None and materialized.run_id == parallel.run_id
    one, split = _hub(engine), _hub(twin)
    _same(one, split)
    assert _new_events(before, one)  # the small change moved someone

    # the golden records built from either crosswalk are the same
    for hub in (engine, twin):
        build_golden(hub, RULES)
    _same(_hub(engine), _hub(twin))

    # a single-step run after the bucket job goes on from the state the job saved
    for sources, hub in ((one_sources, engine), (twin_sources, twin)):
        _change(sources, seed=3, size=4)
        _land(hub, sources)
        report = resolve_customers(hub, SPEC, SETTINGS, run_id="fourth")
        assert report.mode == "incremental"
    _same(_hub(engine), _hub(twin))
    twin.dispose()


def test_the_writer_refuses_when_the_hub_moved_since_the_plan(
    tmp_path: Path, engine: Engine, hub_url: str
) -> None:
    from integration.partitioned import resolve_bucket_result
    from integration.partitioned_job import _bucket_inputs, _plan, _snapshot

    _start(engine)
    hub = HubResource(config_path=str(_config(tmp_path, hub_url)))
    got = _snapshot(hub)
    plan = _plan(hub, got, 4)
    results = [
        resolve_bucket_result(b, SPEC, SETTINGS, got.model) for b in _bucket_inputs(hub, got, plan)
    ]
    got.prep = plan.prep
    # an admin merges two golden records while the buckets run
    refs = sorted(members(engine).items())
    first, other = refs[0][1], next(g for _, g in refs if g != refs[0][1])
    merge_golden(engine, first, other, actor="steward")
    written = _hub(engine)
    with pytest.raises(PartitionError, match="the hub changed while the buckets ran"):
        write_buckets(hub, got, results, "late")
    assert _hub(engine) == written  # nothing was written


def test_buckets_in_worker_processes_outside_dagster_write_the_same_hub(
    tmp_path: Path, engine: Engine, twin_url: str
) -> None:
    twin = make_engine(twin_url)
    upgrade(twin)
    hub = HubResource(config_path=str(_config(tmp_path, twin_url)))
    one_sources, twin_sources = _start(engine), _start(twin)
    for sources, each in ((one_sources, engine), (twin_sources, twin)):
        _change(sources, seed=4, size=8)
        _land(each, sources)
    single = resolve_customers(engine, SPEC, SETTINGS, run_id="second")
    split = resolve_in_buckets(hub, 4, workers=2, run_id="second")
    _same(_hub(engine), _hub(twin))
    assert split.mode == "partitioned" and single.mode == "incremental"
    assert (split.rows, split.clusters, split.events, split.review_pairs) == (
        single.rows,
        single.clusters,
        single.events,
        single.review_pairs,
    )
    with pytest.raises(PartitionError, match="at least 1"):
        resolve_in_buckets(hub, 0)
    twin.dispose()


def test_chub_resolve_buckets_writes_what_chub_resolve_writes(
    tmp_path: Path, engine: Engine, twin_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from integration.cli import main

    twin = make_engine(twin_url)
    upgrade(twin)
    config = _config(tmp_path, twin_url)
    one_sources, twin_sources = _start(engine), _start(twin)
    for sources, each in ((one_sources, engine), (twin_sources, twin)):
        _change(sources, seed=6, size=8)
        _land(each, sources)
    resolve_customers(engine, SPEC, SETTINGS)
    assert main(["resolve", "--buckets", "3", "--workers", "1", "-c", str(config)]) == 0
    assert capsys.readouterr().out.startswith("partitioned resolution: ")
    _same(_hub(engine), _hub(twin))
    # a refit learns the model over every row: that is not what buckets do
    assert main(["resolve", "--buckets", "3", "--refit", "-c", str(config)]) != 0
    assert "--buckets resolves under the stored model" in capsys.readouterr().err
    twin.dispose()
