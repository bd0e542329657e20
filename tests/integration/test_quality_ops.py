"""Quarantine fixes and quality reports over the hub store."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

import quality
from integration.checks import run_suite
from integration.pipeline.land import sync_source
from integration.pipeline.standardize import standardize
from integration.quality_ops import (
    QuarantineError,
    build_docs,
    build_report,
    correct_row,
    list_quarantine,
    override_row,
)
from integration.store import CustomerRow, Decision, QualityRun, session_scope
from tests.integration.doubles import ListSource, rec

RULES = quality.default_rules()


def _land(engine, records):  # type: ignore[no-untyped-def]
    source = ListSource({"leads": records}, page_size=50)
    sync_source(engine, "crm", source, full=True)
    standardize(engine, {"crm": source}, RULES)
    return source


def test_correction_rechecks_the_row_and_survives_a_source_change(engine) -> None:  # type: ignore[no-untyped-def]
    source = _land(engine, [rec("a", name="张伟", mobile="138001380001")])  # 12 digits
    [row] = list_quarantine(engine)
    assert any(r["field"] == "mobile" for r in row.reasons)
    assert "138001380001" not in str(row.reasons)  # personal data is masked
    assert (
        correct_row(
            engine,
            RULES,
            row.row_id,
            {"mobile": "13800138000"},
            actor="steward",
            reason="called the customer",
        )
        == "ok"
    )
    with session_scope(engine) as s:
        fixed = s.get(CustomerRow, row.row_id)
        assert fixed is not None and fixed.fields["mobile"] == "+8613800138000"
        assert [h["verdict"] for h in fixed.verdict_history] == ["quarantined", "ok"]
        assert s.scalars(select(Decision.action)).all() == ["correct"]
    # the source changes the record (still with its wrong mobile): re-checked, fix re-applied
    source.data["leads"][0] = rec("a", name="张伟", mobile="138001380001", email="zw@example.cn")
    sync_source(engine, "crm", source, full=True)
    standardize(engine, {"crm": source}, RULES)
    with session_scope(engine) as s:
        row2 = s.get(CustomerRow, row.row_id)
        assert row2 is not None and row2.verdict == "ok"
        assert row2.fields["email"] == "zw@example.cn" and row2.fields["mobile"] == "+8613800138000"
        assert len(row2.verdict_history) == 3


def test_override_accepts_until_the_source_changes_the_record(engine) -> None:  # type: ignore[no-untyped-def]
    source = _land(engine, [rec("a", name="李娜")])
    [row] = list_quarantine(engine)
    with pytest.raises(QuarantineError, match="needs a reason"):
        override_row(engine, row.row_id, actor="admin", reason=" ")
    override_row(engine, row.row_id, actor="admin", reason="walk-in customer, no phone")
    assert list_quarantine(engine) == []
    standardize(engine, {"crm": source}, RULES)  # nothing changed: the override stands
    assert list_quarantine(engine) == []
    source.data["leads"][0] = rec("a", name="李娜 ")
    sync_source(engine, "crm", source, full=True)
    standardize(engine, {"crm": source}, RULES)
    assert [r.row_id for r in list_quarantine(engine)] == [row.row_id]


def test_unknown_field_and_row_are_clear_errors(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QuarantineError, match="not a customer field: colour"):
        correct_row(engine, RULES, 1, {"colour": "red"}, actor="x")
    with pytest.raises(QuarantineError, match="no customer row 99"):
        correct_row(engine, RULES, 99, {"name": "x"}, actor="x")


def test_suites_are_kept_and_rendered_as_docs_and_charts(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _land(engine, [rec("a", name="张伟", mobile="13800138000"), rec("b", name="王芳")])
    result = run_suite(engine, RULES, "crm")
    assert result.evaluated == 2 and result.failure_rate == 0.5
    with session_scope(engine) as s:
        kept = s.scalars(select(QualityRun)).one()
        assert kept.scope == "crm" and kept.scorecard["rows"] == 2
    text, html, png = build_report(engine, tmp_path / "q")
    assert "crm" in text and html.exists() and png.read_bytes()[:4] == b"\x89PNG"
    index = build_docs(engine, tmp_path / "docs")
    assert index.name == "index.html" and index.exists()
