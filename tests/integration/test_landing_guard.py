"""Deletions: only from a complete scan, in the last page's transaction, never en masse."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from connectors.contract import Page
from integration.config import ConfigError, load_settings
from integration.errors import ChubError
from integration.locks import LockBusy, hub_lock
from integration.pipeline.land import MassDeletionRefused, sync_source
from integration.sections.landing import LandingSettings
from integration.store import SourceRecord, SyncState, session_scope
from tests.integration.doubles import ListSource, rec


class FullScan(ListSource):
    """Every pull lists everything from the beginning (like WeCom); the last page says so."""

    def pull(self, stream: str, cursor: str | None) -> Iterator[Page]:
        pages = list(super().pull(stream, None)) or [Page([], None)]
        for i, page in enumerate(pages):
            last = i == len(pages) - 1
            yield Page(page.records, None if last else page.cursor, scan_complete=last)


def _contacts(n: int) -> list:  # type: ignore[type-arg]
    return [rec(f"wm{i:03d}", name=f"n{i}") for i in range(n)]


def _deleted(engine) -> set[str]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        return set(s.scalars(select(SourceRecord.source_key).where(SourceRecord.deleted)))


def _last_error(engine) -> str | None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        state = s.get(SyncState, ("wecom", "contacts"))
        return state.last_error if state else None


def test_a_scan_that_would_tombstone_too_many_refuses_and_names_the_count(engine) -> None:  # type: ignore[no-untyped-def]
    source = FullScan({"contacts": _contacts(100)}, page_size=30)
    sync_source(engine, "wecom", source)
    source.data["contacts"] = _contacts(90)  # a scan that missed 10 % of the contacts
    with pytest.raises(MassDeletionRefused) as refused:
        sync_source(engine, "wecom", source)
    message = str(refused.value)
    assert isinstance(refused.value, ChubError)
    assert "wecom/contacts" in message and "10 of 100" in message and "10.0%" in message
    assert _deleted(engine) == set()  # nothing marked deleted
    assert _last_error(engine) == message
    # the same scan under a per-source allowance of 20 %: the ten are tombstoned
    settings = LandingSettings(sources={"wecom": {"max_delete_share": 0.2}})  # type: ignore[dict-item]
    report = sync_source(engine, "wecom", source, settings=settings)
    assert report.deleted == 10 and len(_deleted(engine)) == 10
    assert _last_error(engine) is None


def test_a_few_deletions_within_the_share_are_tombstoned(engine) -> None:  # type: ignore[no-untyped-def]
    source = FullScan({"contacts": _contacts(100)}, page_size=30)
    sync_source(engine, "wecom", source)
    source.data["contacts"] = _contacts(95)
    assert sync_source(engine, "wecom", source).deleted == 5
    assert _deleted(engine) == {f"wm{i:03d}" for i in range(95, 100)}


def test_an_empty_scan_never_tombstones_everyone(engine) -> None:  # type: ignore[no-untyped-def]
    source = FullScan({"contacts": _contacts(3)})
    sync_source(engine, "wecom", source)
    source.data["contacts"] = []  # an empty follower list
    everything = LandingSettings(max_delete_share=1.0, deletes_always_allowed=1000)
    with pytest.raises(MassDeletionRefused, match="no live record"):
        sync_source(engine, "wecom", source, settings=everything)
    assert _deleted(engine) == set()


def test_a_small_source_may_lose_one_record(engine) -> None:  # type: ignore[no-untyped-def]
    source = FullScan({"contacts": _contacts(3)})
    sync_source(engine, "wecom", source)
    source.data["contacts"] = _contacts(2)
    assert sync_source(engine, "wecom", source).deleted == 1
    strict = LandingSettings(deletes_always_allowed=0)
    source.data["contacts"] = _contacts(1)
    with pytest.raises(MassDeletionRefused, match="1 of 2"):
        sync_source(engine, "wecom", source, settings=strict)


def test_a_pull_without_a_complete_scan_deletes_nothing(engine) -> None:  # type: ignore[no-untyped-def]
    source = ListSource({"contacts": _contacts(10)})
    sync_source(engine, "wecom", source)
    source.data["contacts"] = _contacts(2)
    assert sync_source(engine, "wecom", source, full=True).deleted == 0
    assert _deleted(engine) == set()


def test_tombstones_are_in_the_last_pages_transaction(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A failure while tombstoning rolls back the last page and its cursor with it."""
    from integration.pipeline import land

    source = FullScan({"contacts": _contacts(10)}, page_size=4)
    sync_source(engine, "wecom", source)
    source.data["contacts"] = [*_contacts(9), rec("wm100", name="new")]

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the machine went down")

    monkeypatch.setattr(land, "_tombstone", broken)
    with pytest.raises(RuntimeError):
        sync_source(engine, "wecom", source)
    with session_scope(engine) as s:
        keys = set(s.scalars(select(SourceRecord.source_key)))
    assert "wm100" not in keys  # the last page went with the tombstones
    monkeypatch.undo()
    report = sync_source(engine, "wecom", source)
    assert report.deleted == 1 and _deleted(engine) == {"wm009"}


def test_one_sync_of_a_source_at_a_time(engine) -> None:  # type: ignore[no-untyped-def]
    """(Two real processes on one source: tests/integration/test_landing_concurrency.py.)"""
    source = ListSource({"customers": _contacts(3)})
    held, release = threading.Event(), threading.Event()

    def other_run() -> None:  # another thread: the lock is re-entrant only within one
        with hub_lock(engine, "sync:crm"):
            held.set()
            release.wait(30)

    holder = threading.Thread(target=other_run)
    holder.start()
    try:
        assert held.wait(30)
        with pytest.raises(LockBusy, match="sync:crm"):
            sync_source(engine, "crm", source)
        sync_source(engine, "erp", source)  # another source is not held up
    finally:
        release.set()
        holder.join()
    assert sync_source(engine, "crm", source).new == 3


def test_the_landing_section_of_chub_yaml(tmp_path: Path) -> None:
    config = tmp_path / "chub.yaml"
    config.write_text(
        "landing:\n  max_delete_share: 0.1\n  sources:\n    wecom: {max_delete_share: 0.5}\n"
    )
    landing = load_settings(config).landing
    assert landing.deletion_limits("wecom").max_delete_share == 0.5
    assert landing.deletion_limits("crm").max_delete_share == 0.1
    assert LandingSettings().deletion_limits("crm").max_delete_share == 0.05
    config.write_text("landing: {max_delete_share: 1.5}\n")
    with pytest.raises(ConfigError, match="landing.max_delete_share"):
        load_settings(config)
    config.write_text("landing: {sources: {wecom: {max_delete: 0.5}}}\n")
    with pytest.raises(ConfigError, match="landing.sources.wecom.max_delete"):
        load_settings(config)
