"""A sync whose process is killed in the middle of paging, then run again, lands every
record exactly once: each page and its cursor are committed together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from connectors.fakes._server import Request, Response
from connectors.fakes.hubspot import FakeHubSpot
from integration.store import SourceRecord, SyncState

CONTACTS = 450  # 5 pages of 100
BLOCK_AT = 4  # the 4th page request never gets its answer before the kill


class BlockingHubSpot(FakeHubSpot):
    """Holds the n-th contacts page until the test says so, and tells the test it is there."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.pages_asked = 0
        self.reached = threading.Event()
        self.release = threading.Event()

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/crm/v3/objects/contacts") and request.method == "GET":
            self.pages_asked += 1
            if self.pages_asked == BLOCK_AT:
                self.reached.set()
                self.release.wait(timeout=30)
        return super().handle(request)


def _contacts() -> dict[str, list[dict]]:
    return {
        "contacts": [
            {
                "id": str(1000 + i),
                "archived": False,
                "createdAt": "2026-01-01T00:00:00.000Z",
                "updatedAt": "2026-01-02T00:00:00.000Z",
                "properties": {
                    "firstname": "伟",
                    "lastname": "张",
                    "email": f"u{i}@example.cn",
                    "lastmodifieddate": f"2026-01-02T00:{i // 60:02d}:{i % 60:02d}.000Z",
                    "createdate": "2026-01-01T00:00:00.000Z",
                },
            }
            for i in range(CONTACTS)
        ]
    }


def _chub(config: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "HS_TOKEN": "tok"}
    return subprocess.Popen(
        [sys.executable, "-m", "integration.cli", *args, "-c", str(config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_killed_sync_resumes_and_lands_each_record_once(tmp_path: Path, hub_url: str) -> None:
    server = BlockingHubSpot(_contacts(), token="tok").start()
    try:
        config = tmp_path / "chub.yaml"
        config.write_text(
            f"hub: {{database_url: '{hub_url}'}}\n"
            "sources:\n"
            f"  marketing: {{type: hubspot, base_url: '{server.url}', token: '${{HS_TOKEN}}'}}\n"
        )
        assert _chub(config, "db", "upgrade").wait(timeout=120) == 0
        proc = _chub(config, "sync", "marketing")
        assert server.reached.wait(timeout=120), "the sync never reached the page to block on"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        server.release.set()

        engine = create_engine(hub_url)
        with engine.connect() as conn:
            landed = conn.scalar(select(func.count()).select_from(SourceRecord))
            cursor = conn.scalar(select(SyncState.cursor))
        # whole pages only; on PostgreSQL the source is asked for page N+1 while page N is
        # written (land_ahead.py), so page BLOCK_AT - 1 may still have been in flight
        assert landed in ((BLOCK_AT - 2) * 100, (BLOCK_AT - 1) * 100)
        assert cursor is not None

        again = _chub(config, "sync", "marketing")
        out, err = again.communicate(timeout=120)
        assert again.returncode == 0, err
        with engine.connect() as conn:
            keys = conn.scalars(select(SourceRecord.source_key)).all()
        engine.dispose()
        assert len(keys) == CONTACTS and len(set(keys)) == CONTACTS

        # --full re-reads from the beginning: every record seen again, none changed
        full = _chub(config, "sync", "marketing", "--full")
        out, err = full.communicate(timeout=120)
        assert full.returncode == 0, err
        assert f"marketing: {CONTACTS} records" in out and f"{CONTACTS} unchanged" in out
    finally:
        server.release.set()
        server.stop()
