"""HubSpot connector: wire envelope (MockTransport) and the fake on loopback."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from connectors.contract import AuthError, RemoteError, Source, ThrottledError
from connectors.fakes.hubspot import FakeHubSpot, iso_ms, records_from_demo, split_name
from connectors.hubspot import HubSpotSource, Settings
from connectors.hubspot.mapping import map_contact

BASE_MS = 1_790_000_000_000


def contact(cid: int, ms: int, **props: str | None) -> dict[str, Any]:
    properties = {
        "firstname": f"F{cid}",
        "lastname": "L",
        "email": f"c{cid}@example.cn",
        "createdate": iso_ms(BASE_MS),
        "lastmodifieddate": iso_ms(ms),
        **props,
    }
    return {
        "id": str(cid),
        "properties": properties,
        "createdAt": iso_ms(BASE_MS),
        "updatedAt": iso_ms(ms),
        "archived": False,
    }


def pull_all(source: Source, cursor: str | None = None) -> tuple[list[Any], str | None]:
    records: list[Any] = []
    last = cursor
    for page in source.pull("contacts", cursor):
        records.extend(page.records)
        last = page.cursor
    return records, last


def make_source(fake: FakeHubSpot, waits: list[float] | None = None, **extra: Any) -> HubSpotSource:
    settings = Settings(
        **{**fake.settings(), "page_size": 3, "search_limit": 4, "timeout": 0.3, **extra}
    )
    return HubSpotSource(settings, sleep=waits.append if waits is not None else (lambda s: None))


@pytest.fixture
def fake():
    seed = {"contacts": [contact(100 + n, BASE_MS + n * 1000) for n in range(1, 8)]}
    with FakeHubSpot(seed) as server:
        server.timeout_hold = 0.6
        yield server


# ---------------------------------------------------------------- MockTransport


def _mock(handler, waits: list[float]) -> HubSpotSource:
    return HubSpotSource(
        Settings(token="SECRET", page_size=2),
        sleep=waits.append,
        transport=httpx.MockTransport(handler),
    )


def test_list_envelope_follows_paging_next_after() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.params.get("after") is None:
            return httpx.Response(
                200,
                json={
                    "results": [contact(1, BASE_MS)],
                    "paging": {"next": {"after": "2", "link": "x"}},
                },
            )
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
    answers = iter(
        [
            httpx.Response(429, json={"status": "error", "message": "limit", "policyName": policy}),
            httpx.Response(200, json={"results": []}),
        ]
    )
    waits: list[float] = []
    empty = httpx.Response(200, json={"results": []})
    list(_mock(lambda r: next(answers, empty), waits).pull("contacts", None))
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
        return httpx.Response(
            400,
            json={
                "status": "error",
                "message": "Property x is bad",
                "category": "VALIDATION_ERROR",
            },
        )

    with pytest.raises(RemoteError, match="Property x is bad") as info:
        list(_mock(handler, []).pull("contacts", None))
    assert info.value.code == "VALIDATION_ERROR"


def test_mapping_names_and_phones() -> None:
    cn = map_contact(
        {
            "id": "1",
            "properties": {
                "firstname": "伟",
                "lastname": "张",
                "phone": "+86 138-0013-8000",
                "state": "北京市",
                "lastmodifieddate": "2026-01-01T00:00:00Z",
            },
        }
    )
    assert cn.customer == {
        "customer_type": "person",
        "name": "张伟",
        "mobile": "+86 138-0013-8000",
        "province": "北京市",
        "source_updated_at": "2026-01-01T00:00:00Z",
    }
    latin = map_contact(
        {
            "id": "2",
            "properties": {
                "firstname": "Anna",
                "lastname": "Smith",
                "mobilephone": "13800138000",
                "phone": "010-6552 1234",
                "company": "ACME",
            },
        }
    )
    assert latin.customer["name"] == "Anna Smith"
    assert latin.customer["mobile"] == "13800138000" and latin.customer["phones"] == [
        "010-6552 1234"
    ]
    assert latin.customer["company_name"] == "ACME"
    with pytest.raises(ValueError):
        map_contact({"id": "3"})


def test_demo_seed() -> None:
    assert split_name("欧阳娜娜") == ("娜娜", "欧阳")
    assert split_name("张伟") == ("伟", "张")
    assert split_name("Anna Smith") == ("Anna", "Smith")
    seed = records_from_demo(
        [
            {
                "name": "张伟",
                "mobile": "138 0013 8000",
                "email": "z@x.cn",
                "updated_at": "2026-10-01T10:00:00+08:00",
            }
        ]
    )
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
        "propertyName": "lastmodifieddate",
        "operator": "GTE",
        "value": str(BASE_MS + 7000),
    }
    assert body["sorts"] == [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]


def _crowd(n: int, tie: int, start: int = 1000) -> list[dict[str, Any]]:
    """n contacts, ``tie`` of them sharing each lastmodifieddate (bulk imports do that)."""
    return [contact(start + i, BASE_MS + (i // tie) * 10) for i in range(n)]


def _search_bodies(server: FakeHubSpot) -> list[dict[str, Any]]:
    return [r.json() for r in server.requests if r.path.endswith("/search")]


@pytest.mark.parametrize("tie", [1, 3, 7])
def test_many_changes_never_page_into_the_search_cap(tie: int) -> None:
    with FakeHubSpot({"contacts": _crowd(130, tie)}, search_cap=50) as server:
        source = make_source(server, search_limit=20)
        records, cursor = pull_all(source, json.dumps({"floor_ms": 0}))
        bodies = _search_bodies(server)
    keys = [r.key for r in records]
    assert len(keys) == len(set(keys)) == 130
    assert all("after" not in b for b in bodies)  # every search restarts at the floor
    assert len({b["filterGroups"][0]["filters"][0]["value"] for b in bodies}) >= 6
    assert json.loads(cursor)["floor_ms"] == BASE_MS + (129 // tie) * 10


def test_bulk_import_instant_is_walked_by_id() -> None:
    # 70 contacts stamped with one instant: more than a page and more than the cap
    crowd = _crowd(10, 1) + _crowd(70, 70, start=2000) + _crowd(5, 1, start=3000)
    crowd[-5:] = [contact(3000 + i, BASE_MS + 10_000 + i) for i in range(5)]
    with FakeHubSpot({"contacts": crowd}, search_cap=50) as server:
        source = make_source(server, search_limit=20)
        records, cursor = pull_all(source, json.dumps({"floor_ms": 0}))
        bodies = _search_bodies(server)
    keys = [r.key for r in records]
    assert len(keys) == len(set(keys)) == 85
    tie_walks = [b for b in bodies if b["sorts"][0]["propertyName"] == "hs_object_id"]
    assert tie_walks and tie_walks[0]["filterGroups"][0]["filters"][1]["operator"] == "GT"
    assert json.loads(cursor)["floor_ms"] == BASE_MS + 10_004


def test_contact_edited_mid_pull_does_not_hide_another() -> None:
    # with offset paging, editing a contact already read shifts the rest one place forward
    with FakeHubSpot({"contacts": _crowd(12, 1)}) as server:
        source = make_source(server, search_limit=4)
        pages = source.pull("contacts", json.dumps({"floor_ms": 0}))
        first = next(pages)
        server.upsert_contact(first.records[0].key, email="edited@example.cn")
        rest = [r.key for p in pages for r in p.records]
    landed = {r.key for r in first.records} | set(rest)
    assert landed == {str(1000 + i) for i in range(12)}


def test_fake_refuses_paging_past_its_cap() -> None:
    with FakeHubSpot({"contacts": _crowd(80, 1)}, search_cap=50) as server:
        headers = {"Authorization": f"Bearer {server.token}"}
        url = f"{server.url}/crm/v3/objects/contacts/search"
        ok = httpx.post(url, json={"limit": 20, "after": "40"}, headers=headers)
        refused = httpx.post(url, json={"limit": 20, "after": "60"}, headers=headers)
    assert ok.status_code == 200 and len(ok.json()["results"]) == 10
    assert ok.json()["paging"]["next"]["after"] == "60"
    assert refused.status_code == 400 and refused.json()["category"] == "VALIDATION_ERROR"


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


def test_repeated_page_during_a_tie_walk_is_tolerated() -> None:
    crowd = _crowd(45, 45)
    with FakeHubSpot({"contacts": crowd}) as server:
        pages = make_source(server, search_limit=10).pull("contacts", json.dumps({"floor_ms": 0}))
        landed: list[str] = []
        injected = False
        for page in pages:
            landed.extend(r.key for r in page.records)
            if json.loads(page.cursor)["tie_after_id"] and not injected:
                server.inject("duplicate_page", path="/search")
                injected = True
    assert sorted(set(landed)) == sorted(c["id"] for c in crowd)


def test_logs_carry_no_token(fake: FakeHubSpot, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    fake.inject("throttle")
    pull_all(make_source(fake))
    assert caplog.records and fake.token not in caplog.text


# ---------------------------------------------------------------- batch upsert sink


def test_sink_upserts_by_golden_id_idempotently(fake: FakeHubSpot) -> None:
    from connectors.contract import OutboundRecord
    from connectors.hubspot import HubSpotSink

    fake.fail_ids.add("G3")
    sink = HubSpotSink(Settings(**fake.settings()), sleep=lambda s: None)
    batch = [
        OutboundRecord("G1", {"name": "欧阳娜娜", "mobile": "13800138000", "email": None}),
        OutboundRecord("G2", {"name": "Anna Smith", "phones": ["010-1"]}),
        OutboundRecord("G3", {"name": "坏"}),
    ]
    results = sink.push(batch)
    assert [(r.ok, r.created) for r in results] == [(True, True), (True, True), (False, False)]
    assert "VALIDATION_ERROR" in results[2].error and not results[2].retryable
    stored = fake.contacts[results[0].target_id]["properties"]
    assert (stored["lastname"], stored["firstname"], stored["mobilephone"]) == (
        "欧阳",
        "娜娜",
        "13800138000",
    )
    fake.inject("http_500", path="/batch/upsert")  # retried by HttpClient, still no duplicate
    again = sink.push(batch[:2])
    assert [(r.ok, r.created) for r in again] == [(True, False), (True, False)]
    assert again[0].target_id == results[0].target_id
    assert sum(1 for c in fake.contacts.values() if c["properties"].get("chub_golden_id")) == 2
    with pytest.raises(ValueError):
        sink.push([OutboundRecord(f"G{n}", {}) for n in range(101)])


def test_full_pull_lands_archived_contacts_as_deletes(fake: FakeHubSpot) -> None:
    fake.archive("102")
    fake.archive("105")
    source = make_source(fake, page_size=1)
    pages = list(source.pull("contacts", None))
    records = [r for p in pages for r in p.records]
    assert sorted(r.key for r in records if r.deleted) == ["102", "105"]
    assert len(records) == 7
    # resuming inside the archived listing reads only what is left of it
    middle = next(
        p.cursor
        for p in pages
        if json.loads(p.cursor).get("archived") and json.loads(p.cursor)["list_after"]
    )
    rest = [r.key for p in source.pull("contacts", middle) for r in p.records]
    assert rest == ["105"]
    final = json.loads(pages[-1].cursor)
    assert final["floor_ms"] == BASE_MS + 7000  # archived timestamps do not move the floor
    # a listing from the start vouches for completeness (the hub tombstones the unlisted);
    # a resumed one and a search never do
    assert pages[-1].scan_complete and not any(p.scan_complete for p in pages[:-1])
    assert not list(source.pull("contacts", middle))[-1].scan_complete
    assert not list(source.pull("contacts", pages[-1].cursor))[-1].scan_complete


def test_sink_flags_or_archives_a_merged_golden_id() -> None:
    from connectors.contract import OutboundRecord as Out
    from connectors.fakes.hubspot import FakeHubSpot
    from connectors.hubspot import HubSpotSink
    from connectors.hubspot import Settings as HubSpotSettings

    with FakeHubSpot() as server:
        flagging = HubSpotSink(HubSpotSettings(**server.settings()))
        [made] = flagging.push([Out("GB", {"name": "李娜", "email": "li@example.cn"})])
        assert made.ok and made.created
        [flagged] = flagging.push(
            [Out("GB", {"status": "merged", "merged_into": "GA"}, target_id=made.target_id)]
        )
        props = server.contacts[str(made.target_id)]["properties"]
        assert flagged.ok and props["chub_status"] == "merged" and props["chub_merged_into"] == "GA"
        archiving = HubSpotSink(HubSpotSettings(**server.settings(), sink_on_merge="archive"))
        record = Out("GB", {"status": "merged", "merged_into": "GA"}, target_id=made.target_id)
        assert archiving.wire(record) == {"archive": made.target_id}
        assert archiving.push([record])[0].ok
        assert server.contacts[str(made.target_id)]["archived"] is True
        assert archiving.push([record])[0].ok  # archiving again is no error
        flagging.close()
        archiving.close()
