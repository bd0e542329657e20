"""WeCom change callbacks through the hub: acknowledged at once, queued in callback_inbox,
landed by the server's worker (refresh one contact, tombstone a deleted one); replays and
stale requests refused with the nonces kept in the hub; a queue left by a killed server
drained by the next one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from connectors.fakes.wecom import FakeWeCom
from connectors.wecom.callback import ContactChange
from integration.callbacks import (
    MAX_ATTEMPTS,
    CallbackServer,
    HubNonces,
    process_inbox,
    queue_event,
    serve_wecom_callbacks,
)
from integration.config import ConfigError
from integration.hub import Hub
from integration.locks import hub_lock
from integration.pipeline.land import sync_source
from integration.store import SourceRecord, session_scope, upgrade
from integration.store.models import CallbackInbox, CallbackNonce, utcnow

TOKEN = "cbtoken123"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def _contact(ext: str, name: str, mobile: str) -> dict:
    return {
        "external_contact": {"external_userid": ext, "name": name, "type": 1},
        "follow_info": {"userid": "zhangsan", "createtime": 1760000000, "remark_mobiles": [mobile]},
    }


def _config(tmp_path: Path, fake: FakeWeCom, hub_url: str, **extra: object) -> Path:
    settings = fake.settings(callback_token=TOKEN, callback_aes_key=AES_KEY, **extra)
    lines = "".join(f"    {k}: {v!r}\n" for k, v in settings.items())
    config = tmp_path / "chub.yaml"
    config.write_text(
        f"hub: {{database_url: '{hub_url}'}}\nsources:\n  wecom:\n    type: wecom\n{lines}"
    )
    return config


@pytest.fixture
def wecom_hub(tmp_path: Path, hub_url: str) -> Iterator[tuple[FakeWeCom, Hub]]:
    fake = FakeWeCom(
        [_contact("wm1", "张伟", "13800138000"), _contact("wm2", "李娜", "13900139000")]
    )
    fake.start()
    # a throttled fetch waits 2 s here (60 s against the real WeCom)
    hub = Hub.from_config(_config(tmp_path, fake, hub_url, throttle_wait=2.0, max_attempts=2))
    upgrade(hub.engine)
    yield fake, hub
    hub.close()
    fake.stop()


def _rows(hub: Hub) -> dict[str, SourceRecord]:
    with session_scope(hub.engine) as s:
        return {r.source_key: r for r in s.scalars(select(SourceRecord))}


def _inbox(hub: Hub) -> list[CallbackInbox]:
    with session_scope(hub.engine) as s:
        return list(s.scalars(select(CallbackInbox).order_by(CallbackInbox.id)))


def _eventually(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("not reached in time")
        time.sleep(0.05)


class _Serving:
    def __init__(self, hub: Hub) -> None:
        self.server: CallbackServer = serve_wecom_callbacks(hub, "wecom", "127.0.0.1", 0)
        self.server.poll = 0.2
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> _Serving:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=30)


def test_callbacks_refresh_one_contact_and_tombstone_deleted_ones(wecom_hub) -> None:  # type: ignore[no-untyped-def]
    fake, hub = wecom_hub
    sync_source(hub.engine, "wecom", hub.sources["wecom"])
    assert set(_rows(hub)) == {"wm1", "wm2"}
    with _Serving(hub) as serving:
        url = serving.url
        before = len(fake.requests)
        fake.add_contact(
            {"external_userid": "wm3", "name": "王芳", "type": 1},
            {"userid": "lisi", "createtime": 1760000100, "remark_mobiles": ["13700137000"]},
        )
        assert fake.send_change(url, "add_external_contact", "lisi", "wm3", TOKEN, AES_KEY) == [200]
        _eventually(lambda: "wm3" in _rows(hub))
        assert _rows(hub)["wm3"].payload["external_contact"]["name"] == "王芳"
        # only that contact was asked for: no follower scan
        asked = [r.path for r in fake.requests[before:]]
        assert not any("batch/get_by_user" in p or "get_follow_user_list" in p for p in asked)

        fake.delete_relation("wm1", "zhangsan")
        assert fake.send_change(url, "del_external_contact", "zhangsan", "wm1", TOKEN, AES_KEY) == [
            200
        ]
        _eventually(lambda: _rows(hub)["wm1"].deleted)
        assert _rows(hub)["wm1"].payload is not None  # a tombstone, not a gap
        # a forged event is refused and changes nothing
        assert fake.send_change(
            url, "del_external_contact", "lisi", "wm2", "wrong-token", AES_KEY, attempts=1
        ) == [403]
        _eventually(lambda: all(row.status == "done" for row in _inbox(hub)))
        assert len(_inbox(hub)) == 2 and not _rows(hub)["wm2"].deleted


def test_a_redelivered_event_is_one_queue_row(wecom_hub) -> None:  # type: ignore[no-untyped-def]
    fake, hub = wecom_hub
    with _Serving(hub) as serving:
        for _ in range(3):  # WeCom re-delivers: a new request (nonce) of the same event
            statuses = fake.send_change(
                serving.url,
                "edit_external_contact",
                "zhangsan",
                "wm2",
                TOKEN,
                AES_KEY,
                create_time=1760000500,
            )
            assert statuses == [200]
        _eventually(lambda: bool(_inbox(hub)) and _inbox(hub)[0].status == "done")
    rows = _inbox(hub)
    assert len(rows) == 1 and rows[0].event_key == "edit_external_contact:zhangsan:wm2:1760000500"
    assert rows[0].attempts == 1


def test_replays_are_refused_across_restarts_and_stale_requests_too(wecom_hub) -> None:  # type: ignore[no-untyped-def]
    fake, hub = wecom_hub
    with _Serving(hub) as serving:
        assert fake.send_change(
            serving.url, "edit_external_contact", "zhangsan", "wm1", TOKEN, AES_KEY
        ) == [200]
        assert fake.replay_last_change() == 403
    # the nonce is in the hub: a new server (another process, a restart) refuses it too
    with _Serving(hub) as serving:
        url, body = fake.last_delivery or ("", b"")
        fake.last_delivery = (serving.url + url[url.index("?") :], body)
        assert fake.replay_last_change() == 403
        stale = int(time.time()) - 301
        assert fake.send_change(
            serving.url,
            "edit_external_contact",
            "zhangsan",
            "wm2",
            TOKEN,
            AES_KEY,
            timestamp=stale,
            attempts=1,
        ) == [403]
    assert [row.payload["external_user_id"] for row in _inbox(hub)] == ["wm1"]


def test_nonces_are_pruned_after_the_window(wecom_hub) -> None:  # type: ignore[no-untyped-def]
    _, hub = wecom_hub
    nonces = HubNonces(hub.engine, "wecom", max_age=300)
    nonces.remember("1", "old")
    with session_scope(hub.engine) as s:
        s.execute(update(CallbackNonce).values(seen_at=utcnow().replace(year=2020)))
    nonces._pruned_at = utcnow().replace(year=2020)  # due for pruning
    nonces.remember("2", "new")
    assert not nonces.seen("1", "old") and nonces.seen("2", "new")


@pytest.mark.parametrize("slowness", ["slow", "throttled"])
def test_the_acknowledgement_does_not_wait_for_a_slow_fetch(wecom_hub, slowness: str) -> None:  # type: ignore[no-untyped-def]
    fake, hub = wecom_hub
    if slowness == "slow":
        fake.delays["externalcontact/get"] = 3.0  # each fetch: most of WeCom's 5 s budget
    else:
        fake.inject_errcode(45009, path="externalcontact/get")  # the client waits 2 s
    with _Serving(hub) as serving:
        started = time.monotonic()
        statuses = [
            fake.send_change(serving.url, "edit_external_contact", "zhangsan", ext, TOKEN, AES_KEY)
            for ext in ("wm1", "wm2")
        ]
        acknowledged = time.monotonic() - started
        assert statuses == [[200], [200]]
        assert acknowledged < 1.5, f"two acknowledgements took {acknowledged:.2f} s"
        assert {row.status for row in _inbox(hub)} == {"queued"}
        _eventually(lambda: {row.status for row in _inbox(hub)} == {"done"}, timeout=30)
    assert set(_rows(hub)) == {"wm1", "wm2"}


def test_a_failing_fetch_stays_queued_then_is_parked(wecom_hub) -> None:  # type: ignore[no-untyped-def]
    fake, hub = wecom_hub
    # queued as the request thread does; drained here as a Dagster sensor would
    change = ContactChange("edit_external_contact", "zhangsan", "wm1", 1760000900)
    assert queue_event(hub.engine, "wecom", change) and not queue_event(hub.engine, "wecom", change)
    fake.inject("http_500", path="externalcontact/get", times=2)  # both attempts of a fetch
    report = process_inbox(hub, "wecom")
    assert (report.done, report.failed, report.left) == (0, 1, 1)
    row = _inbox(hub)[0]
    assert (
        row.status == "queued" and row.attempts == 1 and "TransientError" in (row.last_error or "")
    )
    report = process_inbox(hub, "wecom")  # the WeCom error is gone: landed
    assert (report.done, report.refreshed, report.left) == (1, 1, 0)
    assert "wm1" in _rows(hub)

    # an event that keeps failing is parked as failed after MAX_ATTEMPTS, not retried forever
    queue_event(hub.engine, "wecom", ContactChange("edit_external_contact", "zhangsan", "wm2", 1))
    fake.inject("http_500", path="externalcontact/get", times=2 * MAX_ATTEMPTS)
    for _ in range(MAX_ATTEMPTS):
        process_inbox(hub, "wecom")
    parked = _inbox(hub)[-1]
    assert parked.status == "failed" and parked.attempts == MAX_ATTEMPTS


def test_process_inbox_is_busy_while_another_drains(wecom_hub) -> None:  # type: ignore[no-untyped-def]
    _, hub = wecom_hub
    queue_event(hub.engine, "wecom", ContactChange("edit_external_contact", "zhangsan", "wm1", 5))
    holding, release = threading.Event(), threading.Event()

    def other_drainer() -> None:  # another thread or process draining the same inbox
        with hub_lock(hub.engine, "callback_inbox:wecom", wait=0):
            holding.set()
            release.wait(timeout=30)

    thread = threading.Thread(target=other_drainer)
    thread.start()
    try:
        assert holding.wait(timeout=30)
        report = process_inbox(hub, "wecom")
    finally:
        release.set()
        thread.join()
    assert report.busy and report.done == 0 and report.left == 1
    assert process_inbox(hub, "wecom").done == 1


def _serve_in_a_process(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "integration.cli",
            "serve-callbacks",
            "wecom",
            "--port",
            "0",
            "-c",
            str(config),
        ],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_a_queue_left_by_a_killed_server_is_drained_by_the_next(
    tmp_path: Path, hub_url: str
) -> None:
    fake = FakeWeCom([_contact("wm1", "张伟", "13800138000")]).start()
    try:
        config = _config(tmp_path, fake, hub_url)
        hub = Hub.from_config(config)
        upgrade(hub.engine)
        fake.delays["externalcontact/get"] = 60.0  # the killed server's worker never lands
        proc = _serve_in_a_process(config)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "listening" in line, line + (proc.stderr.read() if proc.stderr else "")
        url = line.split(" on ")[1].strip()
        for ext in ("wm1", "wm2"):
            statuses = fake.send_change(
                url, "edit_external_contact", "zhangsan", ext, TOKEN, AES_KEY
            )
            assert statuses == [200]
        _eventually(lambda: any("externalcontact/get" in r.path for r in fake.requests))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert [row.status for row in _inbox(hub)] == ["queued", "queued"]
        assert _rows(hub) == {}

        fake.delays.clear()
        with _Serving(hub):  # the next server drains what the killed one left, unasked
            _eventually(lambda: [row.status for row in _inbox(hub)] == ["done", "done"])
        rows = _rows(hub)
        assert set(rows) == {"wm1", "wm2"} and rows["wm2"].deleted  # wm2 does not exist
        hub.close()
    finally:
        fake.stop()


def test_callbacks_without_a_token_are_a_config_error(tmp_path: Path, hub_url: str) -> None:
    fake = FakeWeCom().start()
    try:
        lines = "".join(f"    {k}: {v!r}\n" for k, v in fake.settings().items())
        config = tmp_path / "chub.yaml"
        config.write_text(
            f"hub: {{database_url: '{hub_url}'}}\nsources:\n  wecom:\n    type: wecom\n{lines}"
        )
        with pytest.raises(ConfigError, match="callback_token"):
            serve_wecom_callbacks(Hub.from_config(config), "wecom", "127.0.0.1", 0)
    finally:
        fake.stop()
