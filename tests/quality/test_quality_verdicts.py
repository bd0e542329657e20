"""Row verdicts, quarantine reasons, re-check and admin overrides."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest

os.environ["GX_ANALYTICS_ENABLED"] = "false"

from quality import (  # noqa: E402
    Reason,
    Verdict,
    check_row,
    check_rows,
    default_rules,
    failure_rate,
    rules_from_config,
)

RULES = default_rules()
GOOD: dict[str, Any] = {
    "name": "张三",
    "customer_type": "person",
    "mobile": "+8613800138000",
    "phones": ["010-12345678"],
    "email": "zhang@example.com",
    "uscc": None,
    "province": "广东",
    "city": "深圳",
    "source_updated_at": "2024-05-01T08:00:00+08:00",
    "source_key": "erp-1",
}


def reasons(row: dict[str, Any], scope: str = "erp") -> set[str]:
    return {r.key for r in check_row(row, RULES, scope).reasons}


def test_good_row_passes() -> None:
    assert check_row(GOOD, RULES, "erp") == Verdict(True)
    assert check_row(GOOD, RULES, "golden").ok


def test_required() -> None:
    assert reasons({**GOOD, "name": ""}) == {"required:name"}
    assert reasons({**GOOD, "name": None}) == {"required:name"}
    assert reasons({k: v for k, v in GOOD.items() if k != "name"}) == {"required:name"}


def test_required_any() -> None:
    assert reasons({**GOOD, "mobile": None, "email": ""}) == {
        "required_any:mobile|email|wecom_external_userid"
    }
    assert (
        reasons({**GOOD, "mobile": None, "email": None, "wecom_external_userid": "wmX1"}) == set()
    )


def test_formats_bad_values_with_masked_value() -> None:
    verdict = check_row(
        {**GOOD, "mobile": "138001380001", "email": "zhang@", "uscc": "91350100M000100Y44"},
        RULES,
        "erp",
    )
    assert not verdict.ok
    by_field = {r.field: r for r in verdict.reasons}
    assert set(by_field) == {"mobile", "email", "uscc"}
    assert by_field["mobile"].rule == "format"
    assert by_field["mobile"].value == "138*****0001"
    assert "138001380001" not in json.dumps(verdict.to_dict())
    assert by_field["uscc"].value == "9135**********0Y44"
    assert "GB 32100" in by_field["uscc"].message


def test_formats_accept_raw_chinese_inputs() -> None:
    raw = {
        **GOOD,
        "mobile": "１３８ ００１３ ８０００",
        "uscc": "91350100M000100Y43",
        "province": "廣東省",
        "city": "深圳市",
    }
    assert check_row(raw, RULES, "erp").ok


def test_province_city_and_region() -> None:
    assert reasons({**GOOD, "province": "火星"}) == {"format:province"}
    assert reasons({**GOOD, "city": "纽约"}) == {"format:city"}
    assert reasons({**GOOD, "city": "南宁"}) == {"region:city"}  # a city of 广西
    assert reasons({**GOOD, "province": "廣西", "city": "南寧"}) == set()


def test_date_not_in_future() -> None:
    assert reasons({**GOOD, "source_updated_at": "2999-01-01T00:00:00Z"}) == {
        "format:source_updated_at"
    }


def test_allowed_values() -> None:
    assert reasons({**GOOD, "customer_type": "robot"}) == {"allowed:customer_type"}
    assert reasons({**GOOD, "customer_type": "company"}) == set()


def test_unique_in_batch() -> None:
    rows = [GOOD, {**GOOD, "source_key": "erp-2"}, dict(GOOD)]
    verdicts = check_rows(rows, RULES, "erp")
    assert [v.ok for v in verdicts] == [False, True, False]
    reason = verdicts[0].reasons[0]
    assert reason.key == "unique:source_key" and "2 rows" in reason.message
    golden = [{**GOOD, "golden_id": "G1"}, {**GOOD, "golden_id": "G1"}]
    assert all(v.rule_keys == {"unique:golden_id"} for v in check_rows(golden, RULES, "golden"))


def test_quarantine_recheck_and_override() -> None:
    bad = {**GOOD, "uscc": "91350100M0001TGQXM"}  # pilot-era code with a wrong check digit
    first = check_row(bad, RULES, "erp")
    assert not first.ok and first.rule_keys == {"format:uscc"}
    # the source corrects the row: re-check passes
    assert check_row({**bad, "uscc": "91350100M000100Y43"}, RULES, "erp").ok
    # an admin overrides the rule for this row: passes, the reason stays visible as waived
    waived = check_row(bad, RULES, "erp", waive={"format:uscc"})
    assert waived.ok and waived.reasons == () and waived.waived == first.reasons
    # a waiver does not hide other, new problems
    assert not check_row({**bad, "name": ""}, RULES, "erp", waive={"format:uscc"}).ok
    # batch form with per-row waivers
    verdicts = check_rows([bad, bad], RULES, "erp", waivers={1: ["format:uscc"]})
    assert [v.ok for v in verdicts] == [False, False]  # identical source_key → unique fails too
    assert verdicts[1].rule_keys == {"unique:source_key"}


def test_verdict_roundtrip_json() -> None:
    verdict = check_row({**GOOD, "mobile": "123", "name": ""}, RULES, "erp", waive={"required"})
    data = json.loads(json.dumps(verdict.to_dict(), ensure_ascii=False))
    assert Verdict.from_dict(data) == verdict
    assert Reason.from_dict(data["waived"][0]).rule == "required"


def test_golden_blocking_filters_publication() -> None:
    golden = [
        {**GOOD, "golden_id": "G1"},
        {**GOOD, "golden_id": "G2", "name": None},
        {**GOOD, "golden_id": "G3", "mobile": None, "email": None},
    ]
    verdicts = check_rows(golden, RULES, "golden")
    publishable = [g["golden_id"] for g, v in zip(golden, verdicts, strict=True) if v.ok]
    assert publishable == ["G1"]


def test_source_failure_rate_blocks_only_that_source() -> None:
    rules = rules_from_config({"sources": {"default": {"max_failure_rate": 0.1}}})
    erp_rows = [{**GOOD, "source_key": f"e{i}"} for i in range(10)]
    crm_rows = [{**GOOD, "source_key": f"c{i}", "mobile": "garbage"} for i in range(10)]
    erp_rate = failure_rate(check_rows(erp_rows, rules, "erp"))
    crm_rate = failure_rate(check_rows(crm_rows, rules, "crm"))
    assert erp_rate == 0.0 and crm_rate == 1.0
    assert not rules.for_scope("erp").blocks(erp_rate)
    assert rules.for_scope("crm").blocks(crm_rate)


def test_check_rows_is_fast() -> None:
    rows = [
        {**GOOD, "source_key": f"k{i}", "mobile": "138001380001" if i % 7 == 0 else GOOD["mobile"]}
        for i in range(5000)
    ]
    start = time.perf_counter()
    verdicts = check_rows(rows, RULES, "erp")
    elapsed = time.perf_counter() - start
    assert sum(not v.ok for v in verdicts) == len(range(0, 5000, 7))
    assert elapsed < 1.0, elapsed


# --- garbage is never ok --------------------------------------------------------------

GARBAGE: list[tuple[str, Any, str]] = [
    ("name", "张\x00三", "name holds control or undecodable characters (U+0000)"),
    ("name", "李娜\x1b[31m", "name holds control or undecodable characters (U+001B)"),
    ("name", "王\ufffd芳", "name holds control or undecodable characters (U+FFFD)"),
    ("name", "张" * 200_000, "name is 200,000 characters long (at most 200)"),
    ("name", "微信用户", "name is a placeholder ('微信用户'), not a name"),
    ("name", "未知", "name is a placeholder ('未知'), not a name"),
    ("name", "匿名", "name is a placeholder ('匿名'), not a name"),
    ("name", "test", "name is a placeholder ('test'), not a name"),
    ("name", " TEST ", "name is a placeholder ('TEST'), not a name"),
    ("name", "N/A", "name is a placeholder ('N/A'), not a name"),
    ("name", "ｎ／ａ", "name is a placeholder ('n/a'), not a name"),
    ("name", "测试123", "name is a numbered placeholder ('测试123'), not a name"),
    ("name", "微信用户8842", "name is a numbered placeholder ('微信用户8842'), not a name"),
    ("name", "-", "name has no letters: digits and symbols are no name"),
    ("name", "13800138000", "name has no letters: digits and symbols are no name"),
    ("name", "xxxx", "name is one character repeated ('xxxx'), not a name"),
    ("address", "北京市\x07朝阳区", "address holds control or undecodable characters (U+0007)"),
    ("company_name", "公" * 501, "company_name is 501 characters long (at most 500)"),
]


@pytest.mark.parametrize(("field", "value", "message"), GARBAGE)
def test_garbage_is_quarantined_with_a_clear_reason(field: str, value: Any, message: str) -> None:
    verdict = check_row({**GOOD, field: value}, RULES, "crm")
    assert not verdict.ok
    reasons = [r for r in verdict.reasons if r.field == field]
    assert [(r.rule, r.message) for r in reasons] == [("format", message)]
    assert len(reasons[0].value) <= 80  # the value shown is masked and short


@pytest.mark.parametrize(
    "name",
    [
        "张三",
        "欧阳娜娜",
        "王女士",  # a form of address with a surname: matching's business, not garbage
        "Na",  # 娜 in pinyin, not N/A
        "Daniel J. Torres",
        "O'Brien-Smith",
        "新民☀️",
        "北京星辰科技有限公司",
        "3M中国有限公司",
        "Tom(李国庆)",
    ],
)
def test_real_names_stay_ok(name: str) -> None:
    assert check_row({**GOOD, "name": name}, RULES, "crm").ok, name


def test_the_name_rules_can_be_switched_off() -> None:
    rules = rules_from_config({"formats": {"name": None}})
    assert check_row({**GOOD, "name": "微信用户"}, rules, "crm").ok
