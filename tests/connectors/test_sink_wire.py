"""The change-only hash covers exactly what a sink sends (issue 15).

For Salesforce, HubSpot, Kingdee (member write-back) and WeCom, one golden record is
pushed into a fresh stand-in, and then, field by field, a copy with just that field
changed. What reached the stand-in (the requests it received: method, path, query and
body) must differ
from the base push exactly when ``wire_hash`` differs: a field that is hashed is sent,
a field that is not sent is not hashed. Where a sink's ``wire()`` has the shape of its
request, the request's part for the record is compared with ``wire()`` itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import httpx
from sqlalchemy import delete, select

from connectors.contract import OutboundRecord
from connectors.fakes._server import FakeServer
from connectors.fakes.hubspot import FakeHubSpot
from connectors.fakes.kingdee import FakeKingdee
from connectors.fakes.salesforce import FakeSalesforce
from connectors.fakes.wecom import FakeWeCom
from connectors.hubspot import HubSpotSink
from connectors.hubspot import Settings as HubSpotSettings
from connectors.kingdee import Settings as KingdeeSettings
from connectors.kingdee import build_sink as kingdee_sink
from connectors.salesforce import SalesforceSink
from connectors.salesforce import Settings as SalesforceSettings
from connectors.sql_sink import Settings as SqlSettings
from connectors.sql_sink import SqlSink
from connectors.sql_sink import build_sink as sql_sink
from connectors.sql_sink.mapping import FACT_COLUMNS
from connectors.tryton import Settings as TrytonSettings
from connectors.tryton import build_sink as tryton_sink
from connectors.wecom import Settings as WeComSettings
from connectors.wecom import build_sink as wecom_sink
from integration.pipeline.publish import outbound_fields, wire_hash

#: query keys that carry a session, not content
_SESSION_KEYS = {"access_token"}


class _Golden:
    def __init__(self, golden_id: str, fields: dict[str, Any], facts: dict[str, Any]) -> None:
        self.golden_id, self.fields, self.facts = golden_id, fields, facts


def _base_fields() -> dict[str, Any]:
    """Every field the hub offers a sink, each with a value (as ``outbound_fields`` builds)."""
    golden = _Golden(
        "G0001",
        {
            "name": "张伟",
            "customer_type": "person",
            "mobile": "13800138000",
            "email": "zhang.wei@example.com",
            "company_name": "上海某某贸易有限公司",
            "uscc": "91310000MA1FL1234X",
            "province": "上海市",
            "city": "上海市",
            "district": "浦东新区",
            "address": "世纪大道100号",
            "wecom_external_userid": "wmA",
            "wechat_unionid": "oUnion1",
            "owner": "zhangsan",
            "mobiles": ["13800138000", "13900001111"],
            "emails": ["zhang.wei@example.com"],
            "phones": ["13800138000", "021-55550000"],
            "wecom_external_userids": ["wmA"],
            "follow_staff": ["zhangsan"],
            "tags": ["vip"],
            "source_ids": {"kingdee": ["100001"]},
        },
        {
            "orders": 3,
            "revenue": 1200.0,
            "revenue_by_currency": {"CNY": 1200.0},
            "revenue_currency": "CNY",
            "first_order_at": "2026-01-02T10:00:00+08:00",
            "last_order_at": "2026-05-02T10:00:00+08:00",
            "last_touch_at": "2026-06-01T09:00:00+08:00",
            "lifecycle_stage": "repeat",
            "value_tier": "A",
            "churn_risk": False,
            "churn_reason": None,
        },
    )
    return outbound_fields(golden)


def _changed(name: str, value: Any) -> Any:
    """Another plausible value of the same kind (a mobile stays a well-formed mobile)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        if value.isdigit() and len(value) == 11:
            return value[:-1] + ("9" if value[-1] != "9" else "8")
        if name == "wecom_external_userid":
            return "wmB"
        if name == "owner":
            return "lisi"
        return value + "2"
    if isinstance(value, list):
        extra = "13700007777" if name in ("mobiles", "phones") else f"{name}-extra"
        return [*value, extra]
    if isinstance(value, dict):
        return {**value, "extra": 1}
    return "changed"


def _variants(fields: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, value in fields.items():
        if name in ("golden_id", "status"):
            continue  # the record's identity and its state are the hash's own inputs
        yield name, {**fields, name: _changed(name, value)}
        if value not in (None, "", [], {}):
            yield f"{name}=None", {**fields, name: None}


def _requests(server: FakeServer) -> list[tuple[str, str, str, Any]]:
    out = []
    for r in server.requests:
        query = json.dumps(
            {k: v for k, v in sorted(r.query.items()) if k not in _SESSION_KEYS}, sort_keys=True
        )
        try:
            body = r.json()
        except ValueError:
            body = r.body.decode(errors="replace")
        out.append((r.method, r.path, query, body))
    return out


Push = Callable[[OutboundRecord], list[Any]]


def _assert_hash_follows_the_wire(
    sink_of: Callable[[], Any],
    push: Push,
    base: OutboundRecord,
    variants: Iterable[tuple[str, dict[str, Any]]] | None = None,
) -> None:
    """For each field: hash changed <=> what reached the stand-in changed."""
    sink = sink_of()
    base_hash, base_sent = wire_hash(sink, base), push(base)
    assert base_sent, "the base record reached nothing"
    mismatches = []
    for name, fields in _variants(base.fields) if variants is None else variants:
        variant = OutboundRecord(
            base.golden_id, fields, target_id=base.target_id, source_keys=base.source_keys
        )
        hashed = wire_hash(sink, variant) != base_hash
        sent = push(variant) != base_sent
        if hashed != sent:
            mismatches.append(f"{name}: hashed={hashed} sent={sent}")
    assert not mismatches, mismatches


# ---------------------------------------------------------------- Salesforce


def _salesforce(**extra: Any) -> tuple[Callable[[], SalesforceSink], Push]:
    def push(record: OutboundRecord) -> list[Any]:
        with FakeSalesforce() as server:
            sink = SalesforceSink(
                SalesforceSettings(**server.settings(), **extra), sleep=lambda s: None
            )
            sink.push([record])
            sink.close()
            return [r for r in _requests(server) if "/oauth2/" not in r[1]]

    settings = SalesforceSettings(instance_url="http://127.0.0.1:1", access_token="x", **extra)
    return lambda: SalesforceSink(settings), push


def test_salesforce_request_is_its_wire() -> None:
    base = OutboundRecord("G0001", _base_fields())
    with FakeSalesforce() as server:
        sink = SalesforceSink(SalesforceSettings(**server.settings()), sleep=lambda s: None)
        sink.push([base])
        (sent,) = [r.json() for r in server.requests if r.method == "PATCH"]
        (account,) = sent["records"]
        ext = sink.settings.external_id_field
        assert account.pop(ext) == "G0001" and account.pop("attributes") == {"type": "Account"}
        assert account == sink.wire(base)
    sink_of, push = _salesforce()
    _assert_hash_follows_the_wire(sink_of, push, base)


def test_salesforce_merged_record_flagged_or_deleted() -> None:
    merged = OutboundRecord(
        "G0002", {"golden_id": "G0002", "status": "merged", "merged_into": "G0001"}, "001X"
    )
    _assert_hash_follows_the_wire(*_salesforce(), merged)
    _assert_hash_follows_the_wire(*_salesforce(on_merge="delete"), merged)


# ---------------------------------------------------------------- HubSpot


def _hubspot(**extra: Any) -> tuple[Callable[[], HubSpotSink], Push]:
    def push(record: OutboundRecord) -> list[Any]:
        with FakeHubSpot() as server:
            if record.target_id:
                server.upsert_contact(record.target_id, chub_golden_id=record.golden_id)
            sink = HubSpotSink(HubSpotSettings(**server.settings(), **extra), sleep=lambda s: None)
            sink.push([record])
            sink.close()
            return _requests(server)

    settings = HubSpotSettings(base_url="http://127.0.0.1:1", token="x", **extra)
    return lambda: HubSpotSink(settings), push


def test_hubspot_request_is_its_wire() -> None:
    base = OutboundRecord("G0001", _base_fields())
    with FakeHubSpot() as server:
        sink = HubSpotSink(HubSpotSettings(**server.settings()), sleep=lambda s: None)
        sink.push([base])
        (sent,) = [r.json() for r in server.requests if r.path.endswith("/batch/upsert")]
        (one,) = sent["inputs"]
        assert (one["id"], one["objectWriteTraceId"]) == ("G0001", "G0001")
        assert one["properties"] == sink.wire(base)
    _assert_hash_follows_the_wire(*_hubspot(), base)


def test_hubspot_merged_record_flagged_or_archived() -> None:
    merged = OutboundRecord(
        "G0002", {"golden_id": "G0002", "status": "merged", "merged_into": "G0001"}, "501"
    )
    _assert_hash_follows_the_wire(*_hubspot(), merged)
    _assert_hash_follows_the_wire(*_hubspot(sink_on_merge="archive"), merged)


# ---------------------------------------------------------------- Kingdee


def _kingdee_settings(url: str, **extra: Any) -> KingdeeSettings:
    return KingdeeSettings(
        base_url=url + "/K3Cloud/", acct_id="CHUB01", username="api", password="kd-secret", **extra
    )


def _kingdee(
    existing: dict[str, Any] | None = None, **extra: Any
) -> tuple[Callable[[], Any], Push]:
    def settings(url: str) -> KingdeeSettings:
        return _kingdee_settings(url, **extra)

    def push(record: OutboundRecord) -> list[Any]:
        customers = [{"FCUSTID": 100001, "FNumber": "C1", "FName": "x"}]
        if existing:
            customers.append(existing)
        with FakeKingdee({"customers": customers}) as server:
            sink = kingdee_sink(settings(server.url), sleep=lambda s: None)
            sink.push([record])
            sink.close()
            return [r for r in _requests(server) if "AuthService" not in r[1]]

    return lambda: kingdee_sink(settings("http://127.0.0.1:1"), sleep=lambda s: None), push


def test_kingdee_member_write_back_hashes_only_the_golden_id() -> None:
    member = OutboundRecord("G0001", _base_fields(), source_keys=("100001",))
    _assert_hash_follows_the_wire(*_kingdee(), member)
    merged = OutboundRecord(
        "G0002",
        {"golden_id": "G0002", "status": "merged", "merged_into": "G0001"},
        source_keys=("100001",),
    )
    _assert_hash_follows_the_wire(*_kingdee(), merged)


def _kingdee_created() -> tuple[Callable[[], Any], Push, Callable[[str], str]]:
    """create_missing after the first push made the customer: a stand-in in which the base
    record was pushed (and so created) once; what reaches it on the *next* push is the
    wire, and the next record carries the FCUSTID the create answered (as publish keeps it
    in ``target_id``)."""
    sink_of, _ = _kingdee(create_missing=True)
    created: dict[str, str] = {}

    def push(record: OutboundRecord) -> list[Any]:
        with FakeKingdee({"customers": []}) as server:
            sink = kingdee_sink(
                _kingdee_settings(server.url, create_missing=True), sleep=lambda s: None
            )
            first = OutboundRecord(record.golden_id, _base_fields())
            (made,) = sink.push([first])
            assert made.ok and made.created and made.target_id, made
            created[record.golden_id] = made.target_id
            server.requests.clear()
            (again,) = sink.push([replace(record, target_id=made.target_id)])
            assert again.ok, again
            assert server.creations == {f"CHUB-{record.golden_id}": 1}  # never a second one
            sink.close()
            return [r for r in _requests(server) if "AuthService" not in r[1]]

    def target_of(golden_id: str) -> str:
        return created[golden_id]

    return sink_of, push, target_of


def test_kingdee_create_missing_hashes_the_customer_it_creates() -> None:
    """Before the customer exists: the create carries name, phone, address and credit code,
    so each of them (and nothing else) changes the hash."""
    own = OutboundRecord("G0001", _base_fields())
    _assert_hash_follows_the_wire(*_kingdee(create_missing=True), own)


def test_kingdee_create_missing_after_creation_hashes_only_the_golden_id() -> None:
    """After the first push made the customer, a push looks it up by number and writes the
    golden id only if it differs: a new name or mobile reaches nothing, so it must not
    change the hash either (it did: the create model was hashed on every push)."""
    sink_of, push, target_of = _kingdee_created()
    push(OutboundRecord("G0001", _base_fields()))  # learn the FCUSTID the stand-in gives
    own = OutboundRecord("G0001", _base_fields(), target_id=target_of("G0001"))
    _assert_hash_follows_the_wire(sink_of, push, own)
    merged = OutboundRecord(
        "G0001",
        {"golden_id": "G0001", "status": "merged", "merged_into": "G0009"},
        target_id=target_of("G0001"),
    )
    _assert_hash_follows_the_wire(sink_of, push, merged)


# ---------------------------------------------------------------- WeCom


def _wecom() -> tuple[Callable[[], Any], Push]:
    def push(record: OutboundRecord) -> list[Any]:
        rows = [
            {
                "external_contact": {"external_userid": ext, "name": "张伟", "type": 1},
                "follow_info": {"userid": user, "createtime": 1_700_000_000 + i},
            }
            for i, (ext, user) in enumerate(
                [("wmA", "zhangsan"), ("wmA", "lisi"), ("wmB", "zhangsan"), ("wmB", "lisi")]
            )
        ]
        with FakeWeCom(rows, [], follow_users=["zhangsan", "lisi"]) as server:
            sink = wecom_sink(WeComSettings(**server.settings()), sleep=lambda s: None)
            sink.push([record])
            sink.close()
            return [r for r in _requests(server) if not r[1].endswith("/gettoken")]

    def sink_of() -> Any:
        with FakeWeCom([], []) as server:
            return wecom_sink(WeComSettings(**server.settings()), sleep=lambda s: None)

    return sink_of, push


def test_wecom_hash_follows_what_reaches_the_contact() -> None:
    _assert_hash_follows_the_wire(*_wecom(), OutboundRecord("G0001", _base_fields()))


# ---------------------------------------------------------------- Tryton (JSON-RPC)


def _tryton() -> tuple[Callable[[], Any], Push]:
    """A JSON-RPC double of one party with no identifier yet; the calls it saw are the wire."""

    def settings() -> TrytonSettings:
        return TrytonSettings(
            url="http://tryton.test/", database="chub", username="u", password="p"
        )

    def push(record: OutboundRecord) -> list[Any]:
        seen: list[Any] = []

        def handler(request: httpx.Request) -> httpx.Response:
            body = json.loads(request.content)
            method = body["method"]
            # the session calls are the same for every record; the JSON-RPC id only counts
            seen.append(method if method.startswith("common.") else {**body, "id": None})
            result: Any = None
            if method == "common.db.login":
                result = [1, "session"]
            elif method == "model.res.user.get_preferences":
                result = {}
            elif method == "model.party.party.search_read":
                result = [{"id": 7, "identifiers.": []}]
            elif method == "model.party.identifier.create":
                result = [70]
            return httpx.Response(200, json={"id": body["id"], "result": result, "error": None})

        sink = tryton_sink(settings(), transport=httpx.MockTransport(handler), sleep=lambda s: None)
        sink.push([record])
        return seen

    return lambda: tryton_sink(settings()), push


def test_tryton_hash_covers_only_the_identifier_it_writes() -> None:
    party = OutboundRecord("G0001", _base_fields(), source_keys=("7",))
    _assert_hash_follows_the_wire(*_tryton(), party)


# ---------------------------------------------------------------- SQL for BI


def _bi_fields() -> dict[str, Any]:
    """The offered fields with crosswalk refs as the golden build writes them
    (``stream:key`` per source) and every fact the BI tables have, plus facts they do not
    keep (the RFM scores, the unconverted currencies)."""
    fields = _base_fields()
    fields["source_ids"] = {"kingdee": ["customers:100001"], "wecom": ["contacts:wmA"]}
    facts = {
        **fields["facts"],
        "avg_interval_days": 60.0,
        "usual_interval_days": 59.5,
        "days_since_last_order": 30.0,
        "churn_reason": "2 complaints in 30 days",
        "last_touch": {"call": "2026-06-01T09:00:00+08:00"},
        "wecom_follow": [{"userid": "zhangsan", "since": "2025-03-01T09:00:00+08:00"}],
        "rfm": {"r": 3, "f": 2, "m": None},
        "unconverted_currencies": ["EUR"],
    }
    assert set(FACT_COLUMNS) <= set(facts)
    fields["facts"] = facts
    return fields


def _bi_variants(fields: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each field changed or cleared; the crosswalk gaining a member, a source or losing
    one; each fact changed or cleared inside ``facts``."""
    for name, variant in _variants(fields):
        if name != "source_ids":  # _changed's {"extra": 1} is no crosswalk a build makes
            yield name, variant
    ids = fields["source_ids"]
    for name, changed in (
        ("source_ids+member", {**ids, "kingdee": [*ids["kingdee"], "customers:100002"]}),
        ("source_ids+source", {**ids, "hubspot": ["contacts:501"]}),
        ("source_ids-source", {"kingdee": ids["kingdee"]}),
        ("source_ids=None", None),
    ):
        yield name, {**fields, "source_ids": changed}
    facts = fields["facts"]
    for key, value in facts.items():
        yield f"facts.{key}", {**fields, "facts": {**facts, key: _changed(key, value)}}
        if value not in (None, "", [], {}):
            yield f"facts.{key}=None", {**fields, "facts": {**facts, key: None}}


def _bi(
    url: str, before: Sequence[OutboundRecord] = (), **extra: Any
) -> tuple[Callable[[], SqlSink], Push, Callable[[], None]]:
    """Each push starts from tables holding only ``before`` (pushed first); what the push
    leaves in the three tables, every row and column, is what reached the database."""
    sink = sql_sink(SqlSettings(url=url, table_prefix="wire_", **extra))

    def rows() -> list[Any]:
        t = sink.tables
        with sink.engine.connect() as conn:
            return [
                sorted(
                    (dict(r._mapping) for r in conn.execute(select(table))),
                    key=lambda r: json.dumps(r, sort_keys=True, default=str),
                )
                for table in (t.customers, t.crosswalk, t.facts)
            ]

    def push(record: OutboundRecord) -> list[Any]:
        t = sink.tables
        t.metadata.create_all(sink.engine, checkfirst=True)
        with sink.engine.begin() as conn:
            for table in (t.customers, t.crosswalk, t.facts):
                conn.execute(delete(table))
        if before:
            assert all(r.ok for r in sink.push(list(before)))
        (result,) = sink.push([record])
        assert result.ok, result
        return [rows()]

    return lambda: sink, push, sink.close


def test_sql_bi_hash_follows_the_rows_written(hub_url: str) -> None:
    """Every offered field and fact, changed or cleared, on SQLite and on PostgreSQL
    (CHUB_TEST_DATABASE_URL): the hash changes exactly when the BI rows do."""
    base = OutboundRecord("G0001", _bi_fields())
    sink_of, push, close = _bi(hub_url)
    try:
        _assert_hash_follows_the_wire(sink_of, push, base, _bi_variants(base.fields))
        # and a cleared value is cleared in the table, not kept
        (tables,) = push(OutboundRecord("G0001", {**base.fields, "email": None}))
        customers, _, facts = tables
        assert customers[0]["email"] is None and customers[0]["mobile"] == "13800138000"
        assert facts[0]["orders"] == 3
    finally:
        close()


def test_sql_bi_merged_record_flagged_or_deleted(hub_url: str) -> None:
    """A merge: the retired id's row flagged (merged_into) and its crosswalk and facts gone,
    or its rows deleted; both from tables that held it (and its survivor) as active."""
    old = OutboundRecord("G0002", {**_bi_fields(), "golden_id": "G0002"})
    survivor = OutboundRecord("G0001", {**_bi_fields(), "source_ids": {"kingdee": ["x:1"]}})
    merged = OutboundRecord(
        "G0002", {"golden_id": "G0002", "status": "merged", "merged_into": "G0001"}
    )
    for on_merge in ("flag", "delete"):
        sink_of, push, close = _bi(hub_url, [survivor, old], on_merge=on_merge)
        try:
            _assert_hash_follows_the_wire(sink_of, push, merged)
            (tables,) = push(merged)
            customers, crosswalk, facts = tables
            assert {r["golden_id"] for r in crosswalk} == {"G0001"}
            assert {r["golden_id"] for r in facts} == {"G0001"}
            kept = {r["golden_id"]: (r["status"], r["merged_into"]) for r in customers}
            if on_merge == "flag":
                assert kept == {"G0001": ("active", None), "G0002": ("merged", "G0001")}
            else:
                assert kept == {"G0001": ("active", None)}
        finally:
            close()
