"""A source that fails does not stop the others: its last good rows stay in, the run goes
on, the failure is reported (a failed asset check, an alert, the run log) and `chub
status` names it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import dagster as dg
import pytest
import yaml
from sqlalchemy import func, select

from connectors.fakes import hubspot, salesforce
from connectors.fakes.robot import FakeRobot
from integration.hub import Hub
from integration.runner import run_job
from integration.status import hub_status, last_run, status_report
from integration.store import GoldenMember, SourceRecord, session_scope, upgrade


def _people(prefix: str, n: int) -> list[dict]:
    return [
        {
            "name": f"王{prefix}{i}",
            "mobile": f"1390013{ord(prefix) % 10}{i:03d}",
            "updated_at": "2026-01-01T00:00:00+08:00",
        }
        for i in range(n)
    ]


@pytest.fixture
def servers() -> Iterator[dict]:
    with ExitStack() as stack:
        found = {
            "steady": hubspot.FakeHubSpot(hubspot.records_from_demo(_people("s", 3)), token="t"),
            "flaky": hubspot.FakeHubSpot(hubspot.records_from_demo(_people("f", 2)), token="t"),
            "crm": salesforce.FakeSalesforce(),
            "robot": FakeRobot(),
        }
        for server in found.values():
            stack.enter_context(server)
        yield found


def _config(tmp_path: Path, hub_url: str, servers: dict) -> Path:
    config = {
        "hub": {"database_url": hub_url},
        "sources": {
            name: {
                "type": "hubspot",
                "base_url": servers[name].url,
                "token": "t",
                "max_attempts": 1,
                "timeout": 2,
            }
            for name in ("steady", "flaky")
        },
        "sinks": {"crm": {"type": "salesforce", **servers["crm"].settings()}},
        "operations": {
            "landing_retries": 1,
            "retry_delay_seconds": 0,
            "alerts": [{"kind": "wecom_robot", "url": servers["robot"].webhook_url}],
            "dagster_url": "http://dagster.example:3000",
        },
    }
    path = tmp_path / "chub.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    return path


def _records(hub: Hub, source: str) -> int:
    with session_scope(hub.engine) as session:
        return int(session.scalar(select(func.count()).where(SourceRecord.source == source)) or 0)


def test_a_failing_source_keeps_its_rows_and_the_run_goes_on(
    tmp_path: Path, hub_url: str, servers: dict
) -> None:
    path = _config(tmp_path, hub_url, servers)
    hub = Hub.from_config(path)
    upgrade(hub.engine)
    assert run_job(path, instance=dg.DagsterInstance.ephemeral())
    assert _records(hub, "flaky") == 2 and _records(hub, "steady") == 3
    assert len(servers["crm"].records) == 5

    # the flaky source goes down (every request answers 500); a new customer in steady
    servers["flaky"].inject("http_500", times=1000)
    servers["steady"].upsert_contact(
        "999", firstname="新", lastname="赵", mobilephone="+86 139 0013 9999"
    )
    asked_before = len(servers["flaky"].requests)
    said: list[str] = []
    ok = run_job(path, say=said.append, instance=dg.DagsterInstance.ephemeral())

    assert not ok  # the run reports the failed source ...
    # ... but went on: steady's new customer is resolved and published
    assert _records(hub, "steady") == 4
    assert len(servers["crm"].records) == 6
    # the flaky source's last good rows stay in, still members of golden records
    assert _records(hub, "flaky") == 2
    with session_scope(hub.engine) as session:
        members = session.scalar(select(func.count()).where(GoldenMember.source == "flaky"))
    assert members == 2
    assert any(line.startswith("source flaky failed to sync") for line in said)
    # two attempts (the retry policy's one retry), each refused at its first request
    assert len(servers["flaky"].requests) - asked_before == 2

    # reported: an alert with the run link and the error, no phone number in it
    [message] = servers["robot"].messages
    content = message["markdown"]["content"]
    assert "source flaky failed to sync" in content
    assert "http://dagster.example:3000/runs/" in content
    assert "HTTP 500" in content
    assert "139" not in content
    # ... in the run log and in chub status
    sync = last_run(hub.engine, "sync", "flaky")
    assert sync is not None and sync.status == "failure" and "HTTP 500" in (sync.error or "")
    job = last_run(hub.engine, "job")
    assert job is not None and job.status == "success"
    assert job.detail["failed_sources"] == ["flaky"]
    status = {s.name: s for s in hub_status(hub).sources}
    assert status["flaky"].last_error and "HTTP 500" in status["flaky"].last_error
    assert status["steady"].last_error is None and status["steady"].landed_last_sync == 1
    report = status_report(hub)
    assert "last error: TransientError" in report
    hub.close()
