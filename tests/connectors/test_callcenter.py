"""Call-centre connector: wire envelope (MockTransport) and the fake on loopback."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from connectors.callcenter import CallCenterSource, Settings
from connectors.contract import AuthError, RemoteError, Source
from connectors.fakes.callcenter import HOTLINE, FakeCallCenter, records_from_demo

PEOPLE: list[dict[str, Any]] = [
    {
        "id": "P1",
        "name": "张伟",
        "mobile": "+86 138-0013-8000",
        "email": "zw@example.cn",
        "created_at": "2026-01-05T08:00:00+08:00",
        "updated_at": "2026-10-01T10:00:00+08:00",
        "calls": [
            {
                "id": "c1",
                "at": "2026-09-01T09:30:00+08:00",
                "agent": "1001",
                "direction": "in",
                "duration": 120,
            },
            {
                "id": "c2",
                "at": "2026-09-03T15:00:00+08:00",
                "agent": "1002",
                "direction": "out",
                "duration": 0,
            },
        ],
    },
    {
        "id": "P2",
        "name": "李娜",
        "phones": ["010-6552 1234"],
        "calls": [
            {
                "id": "c1",
                "at": "2026-08-01T09:00:00+08:00",
                "agent": "1001",
                "direction": "in",
                "duration": 30,
            }
        ],
    },
    {"id": "P3", "name": "Wang Fang", "email": "wf@example.com", "mobile": "13912345678"},
    {
        "id": "P4",
        "mobile": "13700001111",
        "calls": [
            {"id": "c9", "at": "2026-07-01T09:00:00+08:00", "direction": "in", "duration": 5}
        ],
    },
]


class Clock:
    """Fake time shared by the fake's rate budget and the client's sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def pull_all(
    source: Source, stream: str, cursor: str | None = None
) -> tuple[list[Any], str | None]:
    records: list[Any] = []
    last = cursor
    for page in source.pull(stream, cursor):
        records.extend(page.records)
        last = page.cursor
    return records, last


@pytest.fixture
def fake():
    with FakeCallCenter(records_from_demo(PEOPLE), rate_per_minute=None) as server:
        server.timeout_hold = 0.6
        yield server


def make_source(fake: FakeCallCenter, waits: list[float] | None = None, **extra: Any):
    sleep = waits.append if waits is not None else (lambda s: None)
    settings = Settings(**{**fake.settings(), "page_size": 2, "timeout": 0.3, **extra})
    return CallCenterSource(settings, sleep=sleep)


# ---------------------------------------------------------------- MockTransport


def _mock_source(handler) -> CallCenterSource:
    settings = Settings(
        base_url="https://acme.zendesk.test",
        email="a@b.cn",
        api_token="SECRET",
        start_time=1700000000,
    )
    return CallCenterSource(settings, transport=httpx.MockTransport(handler), sleep=lambda s: None)


def test_envelope_start_time_then_cursor_with_users_sideload() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if "cursor" not in request.url.params:
            return httpx.Response(
                200,
                json={
                    "tickets": [{"id": 1, "requester_id": 7, "created_at": "2026-01-01T00:00:00Z"}],
                    "users": [{"id": 7, "name": "张伟", "phone": "13800138000"}],
                    "after_cursor": "A1",
                    "end_of_stream": False,
                },
            )
        return httpx.Response(
            200, json={"tickets": [], "users": [], "after_cursor": "A2", "end_of_stream": True}
        )

    source = _mock_source(handler)
    pages = list(source.pull("tickets", None))
    assert [json.loads(p.cursor) for p in pages] == [{"cursor": "A1"}, {"cursor": "A2"}]
    first = seen[0]
    assert first.url.path == "/api/v2/incremental/tickets/cursor.json"
    assert first.url.params["start_time"] == "1700000000"
    assert first.url.params["include"] == "users"
    assert seen[1].url.params["cursor"] == "A1" and "start_time" not in seen[1].url.params
    expected = base64.b64encode(b"a@b.cn/token:SECRET").decode()
    assert first.headers["Authorization"] == f"Basic {expected}"
    record = pages[0].records[0]
    assert record.payload["requester"]["name"] == "张伟"
    mapped = source.map_record("tickets", record.payload)
    assert mapped.customer == {"customer_type": "person", "name": "张伟", "mobile": "13800138000"}


def test_429_retry_after_is_honoured() -> None:
    waits: list[float] = []
    answers = iter(
        [
            httpx.Response(
                429, headers={"Retry-After": "7"}, json={"error": "APIRateLimitExceeded"}
            ),
            httpx.Response(200, json={"calls": [], "after_cursor": "X", "end_of_stream": True}),
        ]
    )
    settings = Settings(base_url="https://x.test", email="e", api_token="t")
    source = CallCenterSource(
        settings, transport=httpx.MockTransport(lambda r: next(answers)), sleep=waits.append
    )
    assert list(source.pull("calls", None))[0].cursor == '{"cursor": "X"}'
    assert waits == [7.0]


def test_error_envelope_and_bad_items() -> None:
    def not_found(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": "InvalidEndpoint", "description": "Not found"})

    with pytest.raises(RemoteError, match="Not found"):
        list(_mock_source(not_found).pull("calls", None))

    def garbage(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "calls": [{"no_id": 1}, "x", {"call_id": "ok", "start_at": "2026-01-01T00:00:00Z"}],
                "after_cursor": "C",
                "end_of_stream": True,
            },
        )

    records = list(_mock_source(garbage).pull("calls", None))[0].records
    assert [r.payload is None for r in records] == [True, True, False]
    assert records[0].problem == "calls item without call_id" and records[0].raw_text


def test_map_call_uses_far_end_number_and_rejects_garbage() -> None:
    source = _mock_source(lambda r: httpx.Response(500))
    out = source.map_record(
        "calls",
        {
            "call_id": "1",
            "direction": "out",
            "start_at": "2026-01-01T00:00:00Z",
            "caller_number": HOTLINE,
            "called_number": "13800138000",
        },
    )
    assert out.customer is None and out.activity is not None
    assert out.activity.phone == "13800138000" and out.activity.kind == "call"
    with pytest.raises(ValueError):
        source.map_record("calls", {"call_id": "2"})


# ---------------------------------------------------------------- loopback


def test_demo_seed_writes_numbers_as_the_silo_does() -> None:
    seed = records_from_demo(PEOPLE)
    calls = {c["call_id"]: c for c in seed["calls"]}
    assert len(calls) == 4  # the second "c1" got a unique id
    assert calls["c1"]["caller_number"] == "+86 138-0013-8000"
    assert calls["c2"]["called_number"] == "+86 138-0013-8000" and calls["c2"]["direction"] == "out"
    assert {u["name"] for u in seed["users"]} == {"张伟", "李娜", "Wang Fang", "13700001111"}
    assert len(seed["tickets"]) == 4


def test_full_then_incremental(fake: FakeCallCenter) -> None:
    source = make_source(fake)
    calls, call_cursor = pull_all(source, "calls")
    tickets, ticket_cursor = pull_all(source, "tickets")
    assert len(calls) == 4 and len(tickets) == 4
    assert all(r.payload for r in calls + tickets)
    assert all("requester" in t.payload for t in tickets)
    mapped = [source.map_record("tickets", t.payload) for t in tickets]
    assert {m.customer.get("name") for m in mapped if m.customer} >= {"张伟", "李娜", "Wang Fang"}
    # nothing changed: the saved cursor yields nothing new
    again, same_cursor = pull_all(source, "calls", call_cursor)
    assert again == [] and same_cursor == call_cursor
    fake.upsert_call({**calls[0].payload, "disposition": "abandoned"})
    fake.upsert_call({**calls[0].payload, "call_id": "new-1"})
    changed, _ = pull_all(source, "calls", call_cursor)
    assert sorted(r.key for r in changed) == sorted([calls[0].key, "new-1"])
    fake.upsert_ticket({**tickets[1].payload, "status": "deleted"})
    changed, _ = pull_all(source, "tickets", ticket_cursor)
    assert [r.deleted for r in changed] == [True]


def test_start_time_cursor_reopens_the_export(fake: FakeCallCenter) -> None:
    source = make_source(fake)
    cutoff = 1788220800  # 2026-09-01T00:00:00Z: only the September calls are newer
    records, cursor = pull_all(source, "calls", json.dumps({"start_time": cutoff}))
    assert sorted(r.key for r in records) == ["c1", "c2"]
    assert "cursor" in json.loads(cursor)


def test_rate_budget_answers_429_and_client_waits() -> None:
    clock = Clock()
    with FakeCallCenter(records_from_demo(PEOPLE), rate_per_minute=2, clock=clock) as server:
        settings = Settings(**server.settings(), page_size=1)
        source = CallCenterSource(settings, sleep=clock.sleep)
        records, _ = pull_all(source, "calls")
    assert len(records) == 4
    assert clock.waits == [60.0]  # the third request of the minute had to wait it out
    assert sum(1 for r in server.requests if r.path.endswith("cursor.json")) == 5


@pytest.mark.parametrize("kind", ["http_500", "timeout", "malformed_json", "throttle"])
def test_transient_faults_are_retried(fake: FakeCallCenter, kind: str) -> None:
    waits: list[float] = []
    clean, clean_cursor = pull_all(make_source(fake), "calls")
    fake.inject(kind, path="/incremental/calls/", times=1)
    records, cursor = pull_all(make_source(fake, waits), "calls")
    assert [r.key for r in records] == [r.key for r in clean]
    assert cursor == clean_cursor
    assert len(waits) == 1
    if kind == "throttle":
        assert waits == [60.0]


def test_token_expired_is_an_auth_error(fake: FakeCallCenter) -> None:
    fake.inject("token_expired")
    with pytest.raises(AuthError):
        pull_all(make_source(fake), "tickets")


def test_duplicate_page_lands_same_keys_and_cursor_still_advances(fake: FakeCallCenter) -> None:
    clean, clean_cursor = pull_all(make_source(fake), "calls")
    source = make_source(fake)
    pages = source.pull("calls", None)
    first = next(pages)
    fake.inject("duplicate_page", path="/incremental/calls/")
    rest = list(pages)
    keys = [r.key for r in first.records] + [r.key for p in rest for r in p.records]
    assert set(keys) == {r.key for r in clean} and len(keys) > len(clean)
    assert rest[-1].cursor == clean_cursor


def test_logs_hide_token_and_phone_numbers(
    fake: FakeCallCenter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    fake.inject("throttle")
    fake.inject("malformed_json")
    pull_all(make_source(fake), "calls")
    text = caplog.text
    assert "retry" in text and fake.api_token not in text
    assert "138-0013-8000" not in text and "13800138000" not in text
