"""The stages over the hub store: standardize, resolve, golden, publish."""

from __future__ import annotations

from sqlalchemy import select

import dedupe
import quality
from connectors.contract import RawRecord
from integration.pipeline.golden import build_golden
from integration.pipeline.land import sync_source
from integration.pipeline.publish import publish, replay_dead_letters
from integration.pipeline.resolve import resolve_customers
from integration.pipeline.standardize import standardize, standardize_fields
from integration.store import (
    CustomerRow,
    Decision,
    GoldenCustomer,
    GoldenMember,
    Outbound,
    session_scope,
)
from tests.integration.doubles import ListSource, RecordingSink, rec

RULES = quality.default_rules()
SETTINGS = dedupe.MatchSettings(upper=0.95, lower=0.6)


def test_standardize_fields_normalizes_what_silos_write_differently() -> None:
    out = standardize_fields(
        {
            "name": " 張偉 ",
            "mobile": "+86 138-0013-8000",
            "email": " Zhang.Wei@QQ.COM ",
            "phones": ["１３９００１３９０００"],
            "address": "广东省深圳市南山区科技园1号",
        }
    )
    assert out["name"] == "张伟"
    assert out["mobile"] == "+8613800138000"
    assert out["email"] == "zhang.wei@qq.com"
    assert out["phones"] == ["+8613900139000"]
    assert (out["province"], out["city"], out["district"]) == ("广东省", "深圳市", "南山区")


def _run(engine, sources, sink=None):  # type: ignore[no-untyped-def]
    for name, source in sources.items():
        sync_source(engine, name, source)
    std = standardize(engine, sources, RULES)
    res = resolve_customers(engine, dedupe.CUSTOMER_SPEC, SETTINGS)
    gold = build_golden(engine, RULES)
    pub = publish(engine, "crm", sink) if sink is not None else None
    return std, res, gold, pub


def _silos():  # type: ignore[no-untyped-def]
    erp = ListSource(
        {
            "customers": [
                rec(
                    "C1",
                    name="张伟",
                    mobile="13800138000",
                    address="北京市海淀区中关村大街1号",
                    source_updated_at="2026-01-01T00:00:00+08:00",
                ),
                rec(
                    "C2",
                    name="李娜",
                    email="li.na@example.cn",
                    source_updated_at="2026-01-01T00:00:00+08:00",
                ),
                rec("C3", name="王芳"),  # no contact at all: quarantined
            ],
            "orders": [
                rec("O1", customer="C1", amount=100.0, at="2026-03-01"),
                rec("O2", customer="C1", amount=250.5, at="2026-05-01"),
            ],
        },
        kinds={"customers": "customer", "orders": "order"},
    )
    marketing = ListSource(
        {
            "leads": [
                rec(
                    "L1",
                    name="張偉",
                    mobile="+86 138-0013-8000",
                    email="zw@example.cn",
                    source_updated_at="2026-06-01T00:00:00+08:00",
                ),
                rec(
                    "L2",
                    name="李娜",
                    email="LI.NA@example.cn",
                    source_updated_at="2025-01-01T00:00:00+08:00",
                ),
                RawRecord(
                    "L9", None, problem="row 9 has 3 columns, header has 5", raw_text="a,b,c"
                ),
            ]
        }
    )
    return {"erp": erp, "marketing": marketing}


def test_whole_flow_merges_quarantines_survives_and_publishes(engine) -> None:  # type: ignore[no-untyped-def]
    sink = RecordingSink()
    std, res, gold, pub = _run(engine, _silos(), sink)
    assert std.rows_ok == 4 and std.rows_quarantined == 2 and std.activities == 2
    with session_scope(engine) as s:
        bad = {
            r.source_key: r
            for r in s.scalars(select(CustomerRow).where(CustomerRow.verdict == "quarantined"))
        }
        assert set(bad) == {"C3", "L9"}
        assert any("unreadable" in r["message"] for r in bad["L9"].reasons)
        assert bad["C3"].reasons  # every reason is kept
        members = {m.source_key: m.golden_id for m in s.scalars(select(GoldenMember))}
    assert members["C1"] == members["L1"] and members["C2"] == members["L2"]
    assert members["C1"] != members["C2"]
    assert gold.golden == 2
    with session_scope(engine) as s:
        zw = s.get(GoldenCustomer, members["C1"])
        assert zw is not None
        # most recent non-empty value wins; lineage says where each field came from
        assert zw.fields["email"] == "zw@example.cn"
        assert zw.lineage["email"]["from"] == "marketing:leads:L1"
        assert zw.fields["address"] == "北京市海淀区中关村大街1号"
        assert zw.lineage["address"]["from"] == "erp:customers:C1"
        assert zw.facts["orders"] == 2 and zw.facts["revenue"] == 350.5
        assert zw.facts["lifecycle_stage"] == "repeat"
    assert pub is not None and pub.pushed == 2
    assert set(sink.store) == {members["C1"], members["C2"]}


def test_rerun_changes_nothing_and_pushes_nothing(engine) -> None:  # type: ignore[no-untyped-def]
    sink = RecordingSink()
    silos = _silos()
    _run(engine, silos, sink)
    with session_scope(engine) as s:
        before = {
            g.golden_id: (g.version, g.content_hash) for g in s.scalars(select(GoldenCustomer))
        }
    std, res, gold, pub = _run(engine, silos, sink)
    assert std.looked_at == 0 and gold.updated == 0 and gold.created == 0
    assert pub is not None and pub.pushed == 0 and pub.candidates == 0
    with session_scope(engine) as s:
        after = {
            g.golden_id: (g.version, g.content_hash) for g in s.scalars(select(GoldenCustomer))
        }
    assert before == after


def test_a_changed_source_record_pushes_only_that_golden_record(engine) -> None:  # type: ignore[no-untyped-def]
    sink = RecordingSink()
    silos = _silos()
    _run(engine, silos, sink)
    silos["erp"].data["customers"][1] = rec(
        "C2",
        name="李娜",
        email="li.na@example.cn",
        mobile="13700137000",
        source_updated_at="2026-07-01T00:00:00+08:00",
    )
    for source in silos.values():
        source.page_size = 100
    for name, source in silos.items():
        sync_source(engine, name, source, full=True)
    standardize(engine, silos, RULES)
    resolve_customers(engine, dedupe.CUSTOMER_SPEC, SETTINGS)
    gold = build_golden(engine, RULES)
    pub = publish(engine, "crm", sink)
    assert gold.updated == 1 and pub.pushed == 1
    assert sink.calls[-1] and len(sink.calls[-1]) == 1


def test_admin_keep_apart_decision_is_obeyed_by_later_runs(engine) -> None:  # type: ignore[no-untyped-def]
    silos = _silos()
    _run(engine, silos)
    with session_scope(engine) as s:
        rows = {r.source_key: r.id for r in s.scalars(select(CustomerRow))}
        s.add(
            Decision(
                actor="admin",
                action="apart",
                left_id=rows["C2"],
                right_id=rows["L2"],
                reason="different people, same mailbox",
            )
        )
    resolve_customers(engine, dedupe.CUSTOMER_SPEC, SETTINGS)
    with session_scope(engine) as s:
        members = {m.source_key: m.golden_id for m in s.scalars(select(GoldenMember))}
    assert members["C2"] != members["L2"]
    assert members["C1"] == members["L1"]  # the other cluster keeps its id


def test_refused_records_become_dead_letters_and_can_be_replayed(engine) -> None:  # type: ignore[no-untyped-def]
    silos = _silos()
    _run(engine, silos)
    with session_scope(engine) as s:
        gid = s.scalars(select(GoldenMember.golden_id).where(GoldenMember.source_key == "C2")).one()
    sink = RecordingSink(refuse=[gid])
    pub = publish(engine, "crm", sink)
    assert (pub.pushed, pub.dead) == (1, 1)
    with session_scope(engine) as s:
        dead = s.get(Outbound, ("crm", gid))
        assert (
            dead is not None
            and dead.status == "dead"
            and "REQUIRED_FIELD" in (dead.last_error or "")
        )
    assert publish(engine, "crm", sink).candidates == 0  # not retried forever
    assert replay_dead_letters(engine, "crm") == 1
    sink.refuse.clear()
    again = publish(engine, "crm", sink)
    assert again.pushed == 1 and gid in sink.store


def test_a_deleted_order_is_standardized_once_and_leaves_the_facts(engine) -> None:  # type: ignore[no-untyped-def]
    silos = _silos()
    _run(engine, silos)
    # O2 is deleted upstream; landing gives it a new payload hash, its activity row keeps
    # the hash of the payload it was made from
    silos["erp"].data["orders"].append(RawRecord("O2", None, deleted=True))
    std, _, gold, _ = _run(engine, silos)
    assert std.looked_at == 0 and std.activities == 0  # nothing to rewrite for it
    assert gold.updated == 1
    with session_scope(engine) as s:
        facts = {g.golden_id: g.facts for g in s.scalars(select(GoldenCustomer))}
    assert sorted((f["orders"], f["revenue"]) for f in facts.values()) == [(0, 0.0), (1, 100.0)]
    # the next runs have nothing to do for it (it used to be mapped again on every run)
    std, _, gold, _ = _run(engine, silos)
    assert std.looked_at == 0 and gold.updated == 0 and gold.created == 0
    full = build_golden(engine, RULES, full=True)
    assert full.updated == 0 and full.created == 0 and full.retired == 0
    with session_scope(engine) as s:
        assert {g.golden_id: g.facts for g in s.scalars(select(GoldenCustomer))} == facts
