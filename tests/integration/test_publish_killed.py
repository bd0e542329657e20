"""SIGKILL during a publish batch, then the next run: nothing twice downstream.

The stand-in (Kingdee, with ``create_missing``: creates are the calls that are not
idempotent by nature) runs in this process; the publish runs in a child process that is
killed while the server holds the answer to a BatchSave it has already applied.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import select

from connectors.fakes._server import Request, Response
from connectors.fakes.kingdee import FakeKingdee
from connectors.kingdee import Settings, build_sink
from integration.pipeline.publish import publish
from integration.store import GoldenCustomer, Outbound, session_scope

ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import json, sys
from connectors.kingdee import Settings, build_sink
from integration.pipeline.publish import publish
from integration.store import make_engine
url, settings = sys.argv[1], json.loads(sys.argv[2])
engine = make_engine(url)
publish(engine, "erp", build_sink(Settings(**settings)))
"""


class HangingKingdee(FakeKingdee):
    """Applies the ``hang_at``-th BatchSave, then holds its answer until the test ends."""

    def __init__(self, hang_at: int) -> None:
        super().__init__()
        self.hang_at = hang_at
        self.hanging = threading.Event()
        self.release = threading.Event()
        self._count = 0

    def handle(self, request: Request) -> Response:
        response = super().handle(request)
        if request.path.endswith("BatchSave.common.kdsvc"):
            self._count += 1
            if self._count == self.hang_at:
                self.hanging.set()
                self.release.wait(30)
        return response


def test_sigkill_during_a_publish_batch_then_rerun_creates_nothing_twice(engine, hub_url) -> None:  # type: ignore[no-untyped-def]
    n = 50
    with session_scope(engine) as s:
        for i in range(n):
            s.add(
                GoldenCustomer(
                    golden_id=f"G{i:04d}",
                    fields={"name": f"客户{i}", "company_name": f"公司{i}有限公司"},
                    facts={},
                    lineage={},
                    version=1,
                    content_hash=f"h{i}",
                    status="active",
                    verdict="ok",
                )
            )
    server = HangingKingdee(hang_at=3)
    with server:
        settings: dict[str, Any] = {
            "base_url": server.url + "/K3Cloud/",
            "acct_id": server.acct_id,
            "username": server.username,
            "password": server.password,
            "create_missing": True,
            "sink_batch_size": 10,
        }
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, hub_url, json.dumps(settings)], cwd=ROOT, env=env
        )
        try:
            assert server.hanging.wait(60), "the child never reached its third batch"
            child.send_signal(signal.SIGKILL)
            child.wait(10)
        finally:
            if child.poll() is None:
                child.kill()
            server.release.set()
        assert child.returncode == -signal.SIGKILL
        made_before = len(server.customers)
        assert made_before == 30  # three batches reached the ERP ...
        with session_scope(engine) as s:
            booked = s.scalars(select(Outbound).where(Outbound.status == "ok")).all()
            assert len(booked) == 20  # ... the third one's answer never reached the hub
        sink = build_sink(Settings(**settings), sleep=lambda s: None)
        try:
            report = publish(engine, "erp", sink)
        finally:
            sink.close()
        assert report.pushed == n - 20
        # the killed batch's customers are found by their numbers, not made again
        assert report.created == n - 30
        assert len(server.customers) == n
        assert set(server.creations.values()) == {1}
        numbers = sorted(c["FNumber"] for c in server.customers.values())
        assert numbers == [f"CHUB-G{i:04d}" for i in range(n)]
        with session_scope(engine) as s:
            targets = {o.golden_id: o.target_id for o in s.scalars(select(Outbound))}
        by_number = {c["FNumber"]: str(c["FCUSTID"]) for c in server.customers.values()}
        assert all(targets[f"G{i:04d}"] == by_number[f"CHUB-G{i:04d}"] for i in range(n))
