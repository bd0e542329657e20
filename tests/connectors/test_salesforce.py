"""Salesforce sink: wire envelope (MockTransport) and the fake on loopback."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from connectors.contract import AuthError, ConnectorConfigError, OutboundRecord
from connectors.fakes.salesforce import FakeSalesforce
from connectors.salesforce import SalesforceSink, Settings
from connectors.salesforce.mapping import to_account

PATH = "/services/data/v60.0/composite/sobjects/Account/Chub_Golden_Id__c"


def rec(n: int, **fields: Any) -> OutboundRecord:
    return OutboundRecord(f"G{n:04d}", {"name": f"客户{n}", "mobile": "13800138000", **fields})


@pytest.fixture
def fake():
    with FakeSalesforce() as server:
        server.timeout_hold = 0.6
        yield server


def make_sink(
    fake: FakeSalesforce, waits: list[float] | None = None, **extra: Any
) -> SalesforceSink:
    settings = Settings(**{**fake.settings(), "timeout": 0.3, **extra})
    return SalesforceSink(settings, sleep=waits.append if waits is not None else (lambda s: None))


# ---------------------------------------------------------------- MockTransport


def _mock(handler, waits: list[float] | None = None) -> SalesforceSink:
    settings = Settings(instance_url="https://acme.my.salesforce.test", access_token="SECRET")
    return SalesforceSink(
        settings,
        transport=httpx.MockTransport(handler),
        sleep=(waits.append if waits is not None else lambda s: None),
    )


def test_envelope_and_results_in_input_order() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json=[
                {"id": "001A", "success": True, "created": True, "errors": []},
                {
                    "id": None,
                    "success": False,
                    "created": False,
                    "errors": [
                        {
                            "statusCode": "REQUIRED_FIELD_MISSING",
                            "message": "Required fields are missing: [Name]",
                            "fields": ["Name"],
                        }
                    ],
                },
                {"id": "001C", "success": True, "created": False, "errors": []},
            ],
        )

    results = _mock(handler).push([rec(1), OutboundRecord("G0002", {"email": "x@y.cn"}), rec(3)])
    request = seen[0]
    assert request.method == "PATCH" and request.url.path == PATH
    assert request.headers["Authorization"] == "Bearer SECRET"
    body = json.loads(request.content)
    assert body["allOrNone"] is False
    assert body["records"][0] == {
        "attributes": {"type": "Account"},
        "Name": "客户1",
        "Phone": "13800138000",
        "Chub_Mobile__c": "13800138000",
        "Chub_Golden_Id__c": "G0001",
    }
    assert [(r.golden_id, r.ok, r.created, r.target_id) for r in results] == [
        ("G0001", True, True, "001A"),
        ("G0002", False, False, None),
        ("G0003", True, False, "001C"),
    ]
    assert results[1].error.startswith("REQUIRED_FIELD_MISSING") and not results[1].retryable


def test_malformed_request_fails_every_record() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            400, json=[{"message": "Unexpected character", "errorCode": "JSON_PARSER_ERROR"}]
        )

    results = _mock(handler).push([rec(1), rec(2)])
    assert [r.ok for r in results] == [False, False]
    assert all(
        "JSON_PARSER_ERROR: Unexpected character" in r.error and not r.retryable for r in results
    )


def test_403_request_limit_is_a_throttle() -> None:
    waits: list[float] = []
    answers = iter(
        [
            httpx.Response(
                403,
                json=[
                    {
                        "message": "TotalRequests Limit exceeded.",
                        "errorCode": "REQUEST_LIMIT_EXCEEDED",
                    }
                ],
            ),
            httpx.Response(
                200, json=[{"id": "001A", "success": True, "created": True, "errors": []}]
            ),
        ]
    )
    results = _mock(lambda r: next(answers), waits).push([rec(1)])
    assert results[0].ok and waits == [30.0]


def test_throttle_past_the_budget_gives_retryable_failures() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            403, json=[{"message": "limit", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
        )

    waits: list[float] = []
    results = _mock(handler, waits).push([rec(1), rec(2)])
    assert [r.retryable for r in results] == [True, True] and len(waits) == 4


def test_403_without_throttle_and_404_stop_the_push() -> None:
    with pytest.raises(AuthError):
        _mock(
            lambda r: httpx.Response(
                403, json=[{"message": "no", "errorCode": "INSUFFICIENT_ACCESS"}]
            )
        ).push([rec(1)])
    with pytest.raises(ConnectorConfigError):
        _mock(
            lambda r: httpx.Response(404, json=[{"message": "no", "errorCode": "NOT_FOUND"}])
        ).push([rec(1)])


def test_mapping_company_person_lists_and_overrides() -> None:
    company = to_account(
        {
            "customer_type": "company",
            "name": "张伟",
            "company_name": "星辰科技",
            "tags": ["VIP", "KA"],
            "district": "海淀区",
            "address": "中关村大街1号",
            "phones": ["010-6552 1234"],
            "revenue": 1280.0,
            "email": None,
        }
    )
    assert company["Name"] == "星辰科技" and company["Chub_Tags__c"] == "VIP;KA"
    assert company["BillingStreet"] == "海淀区中关村大街1号" and company["Phone"] == "010-6552 1234"
    assert company["Chub_Revenue__c"] == 1280.0
    assert company["Chub_Email__c"] is None  # a value removed upstream is cleared
    assert "Chub_USCC__c" not in company  # an absent value is left alone
    custom = to_account(
        {"name": "A", "email": "a@b.cn", "uscc": "X"}, {"email": "Email__c", "uscc": ""}
    )
    assert (
        custom["Email__c"] == "a@b.cn"
        and "Chub_Email__c" not in custom
        and "Chub_USCC__c" not in custom
    )


def test_settings_need_credentials() -> None:
    with pytest.raises(ValueError):
        Settings(instance_url="https://x")


# ---------------------------------------------------------------- loopback


def test_partial_failure_report(fake: FakeSalesforce) -> None:
    fake.fail_ids["G0003"] = "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    batch = [
        rec(1),
        OutboundRecord("G0002", {"email": "x@y.cn"}),
        rec(3),
        rec(4),
        rec(4, name="dup"),
    ]
    results = make_sink(fake).push(batch)
    assert [r.ok for r in results] == [True, False, False, False, False]
    assert "REQUIRED_FIELD_MISSING" in results[1].error
    assert "FIELD_CUSTOM_VALIDATION_EXCEPTION" in results[2].error
    assert (
        "DUPLICATE_EXTERNAL_ID" in results[3].error and "DUPLICATE_EXTERNAL_ID" in results[4].error
    )
    assert set(fake.records) == {"G0001"}
    assert fake.records["G0001"]["Name"] == "客户1"


def test_batches_of_200(fake: FakeSalesforce) -> None:
    sink = make_sink(fake)
    assert sink.batch_size == 200
    results = sink.push([rec(n) for n in range(200)])
    assert all(r.ok and r.created for r in results) and len(fake.records) == 200
    with pytest.raises(ValueError):
        sink.push([rec(n) for n in range(201)])
    # the fake refuses more than 200 like Salesforce does
    token = httpx.post(
        f"{fake.url}/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": fake.client_id,
            "client_secret": fake.client_secret,
        },
    ).json()["access_token"]
    body = {
        "allOrNone": False,
        "records": [
            {"attributes": {"type": "Account"}, "Chub_Golden_Id__c": f"X{n}", "Name": "n"}
            for n in range(201)
        ],
    }
    answer = httpx.patch(
        f"{fake.url}{PATH}", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 400 and answer.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_retry_after_lost_answer_creates_no_duplicate(fake: FakeSalesforce) -> None:
    sink = make_sink(fake)
    fake.lose_answers = 1  # Salesforce wrote the batch, but its answer never reached us
    results = sink.push([rec(1), rec(2)])
    assert all(r.ok for r in results) and len(fake.records) == 2
    again = sink.push([rec(1, city="北京市"), rec(2)])
    assert [r.created for r in again] == [False, False] and len(fake.records) == 2
    assert fake.records["G0001"]["BillingCity"] == "北京市"
    assert again[0].target_id == results[0].target_id


@pytest.mark.parametrize("kind", ["http_500", "timeout", "malformed_json", "throttle"])
def test_transient_faults_are_retried(fake: FakeSalesforce, kind: str) -> None:
    waits: list[float] = []
    fake.inject(kind, path="/composite/")
    results = make_sink(fake, waits).push([rec(1), rec(2)])
    assert all(r.ok for r in results) and len(fake.records) == 2
    assert len(waits) == 1
    if kind == "throttle":
        assert waits == [30.0]


def test_token_expired_refreshes_once(fake: FakeSalesforce) -> None:
    sink = make_sink(fake)
    assert sink.push([rec(1)])[0].ok and fake.tokens_issued == 1
    fake.inject("token_expired", path="/composite/")
    assert sink.push([rec(2)])[0].ok and fake.tokens_issued == 2


def test_static_token_cannot_be_refreshed() -> None:
    with FakeSalesforce(static_token="STATIC") as server:
        sink = SalesforceSink(
            Settings(instance_url=server.url, access_token="STATIC"), sleep=lambda s: None
        )
        assert sink.push([rec(1)])[0].ok
        server.inject("token_expired")
        with pytest.raises(AuthError):
            sink.push([rec(2)])


def test_bad_client_secret_is_an_auth_error(fake: FakeSalesforce) -> None:
    with pytest.raises(AuthError, match="invalid_client"):
        make_sink(fake, client_secret="wrong").push([rec(1)])


def test_all_or_none_rolls_back_and_single_upsert(fake: FakeSalesforce) -> None:
    token = httpx.post(
        f"{fake.url}/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": fake.client_id,
            "client_secret": fake.client_secret,
        },
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    body = {
        "allOrNone": True,
        "records": [
            {"attributes": {"type": "Account"}, "Chub_Golden_Id__c": "A", "Name": "ok"},
            {"attributes": {"type": "Account"}, "Chub_Golden_Id__c": "B", "Name": ""},
        ],
    }
    items = httpx.patch(f"{fake.url}{PATH}", json=body, headers=auth).json()
    assert [i["success"] for i in items] == [False, False] and fake.records == {}
    single = f"{fake.url}/services/data/v60.0/sobjects/Account/Chub_Golden_Id__c/S1"
    assert httpx.patch(single, json={"Name": "x"}, headers=auth).status_code == 201
    assert httpx.patch(single, json={"Name": "y"}, headers=auth).status_code == 204
    fake.duplicates.add("S2")
    dup = f"{fake.url}/services/data/v60.0/sobjects/Account/Chub_Golden_Id__c/S2"
    assert httpx.patch(dup, json={"Name": "x"}, headers=auth).status_code == 300


def test_seeded_accounts_are_updated_not_duplicated_and_logs_hide_tokens(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    seed = {"accounts": [{"Chub_Golden_Id__c": "G0001", "Name": "旧名"}]}
    with FakeSalesforce(seed) as server:
        sink = make_sink(server)
        server.inject("token_expired", path="/composite/")
        results = sink.push([rec(1)])
        assert results[0].ok and not results[0].created
        assert server.records["G0001"]["Name"] == "客户1" and len(server.records) == 1
    assert "token" in caplog.text  # the refresh is logged ...
    assert "00DFAKE" not in caplog.text and server.client_secret not in caplog.text  # ... not it
