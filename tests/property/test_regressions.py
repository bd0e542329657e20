"""Inputs the property suite found breaking a promise, kept as plain tests."""

from __future__ import annotations

from sqlalchemy import Engine, text

from connectors.contract import Page, RawRecord
from integration.pipeline.land import LandingReport, land_page


def test_a_record_without_payload_reason_or_deletion_lands_flagged(engine: Engine) -> None:
    # found by test_sync_lands_every_record_once_and_moves_the_cursor: RawRecord("C1", None)
    # landed as a blank row, neither data nor flagged
    report = LandingReport(source="s")
    land_page(engine, "s", "leads", Page([RawRecord("C1", None)], "1"), report)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT payload, problem, deleted FROM source_record")).one()
    assert row.payload is None and not row.deleted
    assert row.problem == "record has no payload and is no deletion"
    assert report.flagged == 1
