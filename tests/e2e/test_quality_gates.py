"""Quality gates in the running graph: a source above its failure threshold is held back
from resolution while the others go on; a failing golden suite stops publication."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import dagster as dg
import pytest
import yaml
from sqlalchemy import select

from connectors.fakes import hubspot, salesforce
from integration.hub import Hub
from integration.runner import run_job
from integration.store import GoldenMember, session_scope, upgrade


def _people(prefix: str, good: int, bad: int) -> list[dict]:
    people = [
        {
            "name": f"张{prefix}{i}",
            "mobile": f"1380013{ord(prefix) % 10}{i:03d}",
            "updated_at": "2026-01-01T00:00:00+08:00",
        }
        for i in range(good)
    ]
    people += [
        {"name": f"李{prefix}{i}", "updated_at": "2026-01-01T00:00:00+08:00"} for i in range(bad)
    ]  # no mobile, e-mail or WeCom id: fails required_any
    return people


@pytest.fixture
def servers() -> Iterator[dict]:
    with ExitStack() as stack:
        found = {
            "good": hubspot.FakeHubSpot(hubspot.records_from_demo(_people("a", 4, 0)), token="t"),
            "noisy": hubspot.FakeHubSpot(hubspot.records_from_demo(_people("b", 2, 3)), token="t"),
            "crm": salesforce.FakeSalesforce(),
        }
        for server in found.values():
            stack.enter_context(server)
        yield found


def _config(tmp_path: Path, hub_url: str, servers: dict, quality: dict) -> Path:
    crm = servers["crm"].settings()
    config = {
        "hub": {"database_url": hub_url},
        "sources": {
            name: {"type": "hubspot", "base_url": servers[name].url, "token": "t"}
            for name in ("good", "noisy")
        },
        "sinks": {"crm": {"type": "salesforce", **crm}},
        "quality": quality,
    }
    path = tmp_path / "chub.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    upgrade(Hub.from_config(path).engine)
    return path


def test_a_noisy_source_is_held_back_while_the_others_go_on(tmp_path, hub_url, servers) -> None:  # type: ignore[no-untyped-def]
    path = _config(tmp_path, hub_url, servers, {})
    assert run_job(path, instance=dg.DagsterInstance.ephemeral())
    with session_scope(Hub.from_config(path).engine) as s:
        sources = set(s.scalars(select(GoldenMember.source)))
    assert sources == {"good"}  # noisy fails 3 of 5 rows (> 20 %): its 2 good rows wait
    assert len(servers["crm"].records) == 4


def test_a_failing_golden_suite_publishes_nothing(tmp_path, hub_url, servers) -> None:  # type: ignore[no-untyped-def]
    # every golden record lacks a company name, which this config requires
    path = _config(
        tmp_path,
        hub_url,
        servers,
        {"golden": {"required": ["name", "company_name"], "max_failure_rate": 0.1}},
    )
    said: list[str] = []
    assert not run_job(path, say=said.append, instance=dg.DagsterInstance.ephemeral())
    assert servers["crm"].records == {}
    assert "check quality_golden failed (blocking: what depends on it did not run)" in said
