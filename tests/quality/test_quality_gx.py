"""Great Expectations suites: build, validate pass/fail, blocking, Data Docs."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

os.environ["GX_ANALYTICS_ENABLED"] = "false"

from quality import (  # noqa: E402
    SuiteResult,
    build_data_docs,
    build_suite,
    check_rows,
    default_rules,
    failure_rate,
    rules_from_config,
    validate_batch,
)

RULES = default_rules()
GOOD: dict[str, Any] = {
    "name": "李四",
    "customer_type": "company",
    "mobile": "+8613900139000",
    "email": "li@example.com",
    "company_name": "厦门示例科技有限公司",
    "uscc": "91350100M000100Y43",
    "province": "福建",
    "city": "厦门",
    "source_updated_at": "2025-01-02T03:04:05Z",
}


def batch(n: int, **changes: Any) -> list[dict[str, Any]]:
    return [{**GOOD, "source_key": f"k{i}", **changes} for i in range(n)]


def test_build_suite_has_one_expectation_per_rule() -> None:
    suite = build_suite(RULES, "erp")
    assert suite.name == "chub.erp"
    types = [e.expectation_type for e in suite.expectations]
    assert "expect_column_values_to_not_be_null" in types
    assert "expect_column_values_to_match_chub_format" in types
    assert "expect_column_values_to_be_in_set" in types
    assert "expect_column_values_to_be_unique" in types
    assert "expect_column_pair_values_to_be_chub_region" in types
    assert {e.meta["chub_rule"] for e in suite.expectations} >= {"format:uscc", "unique:source_key"}
    golden = build_suite(RULES, "golden")
    assert any(e.meta["chub_rule"] == "unique:golden_id" for e in golden.expectations)


def test_validate_good_batch() -> None:
    result = validate_batch(batch(20), RULES, "erp")
    assert isinstance(result, SuiteResult)
    assert result.success and result.failure_rate == 0.0 and not result.blocks
    assert result.evaluated == 20
    assert result.statistics["unsuccessful_expectations"] == 0


def test_validate_bad_batch_reports_masked_unexpected() -> None:
    rows = batch(10)
    rows[1]["mobile"] = "138001380001"
    rows[2]["uscc"] = "91350100M000100Y44"
    rows[3].update(mobile=None, email=None)
    rows[4]["name"] = ""
    rows[5]["source_key"] = "k6"
    rows[7]["city"] = "南宁"  # a city, but of 广西, not 福建
    result = validate_batch(rows, RULES, "erp")
    assert not result.success
    by_rule = {u["rule"]: u for u in result.unexpected}
    assert by_rule["format:mobile"]["unexpected_count"] == 1
    assert by_rule["format:mobile"]["sample"] == ["138*****0001"]
    assert by_rule["format:uscc"]["unexpected_count"] == 1
    assert by_rule["required_any:mobile|email|wecom_external_userid"]["unexpected_count"] == 1
    assert by_rule["required:name"]["unexpected_count"] == 1
    assert by_rule["unique:source_key"]["unexpected_count"] == 2
    assert by_rule["region:city"]["unexpected_count"] == 1
    assert result.failed_rows == (1, 2, 3, 4, 5, 6, 7)
    assert result.failure_rate == pytest.approx(0.7)
    assert result.blocks  # 60 % > 20 %
    text = json.dumps(result.to_dict(), ensure_ascii=False)
    assert "138001380001" not in text and "91350100M000100Y44" not in text
    # GX and the fast row checks agree on which rows fail
    verdicts = check_rows(rows, RULES, "erp")
    assert tuple(i for i, v in enumerate(verdicts) if not v.ok) == result.failed_rows
    assert failure_rate(verdicts) == result.failure_rate


def test_completeness_threshold_fails_suite_but_not_rows() -> None:
    rules = rules_from_config({"sources": {"crm": {"completeness": {"email": 0.9}}}})
    rows = batch(10)
    for row in rows[:3]:
        row["email"] = None
    result = validate_batch(rows, rules, "crm")
    assert not result.success
    assert result.failure_rate == 0.0 and not result.blocks
    by_rule = {u["rule"]: u for u in result.unexpected}
    assert not by_rule["completeness:email"]["success"]


def test_one_source_blocked_others_go_on() -> None:
    rules = rules_from_config({"sources": {"default": {"max_failure_rate": 0.2}}})
    ok = validate_batch(batch(10), rules, "erp")
    bad = validate_batch(batch(10, mobile="not a phone"), rules, "marketing")
    assert not ok.blocks and bad.blocks
    assert bad.failure_rate == 1.0


def test_result_roundtrip() -> None:
    result = validate_batch(batch(3), RULES, "erp")
    data = json.loads(json.dumps(result.to_dict()))
    assert SuiteResult.from_dict(data) == result


def test_data_docs_built(tmp_path: Path) -> None:
    good = validate_batch(batch(5), RULES, "erp")
    bad = validate_batch(batch(5, mobile="19876543210123"), RULES, "golden")
    index = build_data_docs([good, bad.to_dict()], tmp_path / "docs")
    assert index.name == "index.html" and index.is_file()
    assert tmp_path in index.parents
    site = index.parent
    html = "\n".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    assert "chub.erp" in html and "chub.golden" in html
    assert "198*******0123" in html
    stored = "".join(p.read_text(encoding="utf-8") for p in tmp_path.rglob("*.json"))
    assert "19876543210123" not in html + stored
    with pytest.raises(ValueError, match="result 0"):
        build_data_docs([{"suite_name": "x"}], tmp_path / "docs")
    # again, with an earlier site present
    assert build_data_docs([good], tmp_path / "docs") == index


def test_validation_of_3000_rows_is_quick() -> None:
    rows = batch(3000)
    for i in range(0, 3000, 50):
        rows[i]["mobile"] = "138001380001"
    start = time.perf_counter()
    result = validate_batch(rows, RULES, "erp")
    elapsed = time.perf_counter() - start
    assert result.failure_rate == pytest.approx(60 / 3000)
    assert elapsed < 5.0, elapsed


def test_gx_and_the_row_checks_agree_on_garbage() -> None:
    rows = batch(6)
    for i, name in enumerate(["微信用户", "N/A", "张\x00三", "张" * 1000], start=1):
        rows[i]["name"] = name
    result = validate_batch(rows, RULES, "erp")
    fast = [i for i, v in enumerate(check_rows(rows, RULES, "erp")) if not v.ok]
    assert list(result.failed_rows) == fast == [1, 2, 3, 4]
    assert not result.success
