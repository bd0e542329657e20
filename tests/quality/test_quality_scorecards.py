"""Scorecards: numbers per field, and HTML / PNG rendering of their history."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

os.environ["GX_ANALYTICS_ENABLED"] = "false"

from quality import (  # noqa: E402
    check_rows,
    default_rules,
    render_scorecard_html,
    render_scorecard_png,
    scorecard,
)

RULES = default_rules()
ROW: dict[str, Any] = {
    "name": "王五",
    "customer_type": "person",
    "mobile": "13800138000",
    "email": "w@example.com",
    "province": "浙江",
    "city": "杭州",
}


def rows() -> list[dict[str, Any]]:
    return [
        {**ROW, "source_key": "1"},
        {**ROW, "source_key": "2", "email": None},
        {**ROW, "source_key": "3", "mobile": "138001380001"},
        {**ROW, "source_key": "4", "mobile": None, "email": "bad@", "city": "纽约"},
    ]


def test_scorecard_numbers() -> None:
    batch = rows()
    card = scorecard(batch, check_rows(batch, RULES, "erp"), "erp", rules=RULES)
    assert card.rows == 4 and card.ok_rows == 2
    assert card.completeness["mobile"] == 0.75
    assert card.completeness["email"] == 0.75
    assert card.completeness["uscc"] == 0.0
    assert card.validity["mobile"] == pytest.approx(2 / 3)
    assert card.validity["email"] == pytest.approx(2 / 3)
    assert card.validity["city"] == 0.75
    assert card.validity["uscc"] is None  # no values to judge
    assert card.overall["validity"] == 0.5
    assert card.overall["pass_rate"] == 0.5
    data = card.to_dict()
    assert data["scope"] == "erp" and data["completeness"]["name"] == 1.0
    meta = card.to_metadata()
    assert meta["completeness.mobile"] == 0.75 and "validity.uscc" not in meta


def test_scorecard_default_fields_and_waivers() -> None:
    batch = rows()
    card = scorecard(batch, check_rows(batch, RULES, "erp", waivers={2: ["format:mobile"]}), "erp")
    assert "wechat_unionid" in card.completeness  # canonical fields by default
    assert card.validity["mobile"] == 1.0  # an overridden value counts as valid
    with pytest.raises(ValueError):
        scorecard(batch, [], "erp")


def history() -> list[dict[str, Any]]:
    out = []
    for day, rate in enumerate([0.9, 0.8, 0.95]):
        for scope in ("erp", "wecom"):
            out.append(
                {
                    "at": f"2026-11-0{day + 1}T00:00:00+00:00",
                    "scope": scope,
                    "completeness": {"mobile": rate, "email": rate - 0.1},
                    "validity": {"mobile": 1.0, "email": None},
                }
            )
    return out


def test_render_html(tmp_path: Path) -> None:
    out = render_scorecard_html(history(), tmp_path / "report" / "scorecard.html")
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>")
    assert "<svg" in text and "erp" in text and "wecom" in text
    assert "95.0%" in text and "+15.0 pt" in text
    assert render_scorecard_html([], tmp_path / "empty.html").read_text().count("No scorecards")


def test_render_png(tmp_path: Path) -> None:
    out = render_scorecard_png(history(), tmp_path / "scorecard.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 5000
    assert render_scorecard_png([], tmp_path / "empty.png").is_file()
