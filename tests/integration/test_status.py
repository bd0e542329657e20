"""`chub status`: one sentence on a hub that was never migrated; per source the last
successful sync, lag, rows landed, quarantined and last error; the review queue, dead
letters per sink, the last run; and the same figures on the Dagster assets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import yaml
from sqlalchemy import create_engine, text

from connectors.fakes import hubspot, salesforce
from integration.cli import main
from integration.hub import Hub
from integration.runner import run_job
from integration.status import hub_status, last_run, recorded_run, status_report
from integration.store import MatchPair, Outbound, session_scope, upgrade


def test_a_never_migrated_hub_is_one_sentence(tmp_path: Path, hub_url: str) -> None:
    config = tmp_path / "chub.yaml"
    config.write_text(
        f"hub: {{database_url: '{hub_url}'}}\n"
        "sources:\n  m: {type: hubspot, token: t, base_url: 'http://127.0.0.1:9'}\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "integration.cli", "status", "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("chub: the hub database ")
    assert line.endswith("has never been migrated (no hub tables yet): run `chub db upgrade` first")


def test_a_hub_behind_the_code_says_which_revision(tmp_path: Path, hub_url: str, capsys) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "chub.yaml"
    config.write_text(f"hub: {{database_url: '{hub_url}'}}\n")
    engine = create_engine(hub_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('0001')"))
    engine.dispose()
    assert main(["status", "-c", str(config)]) == 2
    err = capsys.readouterr().err
    assert "is at schema revision 0001, this chub needs" in err
    assert "run `chub db upgrade` first" in err and len(err.strip().splitlines()) == 1


def test_status_figures_after_runs(tmp_path: Path, hub_url: str) -> None:
    when = "2026-01-01T00:00:00+08:00"
    people = [
        {"name": f"张{i}伟", "mobile": f"1380013800{i}", "updated_at": when} for i in range(6)
    ]
    # no mobile, e-mail or WeCom id: quarantined (1 in 7 stays under the source's threshold)
    people.append({"name": "王五", "updated_at": when})
    with (
        hubspot.FakeHubSpot(hubspot.records_from_demo(people), token="t") as mkt,
        salesforce.FakeSalesforce() as crm,
    ):
        config = {
            "hub": {"database_url": hub_url},
            "sources": {"mkt": {"type": "hubspot", "base_url": mkt.url, "token": "t"}},
            "sinks": {"crm": {"type": "salesforce", **crm.settings()}},
        }
        path = tmp_path / "chub.yaml"
        path.write_text(yaml.safe_dump(config, allow_unicode=True))
        hub = Hub.from_config(path)
        upgrade(hub.engine)
        instance = dg.DagsterInstance.ephemeral()
        assert run_job(path, instance=instance)

        status = hub_status(hub)
        [mkt_status] = status.sources
        assert mkt_status.records == 7 and mkt_status.landed_last_sync == 7
        assert mkt_status.quarantined == 1 and mkt_status.last_error is None
        assert mkt_status.lag_seconds is not None and 0 <= mkt_status.lag_seconds < 120
        assert status.last_run is not None and status.last_run.status == "success"
        assert status.last_run.name == "customer_hub_sync"
        assert status.last_run.seconds is not None and status.last_run.seconds > 0

        # a pair waiting for review and a dead letter show up as such
        with session_scope(hub.engine) as session:
            out = session.query(Outbound).filter(Outbound.sink == "crm").first()
            assert out is not None
            out.status = "dead"
            pair = session.query(MatchPair).first()
            if pair is not None:
                pair.status = "pending"
            pending = session.query(MatchPair).filter(MatchPair.status == "pending").count()
        status = hub_status(hub)
        assert status.dead_letters("crm") == 1 and status.review_queue == pending
        report = status_report(hub)
        assert "crm          1 dead letters" in report
        assert f"review queue: {pending}" in report
        assert "last run: customer_hub_sync success in" in report
        assert "mkt          last sync " in report and "1 quarantined" in report

        # the same figures on the landing asset's materialization
        key = dg.AssetKey("land_mkt")
        event = instance.get_latest_materialization_event(key)
        assert event is not None and event.asset_materialization is not None
        meta = event.asset_materialization.metadata
        assert meta["records"].value == 7 and meta["landed_last_sync"].value == 7
        assert meta["lag_seconds"].value is not None and meta["last_error"].value == "None"
        rows = instance.get_latest_materialization_event(dg.AssetKey("customer_rows"))
        assert rows is not None and rows.asset_materialization is not None
        by_source = rows.asset_materialization.metadata["status_by_source"].value
        assert by_source["mkt"]["quarantined"] == 1 and by_source["mkt"]["records"] == 7
        clusters = instance.get_latest_materialization_event(dg.AssetKey("customer_clusters"))
        assert clusters is not None and clusters.asset_materialization is not None
        assert "review_queue" in clusters.asset_materialization.metadata
        published = instance.get_latest_materialization_event(dg.AssetKey("publish_crm"))
        assert published is not None and published.asset_materialization is not None
        assert published.asset_materialization.metadata["dead_letters"].value == 0

        # a failed sync: its error is the source's last error until a sync succeeds
        try:
            with recorded_run(hub.engine, "sync", "mkt"):
                raise ConnectionError("the source went away at 13800138000")
        except ConnectionError:
            pass
        [mkt_status] = hub_status(hub).sources
        assert mkt_status.last_error == "ConnectionError: the source went away at 138****8000"
        sync = last_run(hub.engine, "sync", "mkt", status="success")
        assert sync is not None and mkt_status.last_success is not None
        hub.close()
