"""Kingdee source and sink against FakeKingdee on loopback: paging, incremental, faults, Save."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from connectors.contract import OutboundRecord, RawRecord, TransientError
from connectors.fakes.kingdee import FakeKingdee, records_from_demo
from connectors.kingdee import KingdeeSink, KingdeeSource, Settings, build_sink, build_source


def _person(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"P{i:04d}",
        "customer_type": "company",
        "name": f"联系人{i}",
        "company_name": f"测试{i}号科技有限公司",
        "mobile": f"+86 138-0013-{i:04d}",
        "phones": [f"010-6552 {i:04d}"],
        "email": f"c{i}@example.cn",
        "uscc": f"91110108MA01{i:04d}0X",
        "province": "北京市",
        "city": "北京市",
        "district": "海淀区",
        "address": f"中关村大街{i}号",
        "owner": "zhangsan",
        "created_at": "2026-01-05T08:00:00+08:00",
        # several customers share one modify time, as a batch import would leave them
        "updated_at": f"2026-10-0{1 + i % 3}T10:00:00+08:00",
        "orders": [{"no": f"SO{i:04d}", "date": f"2026-0{1 + i % 9}-01", "amount": 100.0 * i}],
        **extra,
    }


PEOPLE = [_person(i) for i in range(1, 8)] + [{"id": "P9999", "name": "只在营销里的人"}]


@pytest.fixture
def server() -> Iterator[FakeKingdee]:
    with FakeKingdee(records_from_demo(PEOPLE)) as srv:
        yield srv


def _settings(server: FakeKingdee, **extra: Any) -> Settings:
    return Settings(
        base_url=server.url + "/K3Cloud/",
        acct_id="CHUB01",
        username="api",
        password="kd-secret",
        timeout=2.0,
        **extra,
    )


def _source(server: FakeKingdee, **extra: Any) -> KingdeeSource:
    return build_source(_settings(server, **extra), sleep=lambda s: None)


def _drain(
    source: KingdeeSource, stream: str, cursor: str | None
) -> tuple[list[RawRecord], str | None]:
    records: list[RawRecord] = []
    for page in source.pull(stream, cursor):
        records.extend(page.records)
        cursor = page.cursor
    return records, cursor


def _queries(server: FakeKingdee) -> list[dict[str, Any]]:
    return [
        r.json()["data"]
        for r in server.requests
        if r.path.endswith("ExecuteBillQuery.common.kdsvc")
    ]


def test_demo_seed_holds_only_erp_customers() -> None:
    seed = records_from_demo(PEOPLE)
    assert len(seed["customers"]) == 7 and len(seed["orders"]) == 7
    first = seed["customers"][0]
    assert first["FName"] == "测试1号科技有限公司" and first["FModifyDate"] == "2026-10-02T10:00:00"
    assert seed["orders"][0]["FCustId"]["Id"] == first["FCUSTID"]


def test_full_pull_maps_customers_and_orders(server: FakeKingdee) -> None:
    source = _source(server)
    customers, _ = _drain(source, "customers", None)
    assert sorted(r.key for r in customers) == [str(100001 + i) for i in range(7)]
    by_key = {r.key: r for r in customers}
    mapped = source.map_record("customers", by_key["100001"].payload or {}).customer
    assert mapped == {
        "name": "测试1号科技有限公司",
        "customer_type": "company",
        "company_name": "测试1号科技有限公司",
        "mobile": "+86 138-0013-0001",
        "phones": ["010-6552 0001"],
        "email": "c1@example.cn",
        "uscc": "91110108MA0100010X",
        "province": "北京市",
        "address": "北京市海淀区中关村大街1号",
        "owner": "zhangsan",
        "source_updated_at": "2026-10-02T10:00:00+08:00",
    }
    orders, _ = _drain(source, "orders", None)
    assert len(orders) == 7
    activity = source.map_record("orders", orders[0].payload or {}).activity
    assert activity is not None and activity.kind == "order"
    assert activity.customer_stream == "customers" and activity.customer_key in by_key
    assert activity.amount and activity.amount > 0
    source.close()


def test_paging_is_a_stable_keyset_with_limit(server: FakeKingdee) -> None:
    source = _source(server, page_size=2)
    records, _ = _drain(source, "customers", None)
    assert len(records) == len({r.key for r in records}) == 7
    queries = _queries(server)
    assert all(
        q["Limit"] == 2 and q["OrderString"].startswith("FModifyDate ASC,FCUSTID ASC")
        for q in queries
    )
    assert len(queries) >= 4  # stops on the first page with fewer than Limit rows
    source.close()


def test_incremental_pull_brings_only_changes_and_late_commits(server: FakeKingdee) -> None:
    source = _source(server, page_size=3, overlap_seconds=600)
    _, cursor = _drain(source, "customers", None)
    assert cursor is not None
    again, cursor2 = _drain(source, "customers", cursor)
    assert again == [] and cursor2 is not None  # overlap re-read is deduped on (id, date)
    # a change now, and a late commit stamped inside the overlap window before the watermark
    server.customers[100002]["FName"] = "改名了有限公司"
    server.customers[100002]["FModifyDate"] = "2026-10-05T08:00:00"
    server.customers[100003]["FModifyDate"] = "2026-10-03T09:55:00"
    changed, cursor3 = _drain(source, "customers", cursor2)
    assert sorted(r.key for r in changed) == ["100002", "100003"]
    assert json.loads(cursor3 or "{}")["date"] == "2026-10-05T08:00:00"
    source.close()


def test_resuming_from_a_page_cursor_loses_nothing(server: FakeKingdee) -> None:
    source = _source(server, page_size=2)
    pages = source.pull("customers", None)
    first = next(pages)
    pages.close()
    rest, _ = _drain(source, "customers", first.cursor)
    assert sorted([r.key for r in first.records] + [r.key for r in rest]) == [
        str(100001 + i) for i in range(7)
    ]
    source.close()


def test_a_row_modified_mid_sync_does_not_hide_another(server: FakeKingdee) -> None:
    source = _source(server, page_size=2)
    pages = source.pull("customers", None)
    seen = [r.key for r in next(pages).records]
    # an offset-paged reader would now skip a row: the modified one jumps to the end
    server.customers[int(seen[0])]["FModifyDate"] = "2026-10-09T00:00:00"
    for page in pages:
        seen.extend(r.key for r in page.records)
    assert set(seen) == {str(100001 + i) for i in range(7)}
    source.close()


def test_order_lines_are_summed_even_across_pages(server: FakeKingdee) -> None:
    order = server.orders[200001]
    order["FSaleOrderEntry"] = [
        {"FEntryID": 900 + n, "FQty": 1, "FAllAmount": 10.5 * n} for n in range(1, 6)
    ]
    source = _source(server, page_size=2)
    records, _ = _drain(source, "orders", None)
    assert len(records) == len({r.key for r in records}) == 7
    big = next(r for r in records if r.key == "200001")
    assert len((big.payload or {})["lines"]) == 5
    activity = source.map_record("orders", big.payload or {}).activity
    assert activity is not None and activity.amount == pytest.approx(157.5)
    assert any(q["StartRow"] > 0 for q in _queries(server))  # rest of a long order
    source.close()


def test_lost_session_mid_paging_relogs_and_continues(server: FakeKingdee) -> None:
    source = _source(server, page_size=2)
    pages = source.pull("customers", None)
    seen = [r.key for r in next(pages).records]
    server.inject("token_expired", path="ExecuteBillQuery")
    for page in pages:
        seen.extend(r.key for r in page.records)
    assert len(seen) == len(set(seen)) == 7
    assert source.client.logins == 2
    source.close()


def test_expired_session_knob(server: FakeKingdee) -> None:
    source = _source(server)
    _drain(source, "customers", None)
    server.expire_sessions()
    records, _ = _drain(source, "orders", None)
    assert len(records) == 7 and source.client.logins == 2
    source.close()


@pytest.mark.parametrize("fault", ["http_500", "malformed_json", "timeout", "throttle"])
def test_transient_faults_are_retried(server: FakeKingdee, fault: str) -> None:
    server.timeout_hold = 1.0
    source = build_source(
        _settings(server, page_size=3).model_copy(update={"timeout": 0.3}), sleep=lambda s: None
    )
    _drain(source, "customers", None)  # log in first so the fault hits a query
    server.inject(fault, path="ExecuteBillQuery")  # type: ignore[arg-type]
    records, _ = _drain(source, "customers", None)
    assert len(records) == 7
    source.close()


def test_duplicate_page_neither_duplicates_nor_loses(server: FakeKingdee) -> None:
    source = _source(server, page_size=2)
    pages = source.pull("customers", None)
    seen = [r.key for r in next(pages).records]
    server.inject("duplicate_page", path="ExecuteBillQuery")
    for page in pages:
        seen.extend(r.key for r in page.records)
    assert len(seen) == len(set(seen)) == 7
    source.close()


def test_persistent_throttle_gives_up_as_transient(server: FakeKingdee) -> None:
    waits: list[float] = []
    source = build_source(_settings(server), sleep=waits.append)
    server.inject("throttle", path="ExecuteBillQuery", times=99)
    with pytest.raises(TransientError):
        _drain(source, "customers", None)
    assert len(waits) == 4  # five attempts, four waits, none slept for real
    source.close()


# ---------------------------------------------------------------- write-back


def _sink(server: FakeKingdee, **extra: Any) -> KingdeeSink:
    return build_sink(_settings(server, **extra), sleep=lambda s: None)


def test_sink_updates_member_records_and_skips_when_already_set(server: FakeKingdee) -> None:
    sink = _sink(server)
    record = OutboundRecord("G-1", {"name": "x"}, source_keys=("100001", "100004"))
    [result] = sink.push([record])
    assert result.ok and result.target_id == "100001" and not result.created
    assert server.customers[100001]["F_CHUB_GoldenId"] == "G-1"
    assert server.customers[100004]["F_CHUB_GoldenId"] == "G-1"
    saves = len(server.saves)
    assert sink.push([record])[0].ok
    assert len(server.saves) == saves  # nothing to change: no Save, no audit noise
    sink.close()


def test_sink_reports_a_vanished_member(server: FakeKingdee) -> None:
    sink = _sink(server)
    [result] = sink.push([OutboundRecord("G-2", {}, source_keys=("100002", "999999"))])
    assert not result.ok and "999999" in (result.error or "")
    assert server.customers[100002]["F_CHUB_GoldenId"] == "G-2"
    sink.close()


def test_create_retry_never_makes_a_second_record(server: FakeKingdee) -> None:
    sink = _sink(server, create_missing=True)
    server.lose_save_answers = 1  # the server creates it, the answer never arrives
    record = OutboundRecord("G-NEW", {"company_name": "新客户有限公司", "mobile": "13800138000"})
    [result] = sink.push([record])
    assert result.ok and result.created
    made = [c for c in server.customers.values() if c.get("FNumber") == "CHUB-G-NEW"]
    assert len(made) == 1 and made[0]["F_CHUB_GoldenId"] == "G-NEW"
    assert result.target_id == str(made[0]["FCUSTID"])
    [again] = sink.push([record])  # a later replay of the same record
    assert again.ok and not again.created and again.target_id == result.target_id
    assert len([c for c in server.customers.values() if c.get("FNumber") == "CHUB-G-NEW"]) == 1
    sink.close()


def test_create_needs_a_name_and_skips_without_create_missing(server: FakeKingdee) -> None:
    [bad] = _sink(server, create_missing=True).push([OutboundRecord("G-3", {})])
    assert not bad.ok and not bad.retryable
    [skipped] = _sink(server).push([OutboundRecord("G-4", {"name": "x"})])
    assert skipped.ok and skipped.target_id is None


def test_sink_survives_a_lost_session_and_logs_no_secret(
    server: FakeKingdee, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sink = _sink(server)
    assert sink.push([OutboundRecord("G-5", {}, source_keys=("100005",))])[0].ok
    server.inject("token_expired", path="Save")
    server.customers[100006]["F_CHUB_GoldenId"] = "old"
    assert sink.push([OutboundRecord("G-6", {}, source_keys=("100006",))])[0].ok
    assert server.customers[100006]["F_CHUB_GoldenId"] == "G-6"
    assert "kd-secret" not in caplog.text
    sink.close()


def test_registry_builds_protocol_conforming_source_and_sink(server: FakeKingdee) -> None:
    from connectors.contract import Sink, Source
    from connectors.registry import build_sink as reg_sink
    from connectors.registry import build_source as reg_source

    raw = _settings(server).model_dump()
    source, sink = reg_source("kingdee", raw), reg_sink("kingdee", raw)
    assert isinstance(source, Source) and isinstance(sink, Sink)
    source.close()
    sink.close()


def test_per_stream_filter_is_anded_with_the_keyset(server: FakeKingdee) -> None:
    server.orders[200003]["FDocumentStatus"] = "A"  # not yet approved
    source = _source(server, page_size=2, filters={"orders": "FDocumentStatus = 'C'"})
    records, _ = _drain(source, "orders", None)
    assert sorted(r.key for r in records) == [str(200001 + i) for i in range(7) if i != 2]
    assert all(q["FilterString"].startswith("(FDocumentStatus = 'C')") for q in _queries(server))
    source.close()


def test_an_unreadable_row_is_flagged_not_fatal(server: FakeKingdee) -> None:
    server.customers[100002]["FModifyDate"] = "not a date"
    source = _source(server, page_size=3)
    records, _ = _drain(source, "customers", None)
    bad = [r for r in records if r.problem]
    assert [r.key for r in bad] == ["bad:100002"] and bad[0].payload is None
    assert "not a date" in (bad[0].raw_text or "")
    assert len([r for r in records if not r.problem]) == 6
    source.close()


def test_sink_with_a_refused_login_stops_the_push(server: FakeKingdee) -> None:
    from connectors.contract import AuthError

    sink = build_sink(_settings(server).model_copy(update={"password": "wrong"}))
    with pytest.raises(AuthError):
        sink.push([OutboundRecord("G-9", {}, source_keys=("100001",))])
    sink.close()
