"""Tryton connector against a REAL trytond on loopback (slow: one server per session)."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
import pytest
from tryton_server import TrytonServer, tryton_server  # noqa: F401  (session fixture)

from connectors.contract import AuthError, OutboundRecord, RawRecord
from connectors.tryton import Settings, TrytonSink, TrytonSource, build_sink, build_source

pytestmark = pytest.mark.slow


def _settings(server: TrytonServer, **extra: Any) -> Settings:
    return Settings(
        url=server.url,
        database=server.database,
        username=server.login,
        password=server.password,
        timeout=20,
        **extra,
    )


def _drain(
    source: TrytonSource, stream: str, cursor: str | None
) -> tuple[list[RawRecord], str | None]:
    records: list[RawRecord] = []
    for page in source.pull(stream, cursor):
        records.extend(page.records)
        cursor = page.cursor
    return records, cursor


def _parties(server: TrytonServer, tag: str, n: int) -> list[int]:
    """n parties made in ONE create call: they share one last_modified_at."""
    values = [
        {
            "name": f"{tag}客户{i}",
            "contact_mechanisms": [
                [
                    "create",
                    [
                        {"type": "mobile", "value": f"+86 138 0013 {i:04d}"},
                        {"type": "phone", "value": f"+86 10 6552 {i:04d}"},
                        {"type": "email", "value": f"{tag.lower()}{i}@example.cn"},
                    ],
                ]
            ],
            "addresses": [
                ["create", [{"street_unstructured": f"中关村大街{i}号", "city": "北京"}]]
            ],
            "identifiers": [["create", [{"code": "91110108MA01ABCD1E"}]]],
        }
        for i in range(n)
    ]
    return list(server.call("party.party", "create", values))


def test_parties_full_then_incremental_with_children(tryton_server: TrytonServer) -> None:  # noqa: F811
    server = tryton_server
    tag = f"T{uuid.uuid4().hex[:6]}"
    ids = _parties(server, tag, 5)
    source = build_source(_settings(server, page_size=2, customer_type="company"))
    records, cursor = _drain(source, "parties", None)
    keys = [r.key for r in records]
    assert len(keys) == len(set(keys))  # keyset over one shared timestamp: no duplicates
    assert {str(i) for i in ids} <= set(keys)
    mapped = source.map_record(
        "parties", next(r for r in records if r.key == str(ids[1])).payload or {}
    )
    assert mapped.customer == {
        "name": f"{tag}客户1",
        "customer_type": "company",
        "company_name": f"{tag}客户1",
        "mobile": "+86 138 0013 0001",
        "phones": ["+86 10 6552 0001"],
        "email": f"{tag.lower()}1@example.cn",
        "address": "中关村大街1号",
        "city": "北京",
        "uscc": "91110108MA01ABCD1E",
        "source_updated_at": mapped.customer["source_updated_at"],  # type: ignore[index]
    }

    again, cursor = _drain(source, "parties", cursor)
    assert again == []  # the overlap re-read is deduped on (id, last_modified_at)

    # a rename, a contact-only change (does not touch the party) and an archive
    server.call("party.party", "write", [ids[0]], {"name": f"{tag}改名"})
    [mech] = server.call(
        "party.contact_mechanism",
        "search",
        [["party", "=", ids[2]], ["type", "=", "mobile"]],
        0,
        None,
        None,
    )
    server.call("party.contact_mechanism", "write", [mech], {"value": "+86 139 0000 0002"})
    server.call("party.party", "write", [ids[3]], {"active": False})
    changed, cursor = _drain(source, "parties", cursor)
    by_key = {r.key: r for r in changed}
    assert set(by_key) == {str(ids[0]), str(ids[2]), str(ids[3])}
    assert by_key[str(ids[3])].deleted
    party2 = source.map_record("parties", by_key[str(ids[2])].payload or {}).customer or {}
    assert party2.get("mobile") == "+86 139 0000 0002"
    assert _drain(source, "parties", cursor)[0] == []
    source.close()


def _product(server: TrytonServer) -> tuple[int, int]:
    [unit] = server.call("product.uom", "search", [["name", "=", "Unit"]], 0, 1, None)
    dec = {"__class__": "Decimal", "decimal": "10"}
    [template] = server.call(
        "product.template",
        "create",
        [
            {
                "name": "Widget",
                "type": "goods",
                "default_uom": unit,
                "list_price": dec,
                "salable": True,
                "sale_uom": unit,
                "products": [["create", [{}]]],
            }
        ],
    )
    [product] = server.call("product.product", "search", [["template", "=", template]], 0, 1, None)
    return product, unit


def test_sales_incremental_and_cancel(tryton_server: TrytonServer) -> None:  # noqa: F811
    server = tryton_server
    [party] = _parties(server, f"S{uuid.uuid4().hex[:6]}", 1)
    [address] = server.call("party.address", "search", [["party", "=", party]], 0, 1, None)
    product, unit = _product(server)
    source = build_source(_settings(server, page_size=2))
    _, cursor = _drain(source, "sales", None)

    def sale(ref: str, qty: int) -> int:
        [sale_id] = server.call(
            "sale.sale",
            "create",
            [
                {
                    "party": party,
                    "company": server.company,
                    "currency": server.currency,
                    "invoice_address": address,
                    "shipment_address": address,
                    "reference": ref,
                    "sale_date": {"__class__": "date", "year": 2026, "month": 3, "day": 1},
                    "lines": [
                        [
                            "create",
                            [
                                {
                                    "type": "line",
                                    "product": product,
                                    "quantity": qty,
                                    "unit": unit,
                                    "unit_price": {"__class__": "Decimal", "decimal": "10"},
                                }
                            ],
                        ]
                    ],
                }
            ],
        )
        return int(sale_id)

    first, second, third = sale("EXT-1", 3), sale("EXT-2", 1), sale("EXT-3", 2)
    records, cursor = _drain(source, "sales", cursor)
    assert [r.key for r in records] == [str(first), str(second), str(third)]
    activity = source.map_record("sales", records[0].payload or {}).activity
    assert activity is not None
    assert (activity.kind, activity.customer_key, activity.customer_stream) == (
        "order",
        str(party),
        "parties",
    )
    assert activity.amount == pytest.approx(30.0) and activity.currency == "CNY"
    assert activity.at == "2026-03-01T00:00:00+08:00"

    server.call("sale.sale", "quote", [first])
    server.call("sale.sale", "cancel", [second])
    changed, cursor = _drain(source, "sales", cursor)
    by_key = {r.key: r for r in changed}
    assert set(by_key) == {str(first), str(second)}
    assert (by_key[str(first)].payload or {})["state"] == "quotation"
    assert by_key[str(second)].deleted

    # a line edited on its own does not stamp the sale: the child watermark catches it
    [line] = server.call("sale.line", "search", [["sale", "=", third]], 0, 1, None)
    server.call("sale.line", "write", [line], {"quantity": 5})
    changed, cursor = _drain(source, "sales", cursor)
    assert [r.key for r in changed] == [str(third)]
    activity = source.map_record("sales", changed[0].payload or {}).activity
    assert activity is not None and activity.amount == pytest.approx(50.0)
    assert _drain(source, "sales", cursor)[0] == []
    source.close()


def test_resume_from_a_page_cursor_over_one_shared_timestamp(
    tryton_server: TrytonServer,  # noqa: F811
) -> None:
    server = tryton_server
    ids = _parties(server, f"R{uuid.uuid4().hex[:6]}", 7)  # one transaction, one timestamp
    source = build_source(_settings(server, page_size=3))
    _, cursor = _drain(source, "parties", None)
    server.call("party.party", "write", ids, {"lang": None})  # 7 rows, again one stamp
    pages = source.pull("parties", cursor)
    first = next(pages)
    pages.close()  # "crash" after the first page was stored
    rest, _ = _drain(source, "parties", first.cursor)
    got = [r.key for r in first.records] + [r.key for r in rest]
    assert sorted(got, key=int) == [str(i) for i in ids] and len(got) == len(set(got))
    source.close()


class _LoseFirstCreate(httpx.HTTPTransport):
    """Forwards to the real server but loses the answer of the first identifier create."""

    lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if b"party.identifier.create" in request.content and not self.lost:
            self.lost += 1
            response.read()
            raise httpx.ReadTimeout("answer lost", request=request)
        return response


def test_write_back_is_idempotent_even_after_a_lost_answer(tryton_server: TrytonServer) -> None:  # noqa: F811
    server = tryton_server
    a, b = _parties(server, f"W{uuid.uuid4().hex[:6]}", 2)
    transport = _LoseFirstCreate()
    sink: TrytonSink = build_sink(_settings(server), transport=transport, sleep=lambda s: None)
    record = OutboundRecord("G-42", {"name": "x"}, source_keys=(str(a), str(b)))
    assert sink.push([record])[0].ok and transport.lost == 1
    assert sink.push([record])[0].ok  # a replay changes nothing

    def ours(party: int) -> list[str]:
        rows = server.call(
            "party.identifier", "search_read", [["party", "=", party]], 0, None, None, ["code"]
        )
        return [r["code"] for r in rows if r["code"].startswith("chub:")]

    assert ours(a) == ["chub:G-42"] and ours(b) == ["chub:G-42"]
    # the golden id changes (a merge): rewritten in place, still one identifier
    assert sink.push([OutboundRecord("G-7", {}, source_keys=(str(a),))])[0].ok
    assert ours(a) == ["chub:G-7"]
    [missing] = sink.push([OutboundRecord("G-8", {}, source_keys=("999999",))])
    assert not missing.ok and "999999" in (missing.error or "")
    # our marker is kept out of the pulled payload, so write-back does not churn the hub
    source = build_source(_settings(server))
    records, _ = _drain(source, "parties", None)
    payload = next(r for r in records if r.key == str(a)).payload or {}
    assert all(not i["code"].startswith("chub:") for i in payload["identifiers."])
    source.close()
    sink.close()


def test_refused_login_and_relogin_after_a_dead_session(tryton_server: TrytonServer) -> None:  # noqa: F811
    server = tryton_server
    # a fresh login name each time: Tryton slows down repeated failures for one name
    bad = build_source(
        _settings(server).model_copy(update={"username": f"nobody{uuid.uuid4().hex[:6]}"})
    )
    with pytest.raises(AuthError):
        next(bad.pull("parties", None))
    source = build_source(_settings(server))
    _drain(source, "sales", None)
    source.client._auth = "Session " + base64.b64encode(b"admin:1:dead").decode()
    _drain(source, "sales", None)
    assert source.client.logins == 2
    source.close()
