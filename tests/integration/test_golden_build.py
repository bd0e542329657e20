"""The golden build over the hub store: lineage stays current, versions and history,
changed events, only changed records rebuilt, retired ids left alone, landed currencies."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

import dedupe
import quality
from integration.golden import build_golden
from integration.golden.view import UnknownGolden, golden_view
from integration.pipeline.land import sync_source
from integration.pipeline.resolve import resolve_customers
from integration.pipeline.standardize import standardize
from integration.sections.golden import CurrencySettings, GoldenSettings
from integration.store import (
    ActivityRow,
    GoldenCustomer,
    GoldenHistory,
    GoldenMember,
    IdentityEvent,
    session_scope,
)
from tests.integration.doubles import rec
from tests.integration.golden_doubles import ShopSource

RULES = quality.default_rules()
SETTINGS = dedupe.MatchSettings(upper=0.95, lower=0.6)
TYPES = {"erp": "kingdee", "mkt": "hubspot"}


def _silos() -> dict[str, ShopSource]:
    erp = ShopSource(
        {
            "customers": [
                rec(
                    "C1",
                    name="张伟",
                    mobile="13800138000",
                    email="zhang.wei@example.cn",
                    company_name="北京中关村科技有限公司",
                    address="北京市海淀区中关村大街1号",
                    source_updated_at="2026-01-01T00:00:00+08:00",
                ),
            ],
            "orders": [
                rec("O1", customer="C1", amount=100.0, at="2026-03-01", currency="CNY"),
                rec("O2", customer="C1", amount=20.0, at="2026-04-01", currency="USD"),
                rec("O3", customer="C1", amount=5000.0, at="2026-05-01", state="cancelled"),
            ],
        }
    )
    mkt = ShopSource(
        {
            "leads": [
                rec(
                    "L1",
                    name="張偉",
                    mobile="+86 138-0013-8000",
                    email="zw@example.cn",
                    company_name="中关村科技",
                    source_updated_at="2026-06-01T00:00:00+08:00",
                ),
            ]
        }
    )
    return {"erp": erp, "mkt": mkt}


def _run(engine: Any, silos: dict[str, ShopSource], **kw: Any) -> Any:
    for name, source in silos.items():
        sync_source(engine, name, source, full=True)
    standardize(engine, silos, RULES)
    resolve_customers(engine, dedupe.CUSTOMER_SPEC, SETTINGS)
    settings = GoldenSettings(currency=CurrencySettings(rates={"USD": 7.0}))
    return build_golden(engine, RULES, settings=settings, source_types=TYPES, **kw)


def _one(engine: Any) -> GoldenCustomer:
    with session_scope(engine) as s:
        goldens = [g for g in s.scalars(select(GoldenCustomer)) if g.status == "active"]
        assert len(goldens) == 1
        s.expunge(goldens[0])
        return goldens[0]


def test_currency_and_state_are_landed_and_the_facts_use_them(engine) -> None:  # type: ignore[no-untyped-def]
    _run(engine, _silos())
    with session_scope(engine) as s:
        acts = {a.id: (a.currency, a.status) for a in s.scalars(select(ActivityRow))}
    # landed as the source said: an order without a currency stays without one
    assert [acts[k] for k in sorted(acts)] == [
        ("CNY", "done"),
        ("USD", "done"),
        (None, "cancelled"),
    ]
    g = _one(engine)
    assert g.facts["orders"] == 2
    assert g.facts["revenue_by_currency"] == {"CNY": 100.0, "USD": 20.0}
    assert g.facts["revenue"] == 240.0


def test_lineage_names_record_rule_time_and_stays_current(engine) -> None:  # type: ignore[no-untyped-def]
    silos = _silos()
    _run(engine, silos)
    g = _one(engine)
    assert g.fields["company_name"] == "北京中关村科技有限公司"  # the ERP is trusted
    assert g.lineage["company_name"]["from"] == "erp:customers:C1"
    assert g.lineage["company_name"]["rule"] == "source_trust"
    assert g.lineage["email"] == {
        "from": "mkt:leads:L1",
        "source": "mkt",
        "rule": "most_recent",
        "at": "2026-06-01T00:00:00+08:00",
        "valid": True,
        "decided_at": g.lineage["email"]["decided_at"],
    }
    first_decision = g.lineage["email"]["decided_at"]
    company_decided = g.lineage["company_name"]["decided_at"]
    # the ERP record changes its e-mail later than the lead: the lineage follows
    silos["erp"].data["customers"][0] = rec(
        "C1",
        name="张伟",
        mobile="13800138000",
        email="zw.new@example.cn",
        company_name="北京中关村科技有限公司",
        address="北京市海淀区中关村大街1号",
        source_updated_at="2026-08-01T00:00:00+08:00",
    )
    report = _run(engine, silos)
    assert report.updated == 1
    g2 = _one(engine)
    assert g2.version == g.version + 1
    assert g2.fields["email"] == "zw.new@example.cn"
    assert g2.lineage["email"]["from"] == "erp:customers:C1"
    assert g2.lineage["email"]["at"] == "2026-08-01T00:00:00+08:00"
    assert g2.lineage["email"]["decided_at"] > first_decision
    # a decision that did not move keeps when it was made
    assert g2.lineage["company_name"]["decided_at"] == company_decided
    with session_scope(engine) as s:
        old = s.scalars(select(GoldenHistory).where(GoldenHistory.golden_id == g.golden_id)).one()
        assert old.version == g.version and old.fields["email"] == "zw@example.cn"
        events = list(
            s.scalars(
                select(IdentityEvent).where(
                    IdentityEvent.golden_id == g.golden_id, IdentityEvent.kind == "changed"
                )
            )
        )
        assert len(events) == 1 and "email" in events[0].detail["fields"]
        view = golden_view(s, g.golden_id, history=True)
    assert view["status"] == "active" and view["history"][0]["fields"]["email"] == "zw@example.cn"
    assert sorted(view["members"]) == ["erp:customers:C1", "mkt:leads:L1"]
    assert "_build" not in view["lineage"]


def test_only_records_whose_inputs_changed_are_rebuilt(engine) -> None:  # type: ignore[no-untyped-def]
    silos = _silos()
    silos["mkt"].data["leads"].append(
        rec(
            "L2",
            name="李娜",
            email="li.na@example.cn",
            source_updated_at="2026-01-01T00:00:00+08:00",
        )
    )
    first = _run(engine, silos)
    assert first.created == 2
    again = _run(engine, silos)
    assert again.skipped_unchanged_inputs == 2 and again.updated == 0
    silos["mkt"].data["leads"][1] = rec(
        "L2",
        name="李娜",
        email="li.na@example.cn",
        city="上海市",
        source_updated_at="2026-02-01T00:00:00+08:00",
    )
    third = _run(engine, silos)
    assert third.skipped_unchanged_inputs == 1 and third.updated == 1


def test_a_retired_golden_id_is_never_rebuilt_or_reactivated(engine) -> None:  # type: ignore[no-untyped-def]
    silos = _silos()
    silos["mkt"].data["leads"].append(
        rec(
            "L2",
            name="李娜",
            email="li.na@example.cn",
            source_updated_at="2026-01-01T00:00:00+08:00",
        )
    )
    _run(engine, silos)
    with session_scope(engine) as s:
        ids = {m.source_key: m.golden_id for m in s.scalars(select(GoldenMember))}
        survivor, retired = ids["C1"], ids["L2"]
        # what the identity stage does on a merge: members move, the old id retires
        for m in s.scalars(select(GoldenMember).where(GoldenMember.golden_id == retired)):
            m.golden_id = survivor
        gone = s.get(GoldenCustomer, retired)
        assert gone is not None
        gone.status, gone.merged_into = "retired", survivor
        version = gone.version
    # the golden stage alone (resolve is the identity engine's, and would redo the merge)
    build_golden(engine, RULES, source_types=TYPES)
    with session_scope(engine) as s:
        gone = s.get(GoldenCustomer, retired)
        assert gone is not None and gone.status == "retired" and gone.version == version
        alive = s.get(GoldenCustomer, survivor)
        assert alive is not None and "li.na@example.cn" in alive.fields["emails"]
        view = golden_view(s, retired)
        assert view["status"] == "merged" and view["merged_into"] == survivor
        with pytest.raises(UnknownGolden):
            golden_view(s, "no-such-id")
