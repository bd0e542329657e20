"""One writer at a time, with real concurrent processes: a second `chub run` on the same
hub says that one is running (--no-wait) or waits for it; a writer outside `chub run`
holding the hub lock ``resolve`` holds the run's resolve / golden / publish stages back.
On SQLite (file lock) and PostgreSQL (advisory lock), whichever the fixture gives."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml
from sqlalchemy import func, select

from connectors.fakes import salesforce
from connectors.fakes._server import Request, Response
from connectors.fakes.hubspot import FakeHubSpot, records_from_demo
from integration.hub import Hub
from integration.locks import hub_lock
from integration.store import GoldenMember, session_scope, upgrade
from integration.store.models import HubRun

ENV = {**os.environ, "GX_ANALYTICS_ENABLED": "false", "DAGSTER_DISABLE_TELEMETRY": "1"}
ENV.pop("DAGSTER_HOME", None)  # an ephemeral Dagster instance per process


class HoldingHubSpot(FakeHubSpot):
    """Holds the first contacts request until the test releases it."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.reached = threading.Event()
        self.release = threading.Event()

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/crm/v3/objects/contacts") and not self.reached.is_set():
            self.reached.set()
            self.release.wait(timeout=60)
        return super().handle(request)


def _people(n: int) -> list[dict]:
    return [
        {"name": f"陈{i}明", "mobile": f"1370013{i:04d}", "updated_at": "2026-01-01T00:00:00Z"}
        for i in range(n)
    ]


def _config(
    tmp_path: Path, hub_url: str, source: FakeHubSpot, crm: salesforce.FakeSalesforce
) -> Path:
    config = {
        "hub": {"database_url": hub_url},
        "sources": {
            "mkt": {"type": "hubspot", "base_url": source.url, "token": "t", "timeout": 90}
        },
        "sinks": {"crm": {"type": "salesforce", **crm.settings()}},
    }
    path = tmp_path / "chub.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    return path


def _chub(path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "integration.cli", *args, "-c", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )


def _wait_for(predicate, seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _utc(moment: datetime | None) -> datetime:
    assert moment is not None
    # SQLite gives naive datetimes back; they are UTC
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _job_runs(hub: Hub) -> list[HubRun]:
    with session_scope(hub.engine) as session:
        rows = list(session.scalars(select(HubRun).where(HubRun.kind == "job").order_by(HubRun.id)))
        session.expunge_all()
        return rows


def test_a_second_chub_run_says_one_is_running_or_waits(tmp_path: Path, hub_url: str) -> None:
    with (
        HoldingHubSpot(records_from_demo(_people(4)), token="t") as source,
        salesforce.FakeSalesforce() as crm,
    ):
        path = _config(tmp_path, hub_url, source, crm)
        hub = Hub.from_config(path)
        upgrade(hub.engine)
        first = _chub(path, "run")
        try:
            assert source.reached.wait(60), first.stderr.read() if first.stderr else ""
            # the first run is inside its landing step now, holding the run lock
            refused = subprocess.run(
                [sys.executable, "-m", "integration.cli", "run", "--no-wait", "-c", str(path)],
                capture_output=True,
                text=True,
                env=ENV,
                timeout=120,
            )
            assert refused.returncode == 2
            assert refused.stderr.strip() == (
                "chub: another `chub run` is running on this hub: wait for it to end, or run "
                "again without --no-wait to queue behind it"
            )
            second = _chub(path, "run")
            said: list[str] = []
            reader = threading.Thread(target=lambda: said.extend(second.stderr or []))
            reader.start()
            waiting = "another `chub run` is running on this hub: waiting for it to end\n"
            _wait_for(lambda: waiting in said or second.poll() is not None)
            time.sleep(1)
            assert second.poll() is None  # queued behind the first, not running beside it
        finally:
            source.release.set()
        out1, err1 = first.communicate(timeout=180)
        assert first.returncode == 0, err1
        assert second.wait(timeout=180) == 0, "".join(said)
        reader.join(timeout=10)
        assert waiting in said

        runs = _job_runs(hub)
        assert [r.status for r in runs] == ["success", "success"]
        a, b = runs
        assert _utc(b.started_at) >= _utc(a.finished_at)  # never overlapped
        assert len(crm.records) == 4  # the second run pushed nothing twice
        hub.close()


def test_a_writer_outside_chub_run_holds_back_its_resolve_stage(
    tmp_path: Path, hub_url: str
) -> None:
    with (
        FakeHubSpot(records_from_demo(_people(3)), token="t") as source,
        salesforce.FakeSalesforce() as crm,
    ):
        path = _config(tmp_path, hub_url, source, crm)
        hub = Hub.from_config(path)
        upgrade(hub.engine)

        def members() -> int:
            with session_scope(hub.engine) as session:
                return int(session.scalar(select(func.count()).select_from(GoldenMember)) or 0)

        def landed() -> bool:
            with session_scope(hub.engine) as session:
                return bool(
                    session.scalar(
                        select(func.count()).where(
                            HubRun.kind == "sync", HubRun.name == "mkt", HubRun.status == "success"
                        )
                    )
                )

        with hub_lock(hub.engine, "resolve"):  # this test process is the other writer
            run = _chub(path, "run")
            _wait_for(landed)
            time.sleep(3)  # time enough for standardize and a resolve that did not wait
            assert run.poll() is None
            assert members() == 0 and crm.records == {}
            released = time.time()
        out, err = run.communicate(timeout=180)
        assert run.returncode == 0, err
        assert members() == 3 and len(crm.records) == 3
        [job] = _job_runs(hub)
        assert _utc(job.finished_at).timestamp() >= released - 1  # resolve ran after the release
        hub.close()
