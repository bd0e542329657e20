"""Publishing into WeCom, which has no batch write: a batch is worked by at most
``sink_concurrency`` calls at once, started no faster than ``sink_calls_per_second``
(WeCom blocks an app calling too often for a minute)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from connectors.contract import OutboundRecord
from connectors.fakes.wecom import FakeWeCom
from connectors.wecom import Settings, build_sink


@pytest.fixture
def fake() -> Iterator[FakeWeCom]:
    rows = [
        {
            "external_contact": {"external_userid": f"wm{i}", "name": f"客户{i}", "type": 1},
            "follow_info": {"userid": "zhangsan", "createtime": 1_700_000_000 + i},
        }
        for i in range(12)
    ]
    with FakeWeCom(rows, [], follow_users=["zhangsan"]) as server:
        server.delays["externalcontact/get"] = 0.15  # a slow WeCom: the calls overlap
        yield server


def test_calls_are_bounded_in_number_at_once_and_paced(fake: FakeWeCom) -> None:
    settings = Settings(**fake.settings(sink_concurrency=3, sink_calls_per_second=20.0))
    sink = build_sink(settings, sleep=lambda s: None)
    starts: list[float] = []
    running, most = 0, 0
    lock = threading.Lock()
    call = sink.client.call

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal running, most
        with lock:
            starts.append(time.monotonic())
            running += 1
            most = max(most, running)
        try:
            return call(*args, **kwargs)
        finally:
            with lock:
                running -= 1

    sink.client.call = counted  # type: ignore[method-assign]
    records = [
        OutboundRecord(f"G{i}", {"wecom_external_userid": f"wm{i}", "owner": "zhangsan"})
        for i in range(12)
    ]
    try:
        results = sink.push(records)
    finally:
        sink.close()
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    assert [r.golden_id for r in results] == [r.golden_id for r in records]  # input order
    assert 1 < most <= 3  # concurrent, never more than configured
    starts.sort()
    # 20 calls a second at most, across the threads: the starts are 1/20 s apart as
    # scheduled (a thread may wake a little late from its wait, none starts early)
    assert starts[-1] - starts[0] >= (len(starts) - 1) * 0.05 * 0.95
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert min(gaps) >= 0.05 / 2, gaps  # never a burst
