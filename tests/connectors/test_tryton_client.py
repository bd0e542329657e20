"""Tryton JSON-RPC client and mapping against httpx.MockTransport (fast, no server)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from connectors.contract import AuthError, ConnectorConfigError, RemoteError
from connectors.tryton.client import TrytonClient, from_wire, to_wire
from connectors.tryton.mapping import map_party, map_sale


def _client(
    answer: Callable[[str, dict[str, Any]], httpx.Response],
) -> tuple[TrytonClient, list[str]]:
    calls: list[str] = []

    def respond(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/erp/rpc/"
        body = json.loads(request.content)
        assert set(body) == {"id", "method", "params"}
        calls.append(body["method"])
        if body["method"] == "common.db.login":
            return httpx.Response(200, json={"id": body["id"], "result": [1, "tok", None]})
        if body["method"] == "model.res.user.get_preferences":
            return httpx.Response(200, json={"id": body["id"], "result": {"company": 1}})
        return answer(body["method"], body)

    client = TrytonClient(
        "http://erp.test:8000",
        "erp",
        username="admin",
        password="pw",
        transport=httpx.MockTransport(respond),
        sleep=lambda s: None,
    )
    return client, calls


def test_typed_values_round_trip() -> None:
    wire = to_wire([datetime(2026, 11, 24, 5, 43, 41, 513691), date(2026, 3, 1), Decimal("10.00")])
    assert wire[0]["__class__"] == "datetime" and wire[2] == {
        "__class__": "Decimal",
        "decimal": "10.00",
    }
    assert from_wire(wire) == ["2026-11-24T05:43:41.513691", "2026-03-01", "10.00"]


def test_context_is_sent_and_error_envelope_becomes_remote_error() -> None:
    seen: list[Any] = []

    def answer(method: str, body: dict[str, Any]) -> httpx.Response:
        seen.append(body["params"][-1])
        error = ["UserError", ["The phone number 13800138000 is not valid.", "", None]]
        return httpx.Response(200, json={"id": body["id"], "error": error})

    client, _ = _client(answer)
    with pytest.raises(RemoteError, match=r"UserError: The phone number 138\*\*\*\*8000"):
        client.call("party.party", "write", [1], {"name": "x"}, context={"active_test": False})
    assert seen == [{"company": 1, "active_test": False}]


def test_refused_session_logs_in_again_once() -> None:
    answers = iter([httpx.Response(401), httpx.Response(200, json={"id": 9, "result": [7]})])
    client, calls = _client(lambda m, b: next(answers))
    assert client.call("party.party", "search", [], 0, None, None) == [7]
    assert calls.count("common.db.login") == 2

    client, _ = _client(lambda m, b: httpx.Response(401))
    with pytest.raises(AuthError):
        client.call("party.party", "search", [], 0, None, None)


def test_unknown_database_is_a_config_error() -> None:
    client, _ = _client(lambda m, b: httpx.Response(404, text="<html>Not Found</html>"))
    with pytest.raises(ConnectorConfigError, match="erp"):
        client.call("party.party", "search", [], 0, None, None)


def test_map_party_uses_truthiness_of_sqlite_booleans() -> None:
    payload = {
        "id": 5,
        "name": "北京星辰科技有限公司",
        "active": 1,
        "last_modified_at": "2026-11-24T05:43:41.513691",
        "contact_mechanisms.": [
            {"type": "mobile", "value": "+86 138 0013 8000", "active": 0},
            {"type": "mobile", "value": "+86 139 0000 0000", "active": 1},
            {"type": "email", "value": "a@b.cn", "active": True},
        ],
        "addresses.": [
            {
                "street": "中关村大街1号",
                "city": "北京",
                "active": 1,
                "subdivision.": {"name": "北京市"},
            }
        ],
        "identifiers.": [{"type": None, "code": "not-a-uscc"}],
        "categories.": [{"name": "VIP"}],
    }
    assert map_party(payload) == {
        "name": "北京星辰科技有限公司",
        "mobile": "+86 139 0000 0000",
        "email": "a@b.cn",
        "address": "中关村大街1号",
        "city": "北京",
        "province": "北京市",
        "tags": ["VIP"],
        "source_updated_at": "2026-11-24T05:43:41.513691+00:00",
    }
    with pytest.raises(ValueError):
        map_party({"id": 1, "name": ""})


def test_map_sale_falls_back_to_create_date() -> None:
    activity = map_sale(
        {"id": 3, "party": 5, "total_amount": "30.00", "create_date": "2026-11-24T05:00:00"}
    )
    assert activity.at == "2026-11-24T05:00:00+00:00" and activity.amount == 30.0
    with pytest.raises(ValueError, match="party"):
        map_sale({"id": 4, "party": None})
