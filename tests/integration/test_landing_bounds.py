"""What cannot be stored as it came lands raw and flagged; a page always commits.

Each case here stopped a PostgreSQL hub for good before (a DataError rolled the page back,
every retry hit the same page); SQLite never met them, so each runs on both."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import quality
from connectors.contract import Page, RawRecord
from connectors.dropfolder import DropFolderSource, Settings
from integration.errors import ChubError
from integration.pipeline import land
from integration.pipeline.land import (
    LandingReport,
    bounded_key,
    land_records,
    payload_hash,
    read_cursor,
    sync_source,
)
from integration.pipeline.standardize import standardize
from integration.store import ActivityRow, CustomerRow, SourceRecord, SyncState, session_scope
from tests.integration.doubles import ListSource, rec

RULES = quality.default_rules()


def _rows(engine) -> dict[str, SourceRecord]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        return {r.source_key: r for r in s.scalars(select(SourceRecord))}


def _drop(folder: Path, name: str, text: str, age: int) -> None:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    then = time.time() - age
    os.utime(path, (then, then))


def test_a_dropfolder_file_with_a_long_key_a_nul_and_a_long_channel_lets_the_next_file_land(
    engine, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    long_key = "K" * 300
    _drop(
        tmp_path,
        "a.csv",
        "编号,姓名,手机,submitted_at,channel\n"
        f"{long_key},张三,13800138000,2026-01-01 10:00,form\n"
        "K2,李\x00四,13900139000,2026-01-01 11:00,form\n"
        f"K3,王五,13700137000,2026-01-01 12:00,{'c' * 40}\n",
        age=100,
    )
    _drop(tmp_path, "b.csv", "编号,姓名,手机\nK4,赵六,13600136000\n", age=50)
    source = DropFolderSource(
        Settings(
            path=str(tmp_path),
            key_column="编号",
            columns={
                "name": "姓名",
                "mobile": "手机",
                "submitted_at": "submitted_at",
                "channel": "channel",
            },
        )
    )
    report = sync_source(engine, "leads", source)
    assert (report.seen, report.flagged) == (4, 2)
    rows = _rows(engine)
    assert set(rows) == {bounded_key(long_key), "K2", "K3", "K4"}  # the file after it landed
    stored = rows[bounded_key(long_key)]
    assert len(stored.source_key) <= 255 and stored.source_key.startswith("K" * 200)
    assert stored.payload is None and "300 characters" in (stored.problem or "")
    assert long_key in (stored.raw_text or "")  # the original key is kept
    nul = rows["K2"]
    assert nul.payload is None and "NUL" in (nul.problem or "")
    assert "\x00" not in (nul.raw_text or "") and "\\u0000" in (nul.raw_text or "")
    assert rows["K4"].payload is not None and rows["K4"].problem is None

    std = standardize(engine, {"leads": source}, RULES)
    assert std.rows_quarantined >= 2
    with session_scope(engine) as s:
        verdicts = {r.source_key: r.verdict for r in s.scalars(select(CustomerRow))}
        channels = {a.channel for a in s.scalars(select(ActivityRow))}
    assert verdicts[bounded_key(long_key)] == verdicts["K2"] == "quarantined"
    assert "c" * 32 in channels  # a label cut to its column, the order kept

    again = sync_source(engine, "leads", source, full=True)
    assert (again.new, again.changed, again.unchanged) == (0, 0, 4)  # bounded keys are stable


class _Odd:
    """Not a JSON value."""

    def __str__(self) -> str:
        return "odd"


UNSTORABLE: list[tuple[str, RawRecord, str]] = [
    ("a 300-character key", rec("k" * 300, name="x"), "longer than 255"),
    ("a NUL in the key", rec("a\x00b", name="x"), "control characters"),
    ("a new line in the key", rec("a\nb", name="x"), "control characters"),
    ("a key that is no text", RawRecord(None, {"name": "x"}), "not text"),  # type: ignore[arg-type]
    ("a NUL in a value", rec("v1", name="张\x00伟"), "NUL"),
    ("a NUL in a field name", rec("v2", **{"na\x00me": "x"}), "NUL"),
    ("a lone surrogate", rec("v3", name="\udcff"), "surrogate"),
    ("NaN", rec("v4", amount=float("nan")), "JSON"),
    ("a list payload", RawRecord("v5", ["a", "b"]), "not a JSON object"),  # type: ignore[arg-type]
    ("keys of mixed types", RawRecord("v6", {1: "a", "b": 2}), "cannot be JSON"),
    ("an oversize payload", rec("v7", name="x" * 1_200_000), "over the 1000000 limit"),
    ("a NUL in raw text", RawRecord("v8", None, problem="bad", raw_text="a\x00b"), "escaped"),
    ("a NUL in the problem", RawRecord("v9", None, problem="p\x00q", raw_text="t"), "p\\x00q"),
]


@pytest.mark.parametrize(("case", "record", "why"), UNSTORABLE, ids=[c[0] for c in UNSTORABLE])
def test_an_unstorable_record_lands_flagged_and_the_page_commits(
    engine, case: str, record: RawRecord, why: str
) -> None:  # type: ignore[no-untyped-def]
    source = ListSource({"customers": [rec("before", name="a"), record, rec("after", name="b")]})
    report = sync_source(engine, "crm", source)
    assert (report.seen, report.flagged) == (3, 1), case
    rows = _rows(engine)
    assert len(rows) == 3 and {"before", "after"} <= set(rows)
    (flagged,) = [r for r in rows.values() if r.problem]
    assert why in flagged.problem, flagged.problem
    assert flagged.payload is None and len(flagged.source_key) <= 255
    for value in (flagged.source_key, flagged.raw_text or "", flagged.problem):
        assert "\x00" not in value
    assert read_cursor(engine, "crm", "customers") == '{"offset": 3}'
    # stable: landing the same record again changes nothing and adds no row
    again = sync_source(engine, "crm", source, full=True)
    assert (again.new, again.changed, again.unchanged) == (0, 0, 3)


def test_odd_values_are_kept_as_their_text_like_the_hash_always_did(engine) -> None:  # type: ignore[no-untyped-def]
    record = rec("o1", name="x", since=_Odd(), n=7)
    report = sync_source(engine, "crm", ListSource({"customers": [record]}))
    assert report.flagged == 0
    row = _rows(engine)["o1"]
    assert row.payload == {"name": "x", "since": "odd", "n": 7}
    assert row.payload_hash == payload_hash(record)


def test_a_numeric_key_is_its_text(engine) -> None:  # type: ignore[no-untyped-def]
    source = ListSource({"customers": [RawRecord(42, {"name": "x"})]})  # type: ignore[arg-type]
    assert sync_source(engine, "crm", source).flagged == 0
    assert set(_rows(engine)) == {"42"}


def test_a_record_the_database_refuses_anyway_lands_flagged_one_by_one(
    engine, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """The last resort: with validation switched off, a key no driver can encode reaches
    the database; the page is landed again record by record, the refused one flagged."""

    def unchecked(record: RawRecord, max_chars: int = 0) -> land._Row:
        body = json.dumps(record.payload, sort_keys=True, ensure_ascii=False)
        return land._Row(record.key, body, None, None, payload_hash(record), False)

    monkeypatch.setattr(land, "storable", unchecked)
    records = [rec("good1", name="a"), rec("bad\udcff\x00", name="b"), rec("good2", name="c")]
    report = sync_source(engine, "crm", ListSource({"customers": records}))
    assert (report.seen, report.new, report.flagged) == (3, 3, 1)
    rows = _rows(engine)
    assert rows["good1"].payload == {"name": "a"} and rows["good2"].payload == {"name": "c"}
    (refused,) = [r for k, r in rows.items() if k not in ("good1", "good2")]
    assert refused.payload is None and "refused this record" in (refused.problem or "")
    assert read_cursor(engine, "crm", "customers") == '{"offset": 3}'


def test_hash_history_keeps_the_last_twenty_in_order(engine) -> None:  # type: ignore[no-untyped-def]
    digests = []
    for version in range(25):
        record = rec("h", name="x", version=version)
        digests.append(payload_hash(record))
        report = LandingReport(source="crm")
        land_records(engine, "crm", "customers", [record], report)
        assert (report.new, report.changed) == ((1, 0) if version == 0 else (0, 1))
    land_records(engine, "crm", "customers", [record], report := LandingReport(source="crm"))
    assert report.unchanged == 1
    row = _rows(engine)["h"]
    assert [entry[0] for entry in row.hash_history] == digests[-20:]
    assert row.payload_hash == digests[-1] and row.payload == {"name": "x", "version": 24}


def test_counts_of_a_mixed_page(engine) -> None:  # type: ignore[no-untyped-def]
    first = [rec("same", name="a"), rec("edit", name="b"), rec("gone", name="c")]
    sync_source(engine, "crm", ListSource({"customers": first}, page_size=10))
    second = [
        rec("same", name="a"),
        rec("edit", name="B"),
        RawRecord("gone", None, deleted=True),
        RawRecord("born-dead", {"name": "d"}, deleted=True),
        rec("new", name="e"),
        rec("new", name="e2"),  # twice in a page: the last one wins
    ]
    report = sync_source(engine, "crm", ListSource({"customers": second}, page_size=10), full=True)
    assert (report.seen, report.new, report.changed, report.unchanged, report.deleted) == (
        5,
        2,
        2,
        1,
        2,
    )
    rows = _rows(engine)
    assert rows["gone"].deleted and rows["gone"].payload == {"name": "c"}  # last payload kept
    assert rows["born-dead"].deleted and rows["new"].payload == {"name": "e2"}
    assert len(rows["edit"].hash_history) == 2 and rows["same"].hash_history[0][0] == (
        rows["same"].payload_hash
    )


class _OddCursor(ListSource):
    """A source whose cursor holds what no text column takes."""

    def pull(self, stream: str, cursor: str | None):  # type: ignore[no-untyped-def]
        self.pulls.append((stream, cursor))
        if cursor is None:
            yield Page(self.data[stream], "after\x00\udcff")


def test_an_unstorable_cursor_is_kept_and_given_back_intact(engine) -> None:  # type: ignore[no-untyped-def]
    source = _OddCursor({"customers": [rec("a", name="x")]})
    sync_source(engine, "crm", source)
    assert read_cursor(engine, "crm", "customers") == "after\x00\udcff"
    sync_source(engine, "crm", source)
    assert source.pulls[-1] == ("customers", "after\x00\udcff")


def test_a_source_or_stream_name_that_cannot_be_stored_is_a_clear_error(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ChubError, match="longer|1 to 64"):
        sync_source(engine, "s" * 65, ListSource({"customers": []}))
    with pytest.raises(ChubError, match="stream name"):
        sync_source(engine, "crm", ListSource({"c\x00": []}))
    with session_scope(engine) as s:
        assert s.scalars(select(SyncState)).all() == []


def test_an_activity_that_cannot_be_stored_quarantines_its_record(engine) -> None:  # type: ignore[no-untyped-def]
    orders: list[dict[str, Any]] = [
        {"at": "2026-01-01T00:00:00", "amount": "12.5", "customer": "k" * 300},
        {"at": "x" * 41, "amount": 1, "customer": "c1"},
    ]
    source = ListSource(
        {
            "customers": [rec("k" * 300, name="张伟"), rec("c1", name="李娜")],
            "orders": [rec(f"o{i}", **o) for i, o in enumerate(orders)],
        },
        kinds={"customers": "customer", "orders": "order"},
    )
    sync_source(engine, "erp", source)
    std = standardize(engine, {"erp": source}, RULES)
    assert std.activities == 1
    with session_scope(engine) as s:
        (act,) = s.scalars(select(ActivityRow)).all()
        rows = {r.source_key: r for r in s.scalars(select(CustomerRow))}
    assert act.customer_key == bounded_key("k" * 300) and act.amount == 12.5
    assert rows["o1"].verdict == "quarantined"
    assert "at of 41 characters" in json.dumps(rows["o1"].reasons)
