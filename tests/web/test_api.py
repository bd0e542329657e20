"""Every endpoint of the golden-record API, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from integration.hub import Hub
from integration.store import session_scope
from integration.web.app import create_app
from integration.web.tokens import create_token
from tests.web.conftest import HubData, hub_on, write_config


@pytest.fixture
def client(web_hub: Hub, golden_hub: HubData) -> Iterator[TestClient]:
    with TestClient(create_app(web_hub)) as c:
        yield c


@pytest.fixture
def read(web_hub: Hub) -> dict[str, str]:
    with session_scope(web_hub.engine) as session:
        token, _ = create_token(session, "reader", ["read"])
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def pii(web_hub: Hub) -> dict[str, str]:
    with session_scope(web_hub.engine) as session:
        token, _ = create_token(session, "crm-sync", ["read", "pii"])
    return {"Authorization": f"Bearer {token}"}


def test_healthz_needs_no_token_and_says_the_schema_is_current(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "reachable", "schema_current": True}


def test_golden_record_by_id_has_fields_lineage_members_facts(
    client: TestClient, pii: dict[str, str], golden_hub: HubData
) -> None:
    r = client.get("/api/golden/G-00004", headers=pii)
    assert r.status_code == 200
    body = r.json()
    assert body["requested_id"] == body["golden_id"] == "G-00004"
    assert body["merged_into"] is None
    record = body["record"]
    assert record["fields"] == golden_hub.goldens["G-00004"]
    assert record["status"] == "active" and record["version"] == 1
    assert record["lineage"]["name"]["from"] == "erp:customers:C-10004"
    assert record["facts"]["orders"] == 0 and record["facts"]["revenue"] == 400.0
    assert {(m["source"], m["stream"], m["id"]) for m in record["members"]} == set(
        golden_hub.members["G-00004"]
    )


def test_a_retired_id_answers_with_its_survivor(
    client: TestClient, read: dict[str, str], golden_hub: HubData
) -> None:
    r = client.get(f"/api/golden/{golden_hub.RETIRED}", headers=read)
    assert r.status_code == 200
    body = r.json()
    assert body["requested_id"] == golden_hub.RETIRED
    assert body["golden_id"] == body["merged_into"] == golden_hub.SURVIVOR
    assert body["record"]["golden_id"] == golden_hub.SURVIVOR
    members = {m["id"] for m in body["record"]["members"]}
    assert members == {"C-MERGED-A", "crm-merged-b"}


def test_a_chain_of_merges_is_followed_to_its_end(
    client: TestClient, read: dict[str, str], golden_hub: HubData
) -> None:
    golden_hub.merge(golden_hub.SURVIVOR, "G-00001")
    body = client.get(f"/api/golden/{golden_hub.RETIRED}", headers=read).json()
    assert body["golden_id"] == body["merged_into"] == "G-00001"


def test_an_unknown_golden_id_is_404_in_words(client: TestClient, read: dict[str, str]) -> None:
    r = client.get("/api/golden/G-NOPE", headers=read)
    assert r.status_code == 404
    assert r.json()["detail"] == "no golden record 'G-NOPE'"


def test_history_lists_earlier_versions_newest_first(
    client: TestClient, read: dict[str, str], web_hub: Hub
) -> None:
    from integration.store import GoldenHistory

    with session_scope(web_hub.engine) as session:
        for version in (1, 2):
            session.add(
                GoldenHistory(
                    golden_id="G-00002",
                    version=version,
                    fields={"name": f"v{version}", "mobile": "+8613800138000"},
                )
            )
    body = client.get("/api/golden/G-00002/history", headers=read).json()
    assert [v["version"] for v in body["versions"]] == [2, 1]
    assert body["versions"][0]["fields"] == {"name": "v2", "mobile": "138****8000"}


def test_lookup_by_a_source_id_and_by_a_wecom_external_userid(
    client: TestClient, read: dict[str, str]
) -> None:
    r = client.get("/api/lookup", params={"source": "erp", "id": "C-10007"}, headers=read)
    assert r.status_code == 200
    assert r.json()["golden_id"] == "G-00007" and r.json()["stream"] == "customers"
    r = client.get(
        "/api/lookup", params={"source": "wecom", "id": "wm000010external"}, headers=read
    )
    assert r.json()["golden_id"] == "G-00010"
    assert r.json()["record"]["fields"]["mobile"].count("*") == 4


def test_lookup_follows_merges_to_the_survivor(
    client: TestClient, read: dict[str, str], golden_hub: HubData
) -> None:
    r = client.get("/api/lookup", params={"source": "erp", "id": "C-MERGED-A"}, headers=read)
    assert r.json()["golden_id"] == golden_hub.SURVIVOR


def test_lookup_of_an_unknown_id_or_without_parameters(
    client: TestClient, read: dict[str, str]
) -> None:
    r = client.get("/api/lookup", params={"source": "erp", "id": "C-0"}, headers=read)
    assert r.status_code == 404 and "C-0" in r.json()["detail"]
    r = client.get("/api/lookup", params={"source": "erp"}, headers=read)
    assert r.status_code == 422
    assert r.json()["errors"][0]["where"] == "query.id"
    assert "required" in r.json()["detail"].lower()


def test_lookup_in_two_streams_with_different_records_asks_for_the_stream(
    client: TestClient, read: dict[str, str], golden_hub: HubData
) -> None:
    golden_hub.add_golden("G-TWIN", {"name": "双"}, [("erp", "suppliers", "C-10001")])
    r = client.get("/api/lookup", params={"source": "erp", "id": "C-10001"}, headers=read)
    assert r.status_code == 409 and "stream=" in r.json()["detail"]
    r = client.get(
        "/api/lookup",
        params={"source": "erp", "id": "C-10001", "stream": "suppliers"},
        headers=read,
    )
    assert r.json()["golden_id"] == "G-TWIN"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"name": "王伟"}, {"G-00000"}),
        ({"name": "王"}, {"G-00000", "G-00010", "G-00020"}),
        ({"name": "wang wei"}, {"G-00000"}),
        ({"name": "Wáng"}, {"G-00000", "G-00010", "G-00020"}),
        ({"name": "王女士"}, {"G-00000", "G-00010", "G-00020"}),
        ({"name": "maria"}, {"G-00011"}),
        ({"email": "USER3@Example.com"}, {"G-00003"}),
        ({"company": "上海新元"}, {"G-00000", "G-00012"}),
        ({"company": "新元科技"}, {"G-00000", "G-00012"}),
        ({"company": "acme"}, {"G-00006", "G-00018"}),
    ],
)
def test_search_by_name_pinyin_email_company(
    client: TestClient, read: dict[str, str], params: dict[str, str], expected: set[str]
) -> None:
    r = client.get("/api/search", params=params, headers=read)
    assert r.status_code == 200, r.text
    assert {hit["golden_id"] for hit in r.json()["results"]} == expected


def test_search_by_mobile_in_any_format(
    client: TestClient, read: dict[str, str], golden_hub: HubData
) -> None:
    mobile = golden_hub.goldens["G-00005"]["mobile"]  # +86138...
    national = mobile[3:]
    for written in (
        mobile,
        national,
        f"{national[:3]}-{national[3:7]}-{national[7:]}",
        f"0086 {national}",
    ):
        r = client.get("/api/search", params={"mobile": written}, headers=read)
        assert [hit["golden_id"] for hit in r.json()["results"]] == ["G-00005"], written
        assert r.json()["results"][0]["mobile"] == f"{national[:3]}****{national[-4:]}"
    landline = golden_hub.goldens["G-00004"]["phones"][0]
    r = client.get("/api/search", params={"mobile": landline}, headers=read)
    assert [hit["golden_id"] for hit in r.json()["results"]] == ["G-00004"]


def test_search_follows_changes_and_merges(
    client: TestClient, read: dict[str, str], golden_hub: HubData
) -> None:
    assert client.get("/api/search", params={"name": "王伟"}, headers=read).json()["results"]
    golden_hub.change("G-00000", name="王维新")
    hits = client.get("/api/search", params={"name": "王伟"}, headers=read).json()["results"]
    assert hits == []
    hits = client.get("/api/search", params={"name": "wangweixin"}, headers=read).json()
    assert [h["golden_id"] for h in hits["results"]] == ["G-00000"]
    golden_hub.merge("G-00000", "G-00001")
    hits = client.get("/api/search", params={"name": "王维新"}, headers=read).json()
    assert hits["results"] == []


def test_search_pages_follow_the_cursor_without_repeats(
    client: TestClient, read: dict[str, str], golden_hub: HubData
) -> None:
    for i in range(7):
        golden_hub.add_golden(
            f"G-ZH{i}", {"name": f"赵{'一二三四五六七'[i]}"}, [("crm", "x", f"z{i}")]
        )
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"name": "zhao", "limit": "3"} | ({"cursor": cursor} if cursor else {})
        body = client.get("/api/search", params=params, headers=read).json()
        seen += [hit["golden_id"] for hit in body["results"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    expected = {f"G-ZH{i}" for i in range(7)} | {
        gid for gid, f in golden_hub.goldens.items() if f.get("name", "").startswith("赵")
    }
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))
    assert pages == -(-len(expected) // 3)


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({}, "query"),
        ({"name": "王", "email": "a@b.cn"}, "query"),
        ({"mobile": "12345"}, "query.mobile"),
        ({"email": "not-an-address"}, "query.email"),
        ({"name": "!!!"}, "query.name"),
        ({"name": "王", "limit": "101"}, "query.limit"),
        ({"name": "王", "limit": "0"}, "query.limit"),
        ({"name": "王", "limit": "many"}, "query.limit"),
        ({"name": "王" * 101}, "query.name"),
        ({"name": "王", "cursor": "garbage"}, "query.cursor"),
    ],
)
def test_search_refuses_bad_parameters_in_words(
    client: TestClient, read: dict[str, str], params: dict[str, str], where: str
) -> None:
    r = client.get("/api/search", params=params, headers=read)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["errors"][0]["where"] == where
    assert body["detail"] and body["errors"][0]["problem"]


def test_change_feed_pages_in_order_each_event_once(
    client: TestClient, read: dict[str, str], golden_hub: HubData
) -> None:
    seen: list[int] = []
    kinds: list[str] = []
    cursor = None
    while True:
        params = {"limit": "7"} | ({"cursor": cursor} if cursor else {})
        body = client.get("/api/changes", params=params, headers=read).json()
        seen += [e["id"] for e in body["events"]]
        kinds += [e["kind"] for e in body["events"]]
        if not body["more"]:
            cursor = body["next_cursor"]
            break
        cursor = body["next_cursor"]
    assert len(seen) == len(set(seen)) == golden_hub.PEOPLE + 2 + 3
    assert seen == sorted(seen)  # one writer at a time here: id order is feed order
    assert kinds.count("created") == golden_hub.PEOPLE + 2
    assert kinds[-3:] == ["merged", "retired", "changed"]
    # nothing new: the same cursor comes back, with no events
    again = client.get("/api/changes", params={"cursor": cursor}, headers=read).json()
    assert again == {"events": [], "next_cursor": cursor, "more": False}
    golden_hub.change("G-00003", city="北京")
    new = client.get("/api/changes", params={"cursor": cursor}, headers=read).json()
    assert [(e["kind"], e["golden_id"]) for e in new["events"]] == [("changed", "G-00003")]


def test_change_feed_merge_event_names_the_survivor(
    client: TestClient, read: dict[str, str], golden_hub: HubData
) -> None:
    events = client.get("/api/changes", params={"limit": "1000"}, headers=read).json()["events"]
    merged = [e for e in events if e["kind"] == "merged"]
    assert [(e["golden_id"], e["other_id"]) for e in merged] == [
        (golden_hub.RETIRED, golden_hub.SURVIVOR)
    ]


def test_change_feed_head_starts_a_consumer_at_now(
    client: TestClient, read: dict[str, str], golden_hub: HubData
) -> None:
    head = client.get("/api/changes/head", headers=read).json()["cursor"]
    assert client.get("/api/changes", params={"cursor": head}, headers=read).json()["events"] == []
    golden_hub.change("G-00002", city="深圳")
    events = client.get("/api/changes", params={"cursor": head}, headers=read).json()["events"]
    assert [e["golden_id"] for e in events] == ["G-00002"]


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"cursor": "abc"}, "query.cursor"),
        ({"cursor": "1-2-3"}, "query.cursor"),
        ({"cursor": "99999999999999999999-1"}, "query.cursor"),
        ({"limit": "1001"}, "query.limit"),
        ({"limit": "-1"}, "query.limit"),
    ],
)
def test_change_feed_refuses_bad_parameters_in_words(
    client: TestClient, read: dict[str, str], params: dict[str, str], where: str
) -> None:
    r = client.get("/api/changes", params=params, headers=read)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["where"] == where


def test_status_figures(client: TestClient, read: dict[str, str], golden_hub: HubData) -> None:
    body = client.get("/api/status", headers=read).json()
    assert body["golden_active"] == golden_hub.PEOPLE + 1
    assert body["golden_retired"] == 1
    assert body["members"] == sum(len(m) for m in golden_hub.members.values())
    assert body["events"] == golden_hub.PEOPLE + 2 + 3
    head = client.get("/api/changes/head", headers=read).json()["cursor"]
    assert body["feed_head"] == head


def test_limits_of_the_request_target_and_body(
    engine, hub_url: str, tmp_path, golden_hub: HubData, read: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    config = write_config(
        tmp_path,
        hub_url,
        "serve:\n  limits:\n    url_chars: 300\n    body_bytes: 2048\n    feed_page: 50\n",
    )
    with TestClient(create_app(hub_on(engine, config))) as c:
        r = c.get("/api/lookup", params={"source": "erp", "id": "x" * 400}, headers=read)
        assert r.status_code == 414 and "at most 300" in r.json()["detail"]
        r = c.request("GET", "/api/status", content=b"x" * 5000, headers=read)
        assert r.status_code == 413 and "at most 2048" in r.json()["detail"]
        r = c.get("/api/changes", params={"limit": "51"}, headers=read)
        assert r.status_code == 422 and "at most 50" in r.json()["detail"]
        assert c.get("/api/changes", params={"limit": "50"}, headers=read).status_code == 200


def test_openapi_documents_the_retired_id_rule_and_bearer_tokens(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    golden = doc["paths"]["/api/golden/{golden_id}"]["get"]
    assert "not with a redirect" in golden["description"]
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert golden["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/Problem"
    )
    assert set(doc["paths"]) >= {
        "/healthz",
        "/api/golden/{golden_id}",
        "/api/golden/{golden_id}/history",
        "/api/lookup",
        "/api/search",
        "/api/changes",
        "/api/changes/head",
        "/api/status",
    }


@pytest.mark.parametrize(
    ("url", "where"),
    [
        ("/api/golden/%00", "path.golden_id"),
        ("/api/golden/G%0A1/history", "path.golden_id"),
        ("/api/lookup?source=%00&id=x", "query.source"),
        ("/api/lookup?source=erp&id=C%001", "query.id"),
        ("/api/search?name=%E7%8E%8B%00", "query.name"),
        ("/api/search?company=a%1Fb", "query.company"),
        ("/api/search?name=wang&cursor=%00", "query.cursor"),
        # a cursor that decodes to a control character was not handed out by the search
        ("/api/search?name=wang&cursor=AB8A", "query.cursor"),
        ("/api/changes?cursor=1%002", "query.cursor"),
    ],
)
def test_control_characters_are_refused_in_words_not_a_500(
    client: TestClient, read: dict[str, str], url: str, where: str
) -> None:
    r = client.get(url, headers=read)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["where"] == where
