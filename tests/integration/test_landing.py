"""Landing guarantees: a page and its cursor land together; nothing is lost or doubled."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from connectors.contract import RawRecord
from integration.pipeline.land import sync_source
from integration.store import SourceRecord, SyncState, session_scope
from tests.integration.doubles import ListSource, rec


def _records(engine) -> dict[str, SourceRecord]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        return {r.source_key: r for r in s.scalars(select(SourceRecord))}


def test_pages_land_with_their_cursor(engine) -> None:  # type: ignore[no-untyped-def]
    source = ListSource({"customers": [rec(f"k{i}", name=f"n{i}") for i in range(7)]})
    report = sync_source(engine, "crm", source)
    assert (report.pages, report.seen, report.new) == (3, 7, 7)
    with session_scope(engine) as s:
        state = s.get(SyncState, ("crm", "customers"))
        assert state is not None and state.cursor == '{"offset": 7}'
    # the next sync resumes from the stored cursor and lands nothing twice
    again = sync_source(engine, "crm", source)
    assert source.pulls[-1] == ("customers", '{"offset": 7}')
    assert again.seen == 0 and len(_records(engine)) == 7


def test_crash_mid_paging_then_resume_lands_each_record_once(engine) -> None:  # type: ignore[no-untyped-def]
    source = ListSource({"customers": [rec(f"k{i}", name=f"n{i}") for i in range(10)]})
    source.fail_after_pages = 2
    with pytest.raises(ConnectionError):
        sync_source(engine, "crm", source)
    assert len(_records(engine)) == 6  # two whole pages, nothing of the third
    with session_scope(engine) as s:
        state = s.get(SyncState, ("crm", "customers"))
        assert state is not None and state.cursor == '{"offset": 6}'
        assert state.last_error == "the source went away"
    source.fail_after_pages = None
    sync_source(engine, "crm", source)
    records = _records(engine)
    assert sorted(records) == sorted(f"k{i}" for i in range(10))
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(SourceRecord)) == 10


def test_changed_record_keeps_one_row_with_newest_payload_and_hash_history(engine) -> None:  # type: ignore[no-untyped-def]
    sync_source(engine, "crm", ListSource({"customers": [rec("a", name="张伟")]}))
    source = ListSource(
        {
            "customers": [
                rec("a", name="张伟", mobile="13800138000"),
                rec("a", name="张伟", mobile="13900139000"),
            ]
        }
    )
    report = sync_source(engine, "crm", source, full=True)
    assert report.changed == 1
    row = _records(engine)["a"]
    assert row.payload == {"name": "张伟", "mobile": "13900139000"}
    assert len(row.hash_history) == 2 and row.hash_history[-1][0] == row.payload_hash
    # the same payload again is not a change
    same = sync_source(
        engine,
        "crm",
        ListSource({"customers": [rec("a", name="张伟", mobile="13900139000")]}),
        full=True,
    )
    assert (same.changed, same.unchanged) == (0, 1)


def test_tombstone_keeps_the_record_and_its_last_payload(engine) -> None:  # type: ignore[no-untyped-def]
    sync_source(engine, "wecom", ListSource({"contacts": [rec("wm1", name="李娜")]}))
    gone = ListSource({"contacts": [RawRecord("wm1", None, deleted=True)]})
    report = sync_source(engine, "wecom", gone, full=True)
    assert report.deleted == 1
    row = _records(engine)["wm1"]
    assert row.deleted and row.payload == {"name": "李娜"}


def test_bad_record_lands_raw_and_flagged_and_the_sync_goes_on(engine) -> None:  # type: ignore[no-untyped-def]
    bad = RawRecord("b1", None, problem="invalid JSON at byte 17", raw_text='{"name": "\\xff')
    source = ListSource({"customers": [rec("a", name="x"), bad, rec("c", name="y")]}, page_size=2)
    report = sync_source(engine, "crm", source)
    assert (report.seen, report.flagged) == (3, 1)
    row = _records(engine)["b1"]
    assert row.payload is None and row.problem == "invalid JSON at byte 17"
    assert row.raw_text == '{"name": "\\xff'


class _FullScan(ListSource):
    """Every pull lists everything (like WeCom); the last page says so."""

    def pull(self, stream, cursor):  # type: ignore[no-untyped-def]
        pages = list(super().pull(stream, None))
        for i, page in enumerate(pages):
            last = i == len(pages) - 1
            yield type(page)(page.records, None if last else page.cursor, scan_complete=last)


def test_a_complete_scan_tombstones_what_it_no_longer_returns(engine) -> None:  # type: ignore[no-untyped-def]
    source = _FullScan(
        {"contacts": [rec("wm1", name="a"), rec("wm2", name="b"), rec("wm3", name="c")]}
    )
    sync_source(engine, "wecom", source)
    source.data["contacts"] = [rec("wm1", name="a"), rec("wm3", name="c")]
    report = sync_source(engine, "wecom", source)
    assert report.deleted == 1
    rows = _records(engine)
    assert rows["wm2"].deleted and rows["wm2"].payload == {"name": "b"}
    assert not rows["wm1"].deleted and not rows["wm3"].deleted
    # the contact comes back: it is alive again, in the same row
    source.data["contacts"].append(rec("wm2", name="b"))
    sync_source(engine, "wecom", source)
    assert not _records(engine)["wm2"].deleted


def test_counts_stay_right_when_the_clock_repeats_a_time(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Every page landed at one and the same instant (a clock set back, a coarse clock):
    an unchanged record is still unchanged, a changed one changed, a deletion a deletion,
    and each row is written as if the pages had come at different times."""
    from datetime import UTC, datetime

    from integration.pipeline import land

    instant = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    monkeypatch.setattr(land, "utcnow", lambda: instant)
    first = [rec("same", name="张伟"), rec("edit", name="李娜"), rec("gone", name="王芳")]
    report = sync_source(engine, "crm", ListSource({"customers": first}))
    assert (report.new, report.changed, report.unchanged, report.deleted) == (3, 0, 0, 0)
    gone = RawRecord("gone", {"name": "王芳"}, deleted=True)
    second = [rec("same", name="张伟"), rec("edit", name="李娜", mobile="13800138000"), gone]
    again = sync_source(engine, "crm", ListSource({"customers": second}), full=True)
    assert (again.new, again.changed, again.unchanged, again.deleted) == (0, 2, 1, 1)
    rows = _records(engine)
    assert [len(rows[k].hash_history) for k in ("same", "edit", "gone")] == [1, 2, 2]
    assert rows["gone"].deleted
    assert rows["edit"].payload == {"name": "李娜", "mobile": "13800138000"}


def _failing_second_write(monkeypatch) -> list[int]:  # type: ignore[no-untyped-def]
    """Make the second page's write fail as a lost hub connection would; the pages tried."""
    from integration.pipeline import land

    tried: list[int] = []
    real = land._write

    def flaky(conn, source, stream, rows, now, *, moves_cursor):  # type: ignore[no-untyped-def]
        tried.append(len(rows))
        if len(tried) == 2:
            raise RuntimeError("the hub went away")
        return real(conn, source, stream, rows, now, moves_cursor=moves_cursor)

    monkeypatch.setattr(land, "_write", flaky)
    return tried


def _state(engine) -> tuple[str | None, str | None]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        state = s.get(SyncState, ("crm", "customers"))
        assert state is not None
        return state.cursor, state.last_error


def test_a_page_that_fails_to_write_is_the_last_one_tried(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """While page 2 is written the source may already be reading page 3 (PostgreSQL), but
    page 3 is never written after page 2 failed: the cursor stays after page 1."""
    tried = _failing_second_write(monkeypatch)
    source = ListSource({"customers": [rec(f"k{i}", name=f"n{i}") for i in range(10)]})
    with pytest.raises(RuntimeError, match="the hub went away"):
        sync_source(engine, "crm", source)
    assert tried == [3, 3]
    assert sorted(_records(engine)) == ["k0", "k1", "k2"]
    assert _state(engine) == ('{"offset": 3}', "the hub went away")


def test_when_the_source_fails_behind_a_failing_write_the_write_error_is_kept(
    engine, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Page 2's write fails and the source fails on page 3 (read while page 2 was being
    written, on PostgreSQL): the error that came first, the write's, is the stream's."""
    _failing_second_write(monkeypatch)
    source = ListSource({"customers": [rec(f"k{i}", name=f"n{i}") for i in range(10)]})
    source.fail_after_pages = 2
    with pytest.raises(RuntimeError, match="the hub went away"):
        sync_source(engine, "crm", source)
    assert _state(engine) == ('{"offset": 3}', "the hub went away")
    assert sorted(_records(engine)) == ["k0", "k1", "k2"]


def test_sqlite_pages_commit_without_waiting_for_fsync_and_callbacks_with(
    engine, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """SQLite (WAL): a page that moves its cursor commits with synchronous = NORMAL, as
    PostgreSQL commits it without waiting for its WAL flush; records with no cursor (a
    callback's) commit with the full flush; the pooled connection gets its own setting
    back either way."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL: synchronous_commit, set per transaction")
    from integration.pipeline import land
    from integration.pipeline.land import LandingReport, land_records

    seen: list[int] = []
    real = land._write

    def spy(conn, source, stream, rows, now, *, moves_cursor):  # type: ignore[no-untyped-def]
        seen.append(conn.exec_driver_sql("PRAGMA synchronous").scalar())
        return real(conn, source, stream, rows, now, moves_cursor=moves_cursor)

    monkeypatch.setattr(land, "_write", spy)
    sync_source(engine, "crm", ListSource({"customers": [rec("a", name="张伟")]}))
    land_records(engine, "crm", "customers", [rec("b", name="李娜")], LandingReport("crm"))
    assert seen == [1, 2]  # NORMAL for the page, FULL for the callback's records
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
    assert sorted(_records(engine)) == ["a", "b"]
