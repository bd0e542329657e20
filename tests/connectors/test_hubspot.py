"""HubSpot connector: wire envelope (MockTransport) and the fake on loopback."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from connectors.contract import AuthError, RemoteError, Source, ThrottledError, TransientError
from connectors.fakes.hubspot import FakeHubSpot, iso_ms, records_from_demo, split_name
from connectors.hubspot import HubSpotSource, Settings
from connectors.hubspot.mapping import map_contact

BASE_MS = 1_790_000_000_000


def contact(cid: int, ms: int, **props: str | None) -> dict[str, Any]:
    properties = {"firstname": f"F{cid}", "lastname": "L", "email": f"c{cid}@example.cn",
                  "createdate": iso_ms(BASE_MS), "lastmodifieddate": iso_ms(ms), **props}
    return {"id": str(cid), "properties": properties, "createdAt": iso_ms(BASE_MS),
            "updatedAt": iso_ms(ms), "archived": False}


def pull_all(source: Source, cursor: str | None = None) -> tuple[list[Any], str | None]:
    records: list[Any] = []
    last = cursor
    for page in source.pull("contacts", cursor):
        records.extend(page.records)
        last = page.cursor
    return records, last


def make_source(fake: FakeHubSpot, waits: list[float] | None = None, **extra: Any) -> HubSpotSource:
    settings = Settings(**{**fake.settings(), "page_size": 3, "search_limit": 4,
                           "timeout": 0.3, **extra})
    return HubSpotSource(settings, sleep=waits.append if waits is not None else (lambda s: None))


@pytest.fixture
def fake():
    seed = {"contacts": [contact(100 + n, BASE_MS + n * 1000) for n in range(1, 8)]}
    with FakeHubSpot(seed) as server:
        server.timeout_hold = 0.6
        yield server


# ---------------------------------------------------------------- MockTransport


def _mock(handler, waits: list[float]) -> HubSpotSource:
    return HubSpotSource(Settings(token="SECRET", page_size=2), sleep=waits.append,
                         transport=httpx.MockTransport(handler))


def test_list_envelope_follows_paging_next_after() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.params.get("after") is None:
            return httpx.Response(200, json={"results": [contact(1, BASE_MS)],
                                             "paging": {"next": {"after": "2", "link": "x"}}})
        return httpx.Response(200, json={"results": [contact(2, BASE_MS + 5)]})

    pages = list(_mock(handler, []).pull("contacts", None))
    assert seen[0].headers["Authorization"] == "Bearer SECRET"
    assert seen[0].url.path == "/crm/v3/objects/contacts"
    assert seen[0].url.params["limit"] == "2"
    assert "lastmodifieddate" in seen[0].url.params["properties"].split(",")
    assert seen[1].url.params["after"] == "2"
    assert json.loads(pages[0].cursor)["list_after"] == "2"
    final = json.loads(pages[-1].cursor)
    assert final["floor_ms"] == BASE_MS + 5 and final["seen_ids_at_floor"] == ["2"]


@pytest.mark.parametrize(("policy", "wait"), [("TEN_SECONDLY_ROLLING", 10.0), ("SECONDLY", 1.0)])
def test_429_policy_name_sets_the_wait(policy: str, wait: float) -> None:
    answers = iter([
        httpx.Response(429, json={"status": "error", "message": "limit", "policyName": policy}),
        httpx.Response(200, json={"results": []}),
    ])
    waits: list[float] = []
    list(_mock(lambda r: next(answers), waits).pull("contacts", None))
    assert waits == [wait]


def test_daily_limit_gives_up_at_once() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(429, json={"status": "error", "policyName": "DAILY"})

    with pytest.raises(ThrottledError, match="daily"):
        list(_mock(handler, []).pull("contacts", None))
    assert len(calls) == 1


def test_error_body_becomes_remote_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"status": "error", "message": "Property x is bad",
                                         "category": "VALIDATION_ERROR"})

    with pytest.raises(RemoteError, match="Property x is bad") as info:
        list(_mock(handler, []).pull("contacts", None))
    assert info.value.code == "VALIDATION_ERROR"


def test_mapping_names_and_phones() -> None:
    cn = map_contact({"id": "1", "properties": {"firstname": "伟", "lastname": "张",
                                                "phone": "+86 138-0013-8000", "state": "北京市",
                                                "lastmodifieddate": "2026-01-01T00:00:00Z"}})
    assert cn.customer == {"customer_type": "person", "name": "张伟", "mobile": "+86 138-0013-8000",
                           "province": "北京市", "source_updated_at": "2026-01-01T00:00:00Z"}
    latin = map_contact({"id": "2", "properties": {"firstname": "Anna", "lastname": "Smith",
                                                   "mobilephone": "13800138000",
                                                   "phone": "010-6552 1234", "company": "ACME"}})
    assert latin.customer["name"] == "Anna Smith"
    assert latin.customer["mobile"] == "13800138000" and latin.customer["phones"] == ["010-6552 1234"]
    assert latin.customer["company_name"] == "ACME"
    with pytest.raises(ValueError):
        map_contact({"id": "3"})


def test_demo_seed() -> None:
    assert split_name("欧阳娜娜") == ("娜娜", "欧阳")
    assert split_name("张伟") == ("伟", "张")
    assert split_name("Anna Smith") == ("Anna", "Smith")
    seed = records_from_demo([{"name": "张伟", "mobile": "138 0013 8000", "email": "z@x.cn",
                               "updated_at": "2026-10-01T10:00:00+08:00"}])
    props = seed["contacts"][0]["properties"]
    assert props["lastname"] == "张" and props["mobilephone"] == "138 0013 8000"
    assert props["lastmodifieddate"] == "2026-10-01T02:00:00.000Z"


# ---------------------------------------------------------------- loopback


def test_full_then_incremental(fake: FakeHubSpot) -> None:
    source = make_source(fake)
    records, cursor = pull_all(source)
    assert sorted(r.key for r in records) == [str(100 + n) for n in range(1, 8)]
    state = json.loads(cursor)
    assert state["floor_ms"] == BASE_MS + 7000 and state["seen_ids_at_floor"] == ["107"]
    again, cursor2 = pull_all(source, cursor)
    assert again == []  # the boundary contact comes back from GTE and is skipped
    fake.upsert_contact("103", email="new@example.cn")
    fake.upsert_contact("200", firstname="新", lastname="王")
    changed, _ = pull_all(source, cursor2)
    assert sorted(r.key for r in changed) == ["103", "200"]
    assert source.map_record("contacts", changed[-1].payload).customer["name"] == "王新"
    search = [r for r in fake.requests if r.path.endswith("/search")]
    body = search[-1].json()
    assert body["filterGroups"][0]["filters"][0] == {
        "propertyName": "lastmodifieddate", "operator": "GTE", "value": str(BASE_MS + 7000)}
    assert body["sorts"] == [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]


def _crowd(n: int, tie: int) -> list[dict[str, Any]]:
    """n contacts, ``tie`` of them sharing each lastmodifieddate (bulk imports do that)."""
    return [contact(1000 + i, BASE_MS + (i // tie) * 10) for i in range(n)]


@pytest.mark.parametrize("tie", [1, 3])
def test_search_cap_moves_the_window(tie: int) -> None:
    with FakeHubSpot({"contacts": _crowd(130, tie)}, search_cap=50) as server:
        source = make_source(server, search_limit=20, search_cap=50)
        records, cursor = pull_all(source, json.dumps({"floor_ms": 0}))
        floors = {r.json()["filterGroups"][0]["filters"][0]["value"]
                  for r in server.requests if r.path.endswith("/search")}
    keys = [r.key for r in records]
    assert len(keys) == len(set(keys)) == 130
    assert len(floors) >= 3  # the window moved at least twice
    assert json.loads(cursor)["floor_ms"] == BASE_MS + (129 // tie) * 10


def test_search_cap_400_also_moves_the_window() -> None:
    # our cap setting is larger than the server's: the 400 itself must trigger the move
    with FakeHubSpot({"contacts": _crowd(90, 2)}, search_cap=50) as server:
        source = make_source(server, search_limit=20)
        records, _ = pull_all(source, json.dumps({"floor_ms": 0}))
        statuses = [r for r in server.requests if r.path.endswith("/search")]
    assert len({r.key for r in records}) == len(records) == 90
    assert len(statuses) > 5


def test_too_many_ties_stop_with_a_clear_error() -> None:
    with FakeHubSpot({"contacts": _crowd(60, 60)}, search_cap=20) as server:
        source = make_source(server, search_limit=10, search_cap=20)
        with pytest.raises(TransientError, match="share lastmodifieddate"):
            pull_all(source, json.dumps({"floor_ms": 0}))


@pytest.mark.parametrize("kind", ["http_500", "timeout", "malformed_json", "throttle"])
def test_transient_faults_are_retried(fake: FakeHubSpot, kind: str) -> None:
    clean, clean_cursor = pull_all(make_source(fake), json.dumps({"floor_ms": 0}))
    waits: list[float] = []
    fake.inject(kind, path="/search")
    records, cursor = pull_all(make_source(fake, waits), json.dumps({"floor_ms": 0}))
    assert [r.key for r in records] == [r.key for r in clean] and cursor == clean_cursor
    assert len(waits) == 1
    if kind == "throttle":
        assert waits == [1.0]  # search throttles per second


def test_list_throttle_waits_ten_seconds(fake: FakeHubSpot) -> None:
    waits: list[float] = []
    fake.inject("throttle", path="/crm/v3/objects/contacts")
    records, _ = pull_all(make_source(fake, waits))
    assert len(records) == 7 and waits == [10.0]


def test_token_expired_is_an_auth_error(fake: FakeHubSpot) -> None:
    fake.inject("token_expired")
    with pytest.raises(AuthError):
        pull_all(make_source(fake))


@pytest.mark.parametrize("path", ["/crm/v3/objects/contacts", "/search"])
def test_duplicate_page_lands_no_new_keys(fake: FakeHubSpot, path: str) -> None:
    cursor = None if path.endswith("contacts") else json.dumps({"floor_ms": 0})
    clean, clean_cursor = pull_all(make_source(fake), cursor)
    pages = make_source(fake).pull("contacts", cursor)
    first = next(pages)
    fake.inject("duplicate_page", path=path)
    rest = list(pages)
    keys = [r.key for r in first.records] + [r.key for p in rest for r in p.records]
    assert set(keys) == {r.key for r in clean}
    assert rest[-1].cursor == clean_cursor
