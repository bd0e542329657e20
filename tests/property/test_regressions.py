"""Inputs the property suite found breaking a promise, kept as plain tests."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

import quality
from connectors.contract import Page, RawRecord
from connectors.dropfolder import DropFolderSource, Settings
from connectors.dropfolder.reader import decode_lines, read_csv
from integration.pipeline.land import LandingReport, land_page, sync_source
from integration.pipeline.standardize import standardize
from quality.masking import mask_text


@pytest.mark.parametrize("problem", [None, ""])
def test_a_record_without_payload_reason_or_deletion_lands_flagged(
    engine: Engine, problem: str | None
) -> None:
    # found by test_sync_lands_every_record_once_and_moves_the_cursor: RawRecord("C1", None)
    # landed as a blank row, neither data nor flagged (and by test_a_page_commits_whatever_it
    # _holds on PostgreSQL with problem="": flagged with an empty reason)
    report = LandingReport(source="s")
    land_page(engine, "s", "leads", Page([RawRecord("C1", None, problem=problem)], "1"), report)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT payload, problem, deleted FROM source_record")).one()
    assert row.payload is None and not row.deleted
    assert row.problem == "record has no payload and is no deletion"
    assert report.flagged == 1


def test_a_broken_byte_before_a_quote_does_not_change_how_the_rows_after_it_split(
    tmp_path: Path,
) -> None:
    # found by test_every_row_of_a_file_lands_once_in_every_encoding[utf-8]: a row
    # b'\xff"\n"' (a quoted cell holding a newline, a broken byte before its quote) read the
    # quote as a literal, so its second line opened a quoted cell that swallowed the rows after
    # it, and a re-export in another order landed a different set of rows
    data = b'h\n\xff"x\ny"\nA\nB\n'
    rows = list(read_csv(decode_lines(data)))
    assert [r.cells for r in rows] == [["h"], None, ["A"], ["B"]]
    assert rows[1].problem and "\ufffd" in rows[1].raw_text


def test_a_row_that_maps_to_nothing_is_quarantined_not_dropped(
    engine: Engine, tmp_path: Path
) -> None:
    # found by test_every_row_of_a_file_lands_once_in_every_encoding: a drop-folder row whose
    # mapped cells are blank (only an unmapped column filled) maps to no customer and no
    # activity, and standardize left its record without any row, flagged nowhere
    (tmp_path / "a.csv").write_text(
        "姓名,手机,备注\n张三,13800138000,a\n,,only a note\n", encoding="utf-8"
    )
    source = DropFolderSource(
        Settings(path=str(tmp_path), columns={"name": "姓名", "mobile": "手机"})
    )
    sync_source(engine, "leads", source)
    report = standardize(engine, {"leads": source}, quality.default_rules())
    assert (report.rows_ok, report.rows_quarantined) == (1, 1)
    with engine.connect() as conn:
        reasons = conn.execute(
            text("SELECT reasons FROM customer_row WHERE verdict = 'quarantined'")
        ).scalar_one()
    reasons = json.loads(reasons) if isinstance(reasons, str) else reasons
    assert reasons[0]["message"] == "the record maps to no customer and no activity"
    assert standardize(engine, {"leads": source}, quality.default_rules()).looked_at == 0


def test_masking_a_huge_value_takes_linear_time() -> None:
    # found by test_every_mapped_record_gets_a_verdict_and_nothing_crashes[kingdee]: a
    # 100k+ character value failing a format rule was masked for its reason with an e-mail
    # search that retried the whole run from each character (quadratic: hours per record)
    started = time.monotonic()
    for value in ("x" * 300_000, "a@" * 100_000, ("a" * 999 + "@b ") * 200):
        mask_text(value)
    assert time.monotonic() - started < 2.0
    assert mask_text("mail zhang.san@example.cn, x@y@z.org") == "mail z***@example.cn, x@y***@z.org"
