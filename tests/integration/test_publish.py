"""Publishing against the stand-in servers: change-only, idempotent when interrupted, a
merge and a cleared value reaching the CRM, write-back of a new member, the BI tables."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

import dedupe
import quality
from connectors.contract import RawRecord
from connectors.fakes.kingdee import FakeKingdee
from connectors.fakes.salesforce import FakeSalesforce
from connectors.kingdee import Settings as KingdeeSettings
from connectors.kingdee import build_sink as kingdee_sink
from connectors.salesforce import SalesforceSink
from connectors.salesforce import Settings as SalesforceSettings
from connectors.sql_sink import Settings as SqlSettings
from connectors.sql_sink import build_sink as sql_sink
from integration.golden import build_golden
from integration.identity import merge_golden
from integration.pipeline.land import sync_source
from integration.pipeline.publish import dead_letters, publish, replay_dead_letters
from integration.pipeline.resolve import resolve_customers
from integration.pipeline.standardize import standardize
from integration.store import GoldenCustomer, GoldenMember, Outbound, session_scope
from tests.integration.doubles import rec
from tests.integration.golden_doubles import ShopSource

RULES = quality.default_rules()
SETTINGS = dedupe.MatchSettings(upper=0.95, lower=0.6)


def _silos() -> dict[str, ShopSource]:
    return {
        "erp": ShopSource(
            {
                "customers": [
                    rec(
                        "100001",
                        name="张伟",
                        mobile="13800138000",
                        email="zw@example.cn",
                        source_updated_at="2026-01-01T00:00:00+08:00",
                    ),
                    rec(
                        "100002",
                        name="李娜",
                        email="li.na@example.cn",
                        mobile="13700137000",
                        source_updated_at="2026-01-01T00:00:00+08:00",
                    ),
                ],
                "orders": [
                    rec("O1", customer="100001", amount=100.0, at="2026-03-01T10:00:00+08:00")
                ],
            }
        ),
        "cc": ShopSource(
            {"calls": [rec("K1", phone="13800138000", at="2026-02-01T10:00:00+08:00")]}
        ),
    }


def _build(engine: Any, silos: dict[str, ShopSource], *, resolve: bool = True) -> None:
    for name, source in silos.items():
        sync_source(engine, name, source, full=True)
    standardize(engine, silos, RULES)
    if resolve:
        resolve_customers(engine, dedupe.CUSTOMER_SPEC, SETTINGS)
    build_golden(engine, RULES, source_types={"erp": "kingdee", "cc": "callcenter"})


def _ids(engine: Any) -> dict[str, str]:
    with session_scope(engine) as s:
        return {m.source_key: m.golden_id for m in s.scalars(select(GoldenMember))}


@pytest.fixture
def crm() -> Iterator[FakeSalesforce]:
    with FakeSalesforce() as server:
        yield server


def _crm_sink(crm: FakeSalesforce, **extra: Any) -> SalesforceSink:
    return SalesforceSink(
        SalesforceSettings(**{**crm.settings(), "timeout": 2.0, **extra}), sleep=lambda s: None
    )


def _push(engine: Any, crm: FakeSalesforce, **extra: Any) -> Any:
    sink = _crm_sink(crm, **extra)
    try:
        return publish(engine, "crm", sink)
    finally:
        sink.close()


def test_change_only_a_call_that_changes_no_pushed_field_pushes_nothing(engine, crm) -> None:  # type: ignore[no-untyped-def]
    silos = _silos()
    _build(engine, silos)
    first = _push(engine, crm)
    assert first.pushed == 2 and first.created == 2
    assert _push(engine, crm).candidates == 0
    # an older call: the golden record's facts move (last call), no field the CRM gets does
    silos["cc"].data["calls"].append(rec("K2", phone="13800138000", at="2026-02-15T10:00:00+08:00"))
    _build(engine, silos)
    zw = _ids(engine)["100001"]
    with session_scope(engine) as s:
        golden = s.get(GoldenCustomer, zw)
        assert golden is not None and golden.version == 2
        assert golden.facts["last_touch"]["call"] == "2026-02-15T10:00:00+08:00"
    assert _push(engine, crm).candidates == 0
    # a newer call moves the last touch the CRM shows: exactly that record goes
    silos["cc"].data["calls"].append(rec("K3", phone="13800138000", at="2026-09-01T10:00:00+08:00"))
    _build(engine, silos)
    again = _push(engine, crm)
    assert (again.candidates, again.pushed, again.created) == (1, 1, 0)
    assert crm.records[zw]["Chub_Last_Touch_At__c"] == "2026-09-01T10:00:00+08:00"


def test_an_interrupted_push_retried_creates_nothing_twice(engine, crm) -> None:  # type: ignore[no-untyped-def]
    _build(engine, _silos())
    crm.lose_answers = 1  # the upsert is applied, its answer is lost
    report = _push(engine, crm, max_attempts=1)
    assert report.pushed == 0 and report.failed == 2  # told to give up after one try
    assert len(crm.records) == 2  # yet the CRM has them: the answer was what got lost
    retry = _push(engine, crm)
    assert retry.pushed == 2 and retry.created == 0
    assert sorted(crm.creations.values()) == [1, 1]


def test_a_merge_reaches_the_crm_flagged_with_the_survivor(engine, crm) -> None:  # type: ignore[no-untyped-def]
    silos = _silos()
    _build(engine, silos)
    _push(engine, crm)
    ids = _ids(engine)
    survivor, retired = ids["100001"], ids["100002"]
    with session_scope(engine) as s:  # what the identity stage does on a merge
        for m in s.scalars(select(GoldenMember).where(GoldenMember.golden_id == retired)):
            m.golden_id = survivor
        gone = s.get(GoldenCustomer, retired)
        assert gone is not None
        gone.status, gone.merged_into = "retired", survivor
    _build(engine, silos, resolve=False)
    report = _push(engine, crm)
    assert report.pushed == 2 and report.merged == 1
    assert crm.records[retired]["Chub_Status__c"] == "merged"
    assert crm.records[retired]["Chub_Merged_Into__c"] == survivor
    assert crm.records[survivor]["Chub_Status__c"] == "active"
    assert crm.records[survivor]["Chub_Merged_Into__c"] is None
    assert crm.records[survivor]["Chub_Merged_Ids__c"] == retired
    assert _push(engine, crm).candidates == 0  # the mark is pushed once


def test_a_stewards_merge_reaches_the_crm_through_the_next_run(engine, crm) -> None:  # type: ignore[no-untyped-def]
    # the whole path a user takes: a steward merges two golden records (what the review
    # app and `chub golden merge` call), the next run rebuilds and publishes
    silos = _silos()
    _build(engine, silos)
    _push(engine, crm)
    ids = _ids(engine)
    survivor = merge_golden(engine, ids["100001"], ids["100002"], actor="sam", reason="same")
    retired = ({ids["100001"], ids["100002"]} - {survivor}).pop()
    _build(engine, silos)  # resolve (the decision holds), golden, then publish
    report = _push(engine, crm)
    assert report.merged == 1 and report.pushed == 2
    assert crm.records[retired]["Chub_Status__c"] == "merged"
    assert crm.records[retired]["Chub_Merged_Into__c"] == survivor
    assert crm.records[survivor]["Chub_Merged_Ids__c"] == retired
    assert sorted(crm.creations.values()) == [1, 1]  # nothing created twice
    assert _push(engine, crm).candidates == 0


def test_a_merge_deletes_the_account_where_configured(engine, crm) -> None:  # type: ignore[no-untyped-def]
    silos = _silos()
    _build(engine, silos)
    _push(engine, crm, on_merge="delete")
    ids = _ids(engine)
    survivor, retired = ids["100001"], ids["100002"]
    with session_scope(engine) as s:
        gone = s.get(GoldenCustomer, retired)
        assert gone is not None
        gone.status, gone.merged_into = "retired", survivor
    report = _push(engine, crm, on_merge="delete")
    assert report.pushed == 2 and report.merged == 1  # the survivor names what it absorbed
    assert retired not in crm.records and retired in crm.deleted
    # sent again after a lost answer: already deleted counts as done
    with session_scope(engine) as s:
        out = s.get(Outbound, ("crm", retired))
        assert out is not None
        out.last_hash = None
    assert _push(engine, crm, on_merge="delete").pushed == 1


def test_a_cleared_value_is_cleared_in_the_crm(engine, crm) -> None:  # type: ignore[no-untyped-def]
    silos = _silos()
    _build(engine, silos)
    _push(engine, crm)
    li = _ids(engine)["100002"]
    assert crm.records[li]["Chub_Mobile__c"] == "+8613700137000"
    silos["erp"].data["customers"][1] = rec(
        "100002",
        name="李娜",
        email="li.na@example.cn",
        source_updated_at="2026-05-01T00:00:00+08:00",
    )
    _build(engine, silos)
    assert _push(engine, crm).pushed == 1
    assert crm.records[li]["Chub_Mobile__c"] is None and crm.records[li]["Phone"] is None
    assert crm.records[li]["Chub_Email__c"] == "li.na@example.cn"


def test_dead_letters_are_listed_and_replayed_by_id(engine, crm) -> None:  # type: ignore[no-untyped-def]
    _build(engine, _silos())
    ids = _ids(engine)
    crm.fail_ids[ids["100002"]] = "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    report = _push(engine, crm)
    assert (report.pushed, report.dead) == (1, 1)
    [letter] = dead_letters(engine, "crm")
    assert letter.golden_id == ids["100002"] and "validation rule" in letter.error
    assert _push(engine, crm).candidates == 0
    assert replay_dead_letters(engine, "crm", ["someone-else"]) == 0
    crm.fail_ids.clear()
    assert replay_dead_letters(engine, "crm", [ids["100002"]]) == 1
    assert _push(engine, crm).pushed == 1 and not dead_letters(engine, "crm")


def test_a_new_member_is_written_back_though_no_field_changes(engine) -> None:  # type: ignore[no-untyped-def]
    seed = {
        "customers": [
            {"FCUSTID": i, "FNumber": f"C{i}", "FName": "x"} for i in (100001, 100002, 100003)
        ]
    }
    with FakeKingdee(seed) as erp:
        settings = KingdeeSettings(
            base_url=erp.url + "/K3Cloud/", acct_id="CHUB01", username="api", password="kd-secret"
        )

        def push() -> Any:
            sink = kingdee_sink(settings, sleep=lambda s: None)
            try:
                return publish(engine, "erp_writeback", sink, source_name="erp")
            finally:
                sink.close()

        silos = _silos()
        _build(engine, silos)
        assert push().pushed == 2
        zw = _ids(engine)["100001"]
        assert erp.customers[100001]["F_CHUB_GoldenId"] == zw
        # the same customer entered a second time in the ERP, older, with nothing new
        silos["erp"].data["customers"].append(
            rec(
                "100003",
                name="张伟",
                mobile="13800138000",
                email="zw@example.cn",
                source_updated_at="2025-01-01T00:00:00+08:00",
            )
        )
        _build(engine, silos)
        assert _ids(engine)["100003"] == zw
        report = push()
        assert report.pushed == 1
        assert erp.customers[100003]["F_CHUB_GoldenId"] == zw
        assert erp.batch_saves >= 2 and push().candidates == 0


def test_the_bi_tables_are_change_only_with_merges_applied(engine, hub_url) -> None:  # type: ignore[no-untyped-def]
    silos = _silos()
    _build(engine, silos)
    sink = sql_sink(SqlSettings(url=hub_url, table_prefix="bi_"))
    try:
        assert publish(engine, "bi", sink).pushed == 2
        assert publish(engine, "bi", sink).candidates == 0
        ids = _ids(engine)
        survivor, retired = ids["100001"], ids["100002"]
        bi = create_engine(hub_url)
        with bi.connect() as conn:
            rows = dict(
                conn.execute(text("SELECT golden_id, status FROM bi_golden_customer")).all()
            )
            assert rows == {survivor: "active", retired: "active"}
            walk = conn.execute(
                text("SELECT source, source_key, golden_id FROM bi_golden_crosswalk")
            )
            assert sorted(walk.all()) == [("erp", "100001", survivor), ("erp", "100002", retired)]
            orders = conn.execute(
                text("SELECT orders, revenue FROM bi_golden_facts WHERE golden_id = :g"),
                {"g": survivor},
            ).one()
            assert tuple(orders) == (1, 100.0)
        with session_scope(engine) as s:
            for m in s.scalars(select(GoldenMember).where(GoldenMember.golden_id == retired)):
                m.golden_id = survivor
            gone = s.get(GoldenCustomer, retired)
            assert gone is not None
            gone.status, gone.merged_into = "retired", survivor
        _build(engine, silos, resolve=False)
        assert publish(engine, "bi", sink).pushed == 2
        with bi.connect() as conn:
            merged = conn.execute(
                text(
                    "SELECT status, merged_into, name FROM bi_golden_customer WHERE golden_id = :g"
                ),
                {"g": retired},
            ).one()
            assert tuple(merged) == ("merged", survivor, None)
            walk = conn.execute(text("SELECT source_key, golden_id FROM bi_golden_crosswalk"))
            assert sorted(walk.all()) == [("100001", survivor), ("100002", survivor)]
            assert conn.execute(text("SELECT count(*) FROM bi_golden_facts")).scalar() == 1
        bi.dispose()
    finally:
        sink.close()


def test_a_deleted_customer_is_retired_in_the_bi_tables(engine, hub_url) -> None:  # type: ignore[no-untyped-def]
    silos = _silos()
    _build(engine, silos)
    li = _ids(engine)["100002"]
    sink = sql_sink(SqlSettings(url=hub_url, table_prefix="bi_"))
    bi = create_engine(hub_url)
    try:
        assert publish(engine, "bi", sink).pushed == 2
        # 李娜 is deleted in the ERP (its feed sends the deletion): her golden id is left
        # without members and retired, and the BI tables say so
        silos["erp"].data["customers"][1] = RawRecord("100002", None, deleted=True)
        _build(engine, silos)
        report = publish(engine, "bi", sink)
        assert report.pushed == 1
        with bi.connect() as conn:
            row = conn.execute(
                text("SELECT status, name FROM bi_golden_customer WHERE golden_id = :g"), {"g": li}
            ).one()
            assert tuple(row) == ("retired", None)
            walk = conn.execute(text("SELECT source_key FROM bi_golden_crosswalk")).scalars()
            assert list(walk) == ["100001"]
            facts = conn.execute(
                text("SELECT count(*) FROM bi_golden_facts WHERE golden_id = :g"), {"g": li}
            )
            assert facts.scalar() == 0
        assert publish(engine, "bi", sink).candidates == 0
    finally:
        bi.dispose()
        sink.close()
