"""WeCom client (MockTransport) and source (loopback fake) tests."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from connectors.contract import (
    AuthError,
    ConnectorConfigError,
    OutboundRecord,
    RawRecord,
    ThrottledError,
    TransientError,
)
from connectors.fakes.wecom import FakeWeCom, records_from_demo
from connectors.wecom import Settings, WeComSource, build_sink, build_source
from connectors.wecom.client import WeComClient, WeComError

SECRET = "s3cr3t-corp-secret"

# ---------------------------------------------------------------- MockTransport unit tests


class Script:
    """A MockTransport handler: gettoken answers a fresh token, other paths a scripted list."""

    def __init__(self, answers: dict[str, list[Any]]) -> None:
        self.answers = answers
        self.calls: list[httpx.Request] = []
        self.tokens = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        name = request.url.path.removeprefix("/cgi-bin/")
        if name == "gettoken" and "gettoken" not in self.answers:
            self.tokens += 1
            return httpx.Response(
                200, json={"errcode": 0, "access_token": f"T{self.tokens}", "expires_in": 7200}
            )
        answer = self.answers[name].pop(0)
        if isinstance(answer, httpx.Response):
            return answer
        if isinstance(answer, int):
            return httpx.Response(200, json={"errcode": answer, "errmsg": f"code {answer}"})
        return httpx.Response(200, json={"errcode": 0, "errmsg": "ok", **answer})

    def tokens_used(self, name: str) -> list[str]:
        return [
            r.url.params["access_token"]
            for r in self.calls
            if r.url.path.endswith(name) and "access_token" in r.url.params
        ]


def make_client(script: Script, waits: list[float] | None = None, **kw: Any) -> WeComClient:
    sleep: Callable[[float], None] = waits.append if waits is not None else lambda s: None
    return WeComClient(
        corp_id="wwcorp",
        corp_secret=SECRET,
        base_url="https://wecom.test/cgi-bin/",
        transport=httpx.MockTransport(script),
        sleep=sleep,
        seed=1,
        **kw,
    )


def test_token_is_cached_across_calls() -> None:
    script = Script({"externalcontact/get_follow_user_list": [{"follow_user": []}] * 3})
    client = make_client(script)
    for _ in range(3):
        client.call("GET", "externalcontact/get_follow_user_list")
    assert client.token_fetches == 1
    assert script.tokens_used("get_follow_user_list") == ["T1"] * 3


@pytest.mark.parametrize("code", [40014, 42001])
def test_refused_token_is_dropped_refetched_and_retried_once(code: int) -> None:
    script = Script({"externalcontact/get_follow_user_list": [code, {"follow_user": ["a"]}]})
    client = make_client(script)
    body = client.call("GET", "externalcontact/get_follow_user_list")
    assert body["follow_user"] == ["a"]
    assert script.tokens_used("get_follow_user_list") == ["T1", "T2"]


def test_token_refused_twice_is_an_auth_error() -> None:
    script = Script({"externalcontact/get_follow_user_list": [42001, 40014]})
    with pytest.raises(AuthError, match="freshly fetched"):
        make_client(script).call("GET", "externalcontact/get_follow_user_list")


@pytest.mark.parametrize(
    ("code", "error", "words"),
    [(40001, AuthError, "corp_secret"), (40013, ConnectorConfigError, "corp_id")],
)
def test_bad_secret_or_corp_id_is_a_clear_config_error(
    code: int, error: type[Exception], words: str
) -> None:
    script = Script({"gettoken": [code]})
    with pytest.raises(error, match=words) as info:
        make_client(script).call("GET", "externalcontact/get_follow_user_list")
    assert SECRET not in str(info.value)


def test_api_not_authorised_is_a_config_error() -> None:
    script = Script({"externalcontact/get_follow_user_list": [48002]})
    with pytest.raises(ConnectorConfigError, match="可调用接口的应用"):
        make_client(script).call("GET", "externalcontact/get_follow_user_list")


def test_freq_limit_waits_the_block_out() -> None:
    waits: list[float] = []
    script = Script({"externalcontact/get": [45009, 45009, {"follow_user": []}]})
    make_client(script, waits, throttle_wait=60.0).call("GET", "externalcontact/get")
    assert waits == [60.0, 60.0]


@pytest.mark.parametrize("code", [45033, -1])
def test_busy_codes_back_off_doubling(code: int) -> None:
    waits: list[float] = []
    script = Script({"externalcontact/get": [code, code, code, {"follow_user": []}]})
    make_client(script, waits, busy_wait=0.5).call("GET", "externalcontact/get")
    assert waits == [0.5, 1.0, 2.0]


def test_persistent_throttle_becomes_throttled_error() -> None:
    script = Script({"externalcontact/get": [45009] * 3})
    with pytest.raises(ThrottledError):
        make_client(script, max_attempts=3).call("GET", "externalcontact/get")


def test_version_conflict_is_retried_later() -> None:
    waits: list[float] = []
    script = Script({"externalcontact/remark": [6000, {}]})
    make_client(script, waits).call("POST", "externalcontact/remark", json={})
    assert len(waits) == 1
    script = Script({"externalcontact/remark": [6000] * 3})
    with pytest.raises(TransientError, match="6000"):
        make_client(script, max_attempts=3).call("POST", "externalcontact/remark", json={})


def test_garbage_body_is_retried() -> None:
    script = Script({"externalcontact/get": [httpx.Response(200, text="{oops"), {"x": 1}]})
    assert make_client(script).call("GET", "externalcontact/get")["x"] == 1


@pytest.mark.parametrize("code", [84061, 60011, 40003, 40096])
def test_member_and_contact_codes_surface_as_wecom_error(code: int) -> None:
    script = Script({"externalcontact/get": [code]})
    with pytest.raises(WeComError) as info:
        make_client(script).call("GET", "externalcontact/get")
    assert info.value.code == code


# ---------------------------------------------------------------- fake helpers


def contact(ext: str, userid: str, createtime: int, **follow: Any) -> dict[str, Any]:
    return {
        "external_contact": {"external_userid": ext, "name": f"name-{ext}", "type": 1},
        "follow_info": {"userid": userid, "createtime": createtime, **follow},
    }


@pytest.fixture
def fake() -> Iterator[FakeWeCom]:
    rows = [
        contact("wmA", "zhangsan", 1_700_000_100, remark_mobiles=["13800138000"], tag_id=["t1"]),
        contact("wmA", "lisi", 1_700_000_000, remark_mobiles=["010-65521234"]),
        contact("wmB", "lisi", 1_700_000_200, remark_corp_name="星辰科技"),
    ]
    rows[0]["external_contact"]["unionid"] = "oUnion"
    groups = [{"group_id": "g1", "group_name": "等级", "tag": [{"id": "t1", "name": "VIP"}]}]
    with FakeWeCom(rows, groups, corp_secret=SECRET) as server:
        yield server


def source_for(fake: FakeWeCom, waits: list[float] | None = None, **kw: Any) -> WeComSource:
    sleep: Callable[[float], None] = waits.append if waits is not None else lambda s: None
    return build_source(Settings(**fake.settings(**kw)), sleep=sleep)


def pull_all(source: WeComSource, cursor: str | None = None) -> list[RawRecord]:
    return [r for page in source.pull("contacts", cursor) for r in page.records]


# ---------------------------------------------------------------- loopback: pull


def test_full_pull_merges_followers_into_one_record_per_contact(fake: FakeWeCom) -> None:
    source = source_for(fake)
    pages = list(source.pull("contacts", None))
    assert len(pages) == 1 and json.loads(pages[0].cursor or "")["complete"]
    records = {r.key: r for r in pages[0].records}
    assert sorted(records) == ["wmA", "wmB"]
    payload = records["wmA"].payload
    assert payload is not None
    assert [f["userid"] for f in payload["follow_info"]] == ["lisi", "zhangsan"]
    customer = source.map_record("contacts", payload).customer
    assert customer == {
        "customer_type": "person",
        "wecom_external_userid": "wmA",
        "name": "name-wmA",
        "wechat_unionid": "oUnion",
        "owner": "lisi",  # the earliest follower
        "mobile": "010-65521234",
        "phones": ["13800138000"],
        "tags": ["VIP"],
        "source_updated_at": "2023-11-15T06:15:00+08:00",  # the latest follow
    }
    b = source.map_record("contacts", records["wmB"].payload or {}).customer or {}
    assert b["company_name"] == "星辰科技"
    # a full scan again from the final cursor; unchanged payloads are identical
    again = {r.key: r.payload for r in pull_all(source, pages[0].cursor)}
    assert again == {k: r.payload for k, r in records.items()}


def test_map_record_rejects_unknown_payloads(fake: FakeWeCom) -> None:
    with pytest.raises(ValueError, match="external_userid"):
        source_for(fake).map_record("contacts", {"something": "else"})


def test_wecom_user_contact_takes_its_corp_as_company() -> None:
    people: list[dict[str, Any]] = [
        {
            "id": "P1",
            "customer_type": "company",
            "name": "王芳",
            "company_name": "北京星辰科技有限公司",
            "external_userid": "wo1",
            "owner": "zs",
        }
    ]
    seed = records_from_demo(people)
    with FakeWeCom(**seed) as server:
        source = source_for(server)
        (record,) = pull_all(source)
        customer = source.map_record("contacts", record.payload or {}).customer or {}
    assert customer["customer_type"] == "person"
    assert customer["company_name"] == "北京星辰科技有限公司"


def test_records_from_demo_seed_round_trips() -> None:
    people: list[dict[str, Any]] = [
        {
            "id": "P1",
            "name": "张伟",
            "mobile": "+86 138-0013-8000",
            "phones": ["010-6552 1234"],
            "external_userid": "wmX",
            "unionid": "oX",
            "owner": "zhangsan",
            "tags": ["VIP", "老客户"],
            "created_at": "2026-01-05T08:00:00+08:00",
        },
        {"id": "P2", "name": "not in wecom", "mobile": "13900000000"},
    ]
    with FakeWeCom(**records_from_demo(people)) as server:
        source = source_for(server)
        (record,) = pull_all(source)
        customer = source.map_record("contacts", record.payload or {}).customer or {}
    assert customer["mobile"] == "+86 138-0013-8000"
    assert customer["phones"] == ["010-6552 1234"]
    assert customer["owner"] == "zhangsan"
    assert customer["tags"] == ["VIP", "老客户"]
    assert customer["source_updated_at"] == "2026-01-05T08:00:00+08:00"


@pytest.fixture
def big() -> Iterator[FakeWeCom]:
    # 150 members -> two userid chunks; 250 contacts; every 10th contact is also followed
    # by a member of the other chunk; member m000 alone has 130 contacts (> one page)
    rows = []
    for i in range(250):
        owner = "m000" if i < 130 else f"m{i % 150:03d}"
        rows.append(contact(f"wm{i:04d}", owner, 1_700_000_000 + i))
        if i % 10 == 0:
            rows.append(contact(f"wm{i:04d}", f"m{149 - i % 50:03d}", 1_700_100_000 + i))
    with FakeWeCom(rows, follow_users=[f"m{i:03d}" for i in range(150)]) as server:
        yield server


def batch_bodies(fake: FakeWeCom) -> list[dict[str, Any]]:
    return fake.writes("batch/get_by_user")


def test_paging_across_chunks_and_pages(big: FakeWeCom) -> None:
    source = source_for(big, page_size=100)
    pages = list(source.pull("contacts", None))
    keys = [r.key for p in pages for r in p.records]
    assert len(keys) == 250 == len(set(keys))
    assert [len(p.records) for p in pages] == [100, 100, 50]
    bodies = batch_bodies(big)
    assert all(len(b["userid_list"]) <= 100 and b["limit"] <= 100 for b in bodies)
    assert sorted(len(b["userid_list"]) for b in bodies if not b["cursor"]) == [50, 100]
    # m000's 130 contacts (+ the cross-chunk rows) need more than one page of the first chunk
    assert sum(1 for b in bodies if b["cursor"]) >= 1
    by_key = {r.key: r.payload for p in pages for r in p.records}
    assert [f["userid"] for f in (by_key["wm0010"] or {})["follow_info"]] == ["m000", "m139"]
    assert len((by_key["wm0003"] or {})["follow_info"]) == 1

    # resume after the first page: the scan re-runs, the rest comes once
    rest = pull_all(source, pages[0].cursor)
    assert [r.key for r in rest] == keys[100:]


def test_limit_above_max_is_clamped_by_the_fake(big: FakeWeCom) -> None:
    source = source_for(big)
    body = source.client.call(
        "POST",
        "externalcontact/batch/get_by_user",
        json={"userid_list": ["m000"], "cursor": "", "limit": 1000},
    )
    assert len(body["external_contact_list"]) == 100 and body["next_cursor"]


def test_duplicate_page_is_not_double_counted(big: FakeWeCom) -> None:
    big.inject_after("duplicate_page", path="batch/get_by_user", after=1)
    records = pull_all(source_for(big))
    assert len(records) == 250 == len({r.key for r in records})
    assert all(len((r.payload or {})["follow_info"]) in (1, 2) for r in records)


def test_token_expired_mid_paging_is_refetched(big: FakeWeCom) -> None:
    big.inject_after("token_expired", path="batch/get_by_user", after=1)
    source = source_for(big)
    assert len(pull_all(source)) == 250
    assert source.client.token_fetches == 2


def test_token_ttl_and_forced_invalidation(fake: FakeWeCom) -> None:
    now = [0.0]
    fake.clock = lambda: now[0]
    fake.token_ttl = 100
    client = WeComClient(
        corp_id=fake.corp_id,
        corp_secret=SECRET,
        base_url=fake.url + "/cgi-bin/",
        clock=lambda: now[0],
        sleep=lambda s: None,
    )
    source = WeComSource(client)
    assert len(pull_all(source)) == 2 and client.token_fetches == 1
    now[0] = 95.0  # inside the renewal margin: the client renews before WeCom expires it
    pull_all(source)
    assert client.token_fetches == 2
    fake.invalidate_tokens()  # 40014 next
    pull_all(source)
    fake.expire_tokens()  # 42001 next
    pull_all(source)
    assert client.token_fetches == 4
    gettoken_calls = [r for r in fake.requests if r.path.endswith("/gettoken")]
    assert len(gettoken_calls) == 4


@pytest.mark.parametrize(
    ("kind", "waits"), [("throttle", [60.0]), ("http_500", None), ("malformed_json", None)]
)
def test_faults_are_retried(fake: FakeWeCom, kind: Any, waits: list[float] | None) -> None:
    recorded: list[float] = []
    fake.inject(kind, path="batch/get_by_user")
    assert len(pull_all(source_for(fake, recorded))) == 2
    if waits is not None:
        assert recorded == waits
    else:
        assert len(recorded) == 1 and 0 <= recorded[0] <= 0.5  # first jittered backoff


def test_concurrency_throttle_uses_short_backoff(fake: FakeWeCom) -> None:
    recorded: list[float] = []
    fake.throttle_code = 45033
    fake.inject("throttle", path="batch/get_by_user", times=2)
    assert len(pull_all(source_for(fake, recorded, busy_wait=1.0))) == 2
    assert recorded == [1.0, 2.0]


def test_timeout_is_retried(fake: FakeWeCom) -> None:
    recorded: list[float] = []
    fake.timeout_hold = 0.5
    fake.inject("timeout", path="batch/get_by_user")
    assert len(pull_all(source_for(fake, recorded, timeout=0.2))) == 2
    assert len(recorded) == 1


def test_throttle_past_the_budget_stops_the_pull(fake: FakeWeCom) -> None:
    fake.inject("throttle", path="batch/get_by_user", times=10)
    with pytest.raises(ThrottledError):
        pull_all(source_for(fake, max_attempts=3))


def test_unreadable_member_is_skipped_and_flagged(big: FakeWeCom) -> None:
    big.no_privilege = {"m042"}
    source = source_for(big)
    records = pull_all(source)
    flagged = [r for r in records if r.problem]
    assert [r.key for r in flagged] == ["member:m042"] and flagged[0].payload is None
    assert "60011" in (flagged[0].problem or "")
    assert source.skipped_members == {"m042": "WeCom errcode 60011"}
    contacts = [r for r in records if not r.problem]
    assert len(contacts) == 250 - 1  # wm0042 had m042 as its only follower


def test_a_skipped_member_makes_the_scan_incomplete(big: FakeWeCom) -> None:
    # wm0042 is followed only by m042: a complete scan would have the hub tombstone it
    full = list(source_for(big).pull("contacts", None))
    assert full[-1].scan_complete
    big.no_privilege = {"m042"}
    source = source_for(big, page_size=100)
    pages = list(source.pull("contacts", None))
    assert not any(p.scan_complete for p in pages)
    assert source.incomplete_because == ["1 follow user(s) unreadable: m042"]
    # the next scan that sees everyone is complete again
    big.no_privilege = set()
    assert list(source.pull("contacts", None))[-1].scan_complete
    assert source.incomplete_because == []


def test_a_member_without_customers_does_not_make_the_scan_incomplete(fake: FakeWeCom) -> None:
    fake.inject_errcode(84061, path="batch/get_by_user")  # the chunk of two members
    fake.inject_errcode(84061, path="batch/get_by_user")  # lisi alone: 84061, zhangsan reads
    source = source_for(fake)
    pages = list(source.pull("contacts", None))
    assert pages[-1].scan_complete and source.skipped_members
    assert "84061" in next(iter(source.skipped_members.values()))


def test_an_empty_follow_user_list_is_no_proof_that_everyone_left() -> None:
    with FakeWeCom(corp_secret=SECRET) as empty:
        source = source_for(empty)
        pages = list(source.pull("contacts", None))
    assert pages == [pages[0]] and not pages[0].records and not pages[0].scan_complete
    assert source.incomplete_because == ["the follow-user list is empty"]


def test_a_resumed_scan_is_never_complete(big: FakeWeCom) -> None:
    source = source_for(big, page_size=100)
    first = next(iter(source.pull("contacts", None)))
    assert not list(source.pull("contacts", first.cursor))[-1].scan_complete


@pytest.mark.parametrize(
    ("secret", "corp", "error"),
    [("wrong", None, AuthError), (SECRET, "wwnope", ConnectorConfigError)],
)
def test_bad_credentials_stop_the_pull(
    fake: FakeWeCom, secret: str, corp: str | None, error: type[Exception]
) -> None:
    settings = Settings(**fake.settings(corp_secret=secret, **({"corp_id": corp} if corp else {})))
    with pytest.raises(error):
        pull_all(build_source(settings, sleep=lambda s: None))


def test_unknown_stream_and_bad_cursor(fake: FakeWeCom) -> None:
    source = source_for(fake)
    with pytest.raises(ConnectorConfigError):
        list(source.pull("orders", None))
    assert len(pull_all(source, "not json")) == 2  # unreadable cursor: a full scan


# ---------------------------------------------------------------- fetch_contact


def test_fetch_contact_matches_the_scan_payload(fake: FakeWeCom) -> None:
    source = source_for(fake)
    scanned = {r.key: r.payload for r in pull_all(source)}
    single = source.fetch_contact("wmA")
    assert not single.deleted and single.payload == scanned["wmA"]


def test_fetch_contact_of_a_gone_contact_is_a_delete(fake: FakeWeCom) -> None:
    source = source_for(fake)
    fake.delete_relation("wmB", "lisi")  # no follower left: 84061
    assert source.fetch_contact("wmB") == RawRecord("wmB", None, deleted=True)
    assert source.fetch_contact("wmNOPE") == RawRecord("wmNOPE", None, deleted=True)  # 40096


# ---------------------------------------------------------------- logs


def test_registry_builds_the_source(fake: FakeWeCom) -> None:
    from connectors import registry

    source = registry.build_source("wecom", fake.settings())
    assert isinstance(source, WeComSource) and source.streams == {"contacts": "customer"}
    assert registry.build_sink("wecom", fake.settings()).batch_size == 50
    with pytest.raises(ValueError):
        Settings(**fake.settings(callback_aes_key="too-short"))


def test_fake_rate_limit_throttles_for_real(fake: FakeWeCom) -> None:
    recorded: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:  # waiting out the block moves the fake's clock
        recorded.append(seconds)
        now[0] += seconds

    fake.rate_per_minute = 2
    fake.clock = lambda: now[0]
    source = build_source(Settings(**fake.settings()), sleep=sleep)
    for _ in range(3):
        source.client.call("GET", "externalcontact/get_follow_user_list")
    assert recorded == [60.0]


def test_logs_carry_no_secret_token_or_phone(
    fake: FakeWeCom, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.inject("throttle", path="batch/get_by_user")
    fake.inject_errcode(42001, path="get_follow_user_list")
    source = source_for(fake)
    pull_all(source)
    source.fetch_contact("wmA")
    sink = build_sink(Settings(**fake.settings()), sleep=lambda s: None)
    fields = {"wecom_external_userid": "wmA", "owner": "lisi", "mobile": "13800138000"}
    fake.inject_errcode(6000, path="remark")
    assert sink.push([OutboundRecord("G1", fields)])[0].ok
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "HTTP Request" in text  # httpx logs every URL itself; our filter redacts it
    assert "gettoken" in text and "corpsecret=***" in text  # the URLs were logged, redacted
    assert SECRET not in text
    for token in fake._tokens:
        assert token not in text
    assert "13800138000" not in text and "65521234" not in text
