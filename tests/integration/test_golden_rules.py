"""Survivorship rules, one test each, and the 360° facts on hand-made histories."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from integration.config import ConfigError, load_settings
from integration.golden.facts import Event, compute_facts
from integration.golden.survivorship import Member, survive
from integration.sections.golden import (
    CurrencySettings,
    FactSettings,
    FieldRule,
    SurvivorshipSettings,
)

VALID_USCC = "91350100M000100Y43"
BROKEN_USCC = "91350100M000100Y44"  # one wrong check character


def m(ref: str, at: str, source_type: str = "", **fields: Any) -> Member:
    source, stream, key = ref.split(":")
    return Member(ref, source, source_type, stream, key, fields, at)


def rules(**per_field: FieldRule) -> SurvivorshipSettings:
    return SurvivorshipSettings(**per_field)


def test_source_trust_erp_wins_company_name_and_credit_code_over_a_newer_silo() -> None:
    members = [
        m(
            "erp:customers:1",
            "2025-01-01",
            "kingdee",
            company_name="深圳市腾达科技有限公司",
            uscc=VALID_USCC,
        ),
        m("mkt:leads:9", "2026-06-01", "hubspot", company_name="腾达科技", uscc=VALID_USCC),
    ]
    out = survive(members)
    assert out.fields["company_name"] == "深圳市腾达科技有限公司"
    assert out.lineage["company_name"]["rule"] == "source_trust"
    assert out.lineage["company_name"]["from"] == "erp:customers:1"
    assert out.lineage["uscc"]["from"] == "erp:customers:1"


def test_source_trust_wecom_wins_the_mobile_and_trust_names_sources_or_types() -> None:
    members = [
        m("erp:customers:1", "2026-06-01", "kingdee", mobile="+8613800138000"),
        m("wx:contacts:wm1", "2025-01-01", "wecom", mobile="+8613900139000"),
    ]
    assert survive(members).fields["mobile"] == "+8613900139000"
    by_name = rules(mobile=FieldRule(rule="source_trust", trust=["erp"]))
    assert survive(members, by_name).fields["mobile"] == "+8613800138000"


def test_untrusted_sources_fall_back_to_the_most_recent() -> None:
    members = [
        m("a:s:1", "2025-01-01", "callcenter", mobile="+8613800138000"),
        m("b:s:2", "2026-01-01", "hubspot", mobile="+8613700137000"),
    ]
    assert survive(members).fields["mobile"] == "+8613700137000"


def test_most_recent() -> None:
    members = [
        m("a:s:1", "2026-01-01", email="old@example.cn"),
        m("b:s:2", "2026-05-01", email="new@example.cn"),
        m("c:s:3", "2026-03-01", email="mid@example.cn"),
    ]
    out = survive(members)
    assert out.fields["email"] == "new@example.cn"
    assert out.lineage["email"] | {"valid": True} == out.lineage["email"]
    assert out.lineage["email"]["at"] == "2026-05-01"


def test_most_recent_compares_times_as_instants_whatever_their_format() -> None:
    members = [
        # 09:30 UTC, written as the ERP writes it (no zone: UTC) ...
        m("erp:s:1", "2026-05-01 09:30:00", email="erp@example.cn"),
        # ... is newer than 17:00 in Beijing (09:00 UTC), though it sorts first as text
        m("wx:s:2", "2026-05-01T17:00:00+08:00", email="wx@example.cn"),
        m("crm:s:3", "not a time", email="crm@example.cn"),
    ]
    out = survive(members)
    assert out.fields["email"] == "erp@example.cn"
    assert out.fields["emails"] == ["erp@example.cn", "wx@example.cn", "crm@example.cn"]


def test_most_complete() -> None:
    members = [
        m("a:s:1", "2026-05-01", address="海淀区"),
        m("b:s:2", "2025-01-01", address="北京市海淀区中关村大街1号"),
    ]
    out = survive(members)
    assert out.fields["address"] == "北京市海淀区中关村大街1号"
    assert out.lineage["address"]["rule"] == "most_complete"


def test_most_frequent_across_members() -> None:
    members = [
        m("a:s:1", "2026-01-01", name="张伟"),
        m("b:s:2", "2026-02-01", name="张伟"),
        m("c:s:3", "2026-09-01", name="张 伟"),
    ]
    assert survive(members).fields["name"] == "张伟"
    recent = rules(name=FieldRule(rule="most_recent"))
    assert survive(members, recent).fields["name"] == "张 伟"


def test_valid_beats_invalid_whatever_the_rule() -> None:
    members = [
        m("erp:customers:1", "2026-06-01", "kingdee", uscc=BROKEN_USCC, mobile="+86138001"),
        m("mkt:leads:9", "2025-01-01", "hubspot", uscc=VALID_USCC),
        m("wx:contacts:w", "2025-01-01", "hubspot", mobile="+8613800138000"),
    ]
    out = survive(members)
    # the ERP is trusted first, but its credit code fails the GB 32100 check character
    assert out.fields["uscc"] == VALID_USCC and out.lineage["uscc"]["valid"] is True
    assert out.fields["mobile"] == "+8613800138000"
    # no valid value at all: the rule still picks one, and the lineage says it is broken
    alone = survive([members[0]])
    assert alone.fields["uscc"] == BROKEN_USCC and alone.lineage["uscc"]["valid"] is False


def test_ties_do_not_depend_on_load_order() -> None:
    a = m("a:s:1", "2026-01-01", email="a@example.cn")
    b = m("b:s:2", "2026-01-01", email="b@example.cn")
    assert survive([a, b]).fields["email"] == survive([b, a]).fields["email"] == "a@example.cn"


def test_multi_valued_fields_keep_every_value_with_its_sources() -> None:
    members = [
        Member(
            "wx:contacts:wm1",
            "wx",
            "wecom",
            "contacts",
            "wm1",
            {"mobile": "+8613900139000", "wecom_external_userid": "wm1", "owner": "zhangsan"},
            "2026-01-01",
            follows=(
                {"userid": "zhangsan", "since": "2025-01-01T00:00:00+08:00"},
                {"userid": "lisi", "since": "2026-01-01T00:00:00+08:00"},
            ),
        ),
        m(
            "erp:customers:7",
            "2025-06-01",
            "kingdee",
            mobile="+8613800138000",
            email="zw@example.cn",
            phones=["+861087654321", "+8613700137000"],
            owner="S007",
        ),
        m(
            "wx:contacts:wm2",
            "2025-02-01",
            "wecom",
            wecom_external_userid="wm2",
            email="zw@example.cn",
        ),
    ]
    out = survive(members)
    assert out.fields["mobile"] == "+8613900139000"
    # the surviving mobile first, then the others (a landline stays a phone)
    assert out.fields["mobiles"][0] == "+8613900139000"
    assert set(out.fields["mobiles"]) == {"+8613900139000", "+8613800138000", "+8613700137000"}
    assert out.lineage["mobiles"]["values"]["+8613700137000"] == ["erp:customers:7"]
    assert out.fields["phones"] == ["+861087654321"]
    assert out.fields["emails"] == ["zw@example.cn"]
    assert out.lineage["emails"]["values"]["zw@example.cn"] == [
        "erp:customers:7",
        "wx:contacts:wm2",
    ]
    assert out.fields["wecom_external_userids"] == ["wm1", "wm2"]
    assert set(out.fields["follow_staff"]) == {"zhangsan", "lisi", "S007"}
    assert out.fields["follow_staff"][0] == "zhangsan"  # the surviving owner first
    assert out.fields["source_ids"] == {
        "erp": ["customers:7"],
        "wx": ["contacts:wm1", "contacts:wm2"],
    }


def _yaml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "chub.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_wrong_rule_name_or_field_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as bad_rule:
        load_settings(_yaml(tmp_path, "golden:\n  survivorship:\n    mobile: {rule: newest}\n"))
    assert "golden.survivorship.mobile.rule" in str(bad_rule.value)
    with pytest.raises(ConfigError) as bad_field:
        load_settings(_yaml(tmp_path, "golden:\n  survivorship:\n    fax: {rule: most_recent}\n"))
    assert "golden.survivorship.fax" in str(bad_field.value)
    assert "unknown key" in str(bad_field.value)
    ok = load_settings(
        _yaml(
            tmp_path,
            "golden:\n  survivorship:\n    email: {rule: source_trust, trust: [erp]}\n"
            "  currency: {base: cny, rates: {usd: 7.1}}\n",
        )
    )
    assert ok.golden.survivorship.email.trust == ["erp"]
    assert ok.golden.survivorship.mobile.rule == "source_trust"  # the default stays
    assert ok.golden.currency.base == "CNY" and ok.golden.currency.rates == {"USD": 7.1}


# ---------------------------------------------------------------- facts

AS_OF = datetime(2026, 12, 1, tzinfo=UTC)


def order(
    at: str, amount: float, currency: str | None = "CNY", status: str | None = "done"
) -> Event:
    return Event("order", "kingdee", at, amount, currency, status)


def test_orders_count_revenue_per_currency_and_leave_cancelled_out() -> None:
    events = [
        order("2026-01-10", 100.0),
        order("2026-02-10", 50.0, "USD"),
        order("2026-03-10", 999.0, status="cancelled"),
        order("2026-04-10", 30.0, "EUR"),
        order("2026-05-10", 20.0, None),  # no currency: the base currency
        Event("order", "kingdee", "2026-06-10", 500.0, "CNY", "done", deleted=True),
        order("2026-07-10", 70.0, status="refunded"),
    ]
    facts = compute_facts(events, [], AS_OF, FactSettings(), CurrencySettings(rates={"USD": 7.0}))
    assert facts["orders"] == 4
    assert facts["revenue_by_currency"] == {"CNY": 120.0, "EUR": 30.0, "USD": 50.0}
    assert facts["revenue"] == 120.0 + 50.0 * 7.0  # EUR has no rate: named, not guessed
    assert facts["unconverted_currencies"] == ["EUR"]
    assert facts["first_order_at"] == "2026-01-10" and facts["last_order_at"] == "2026-05-10"
    assert facts["avg_interval_days"] == pytest.approx((120 / 3), abs=0.1)


def test_last_touch_per_channel_and_wecom_follow_status() -> None:
    events = [
        Event("call", "phone", "2026-11-01T10:00:00+08:00"),
        Event("call", "phone", "2026-10-01T10:00:00+08:00"),
        Event("ticket", "email", "2026-09-01T10:00:00+08:00"),
        Event("campaign", "hubspot", "2026-08-01T10:00:00+08:00"),
        order("2026-11-20", 10.0),
    ]
    follows = [
        {"userid": "lisi", "since": "2026-07-01T09:00:00+08:00", "external_userid": "wm1"},
        {"userid": "zhangsan", "since": "2025-03-01T09:00:00+08:00", "external_userid": "wm1"},
    ]
    facts = compute_facts(events, follows, AS_OF)
    assert facts["last_touch"] == {
        "call": "2026-11-01T10:00:00+08:00",
        "marketing": "2026-08-01T10:00:00+08:00",
        "ticket": "2026-09-01T10:00:00+08:00",
        "wecom": "2026-07-01T09:00:00+08:00",
    }
    assert facts["last_touch_at"] == "2026-11-20"
    assert [f["userid"] for f in facts["wecom_follow"]] == ["zhangsan", "lisi"]
    assert facts["wecom_follow"][0]["since"] == "2025-03-01T09:00:00+08:00"


def test_times_in_other_zones_are_ordered_as_instants() -> None:
    # 10:00 in Beijing on the 2nd is 02:00 UTC; 23:00 in New York on the 1st is 04:00 UTC
    events = [
        Event("call", "phone", "2026-11-01T23:00:00-05:00"),
        Event("call", "phone", "2026-11-02T10:00:00+08:00"),
        order("2026-10-01T23:30:00-05:00", 10.0),
        order("2026-10-02T09:00:00+08:00", 20.0),
    ]
    facts = compute_facts(events, [], AS_OF)
    assert facts["last_touch"]["call"] == "2026-11-01T23:00:00-05:00"
    assert facts["first_order_at"] == "2026-10-02T09:00:00+08:00"
    assert facts["last_order_at"] == "2026-10-01T23:30:00-05:00"
    assert facts["avg_interval_days"] == pytest.approx(0.1, abs=0.05)  # 3.5 hours apart


def _monthly(n: int, last: str = "2026-06-01") -> list[Event]:
    year, month = int(last[:4]), int(last[5:7])
    out = []
    for i in range(n):
        mm = month - i
        y = year + (mm - 1) // 12
        mm = (mm - 1) % 12 + 1
        out.append(order(f"{y:04d}-{mm:02d}-01", 100.0))
    return out


def test_lifecycle_lead_first_purchase_repeat_dormant_lost() -> None:
    s = FactSettings()
    assert compute_facts([], [], AS_OF, s)["lifecycle_stage"] == "lead"
    assert (
        compute_facts([order("2026-11-01", 1.0)], [], AS_OF, s)["lifecycle_stage"]
        == "first_purchase"
    )
    # monthly buyer: 2 months quiet is within the usual rhythm's 2x ...
    assert compute_facts(_monthly(6, "2026-10-01"), [], AS_OF, s)["lifecycle_stage"] == "repeat"
    # ... 3 months quiet is dormant for them (far below the fixed 180 days) ...
    assert compute_facts(_monthly(6, "2026-09-01"), [], AS_OF, s)["lifecycle_stage"] == "dormant"
    # ... and 6 months is lost
    assert compute_facts(_monthly(6, "2026-06-01"), [], AS_OF, s)["lifecycle_stage"] == "lost"
    # one order long ago: no rhythm yet, the fixed thresholds decide
    one = compute_facts([order("2026-03-01", 1.0)], [], AS_OF, s)
    assert one["lifecycle_stage"] == "dormant" and one["usual_interval_days"] is None
    assert compute_facts([order("2024-03-01", 1.0)], [], AS_OF, s)["lifecycle_stage"] == "lost"


def test_value_tier_by_rfm_not_revenue_alone() -> None:
    big_once_long_ago = compute_facts([order("2025-01-01", 90_000.0)], [], AS_OF)
    assert big_once_long_ago["rfm"] == {"r": 1, "f": 1, "m": 3}
    assert big_once_long_ago["value_tier"] == "C"
    steady = compute_facts([order(f"2026-{mm:02d}-15", 2_000.0) for mm in range(6, 12)], [], AS_OF)
    assert steady["rfm"] == {"r": 3, "f": 3, "m": 2} and steady["value_tier"] == "A"
    assert compute_facts([], [], AS_OF)["value_tier"] == "none"


def test_churn_risk_says_why_in_words() -> None:
    events = [
        *_monthly(4, "2026-08-25"),
        Event("ticket", "email", "2026-11-20T10:00:00+08:00"),
        Event("ticket", "phone", "2026-11-25T10:00:00+08:00"),
        Event("ticket", "phone", "2026-09-01T10:00:00+08:00"),  # outside the 30 days
    ]
    facts = compute_facts(events, [], AS_OF)
    assert facts["churn_risk"] is True
    ratio = facts["days_since_last_order"] / facts["usual_interval_days"]
    assert (
        facts["churn_reason"]
        == f"no order for {ratio:.1f}x the usual interval; 2 complaints in 30 days"
    )
    calm = compute_facts(_monthly(4, "2026-11-20"), [], AS_OF)
    assert calm["churn_risk"] is False and calm["churn_reason"] is None
