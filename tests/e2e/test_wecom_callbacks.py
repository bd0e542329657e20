"""A WeCom change callback refreshes just that contact; a deleted one becomes a tombstone."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from connectors.fakes.wecom import FakeWeCom
from integration.callbacks import serve_wecom_callbacks
from integration.config import ConfigError
from integration.hub import Hub
from integration.pipeline.land import sync_source
from integration.store import SourceRecord, session_scope, upgrade

TOKEN = "cbtoken123"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def _contact(ext: str, name: str, mobile: str) -> dict:
    return {
        "external_contact": {"external_userid": ext, "name": name, "type": 1},
        "follow_info": {"userid": "zhangsan", "createtime": 1760000000, "remark_mobiles": [mobile]},
    }


@pytest.fixture
def wecom_hub(tmp_path: Path, hub_url: str):  # type: ignore[no-untyped-def]
    fake = FakeWeCom(
        [_contact("wm1", "张伟", "13800138000"), _contact("wm2", "李娜", "13900139000")]
    )
    fake.start()
    settings = fake.settings(callback_token=TOKEN, callback_aes_key=AES_KEY)
    lines = "".join(f"    {k}: {v!r}\n" for k, v in settings.items())
    config = tmp_path / "chub.yaml"
    config.write_text(
        f"hub: {{database_url: '{hub_url}'}}\nsources:\n  wecom:\n    type: wecom\n{lines}"
    )
    hub = Hub.from_config(config)
    upgrade(hub.engine)
    yield fake, hub
    hub.close()
    fake.stop()


def _rows(hub: Hub) -> dict[str, SourceRecord]:
    with session_scope(hub.engine) as s:
        return {r.source_key: r for r in s.scalars(select(SourceRecord))}


def test_callbacks_refresh_one_contact_and_tombstone_deleted_ones(wecom_hub) -> None:  # type: ignore[no-untyped-def]
    fake, hub = wecom_hub
    sync_source(hub.engine, "wecom", hub.sources["wecom"])
    assert set(_rows(hub)) == {"wm1", "wm2"}
    server = serve_wecom_callbacks(hub, "wecom", "127.0.0.1", 0)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/"
    try:
        before = len(fake.requests)
        fake.add_contact(
            {"external_userid": "wm3", "name": "王芳", "type": 1},
            {"userid": "lisi", "createtime": 1760000100, "remark_mobiles": ["13700137000"]},
        )
        assert fake.send_change(url, "add_external_contact", "lisi", "wm3", TOKEN, AES_KEY) == [200]
        rows = _rows(hub)
        assert "wm3" in rows and rows["wm3"].payload["external_contact"]["name"] == "王芳"
        # only that contact was asked for: no follower scan
        asked = [r.path for r in fake.requests[before:]]
        assert not any("batch/get_by_user" in p or "get_follow_user_list" in p for p in asked)

        fake.delete_relation("wm1", "zhangsan")
        assert fake.send_change(url, "del_external_contact", "zhangsan", "wm1", TOKEN, AES_KEY) == [
            200
        ]
        rows = _rows(hub)
        assert rows["wm1"].deleted and rows["wm1"].payload is not None  # a tombstone, not a gap
        # a forged event is refused and changes nothing
        assert fake.send_change(
            url, "del_external_contact", "lisi", "wm2", "wrong-token", AES_KEY, attempts=1
        ) == [403]
        assert not _rows(hub)["wm2"].deleted
    finally:
        server.shutdown()
        server.server_close()


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
