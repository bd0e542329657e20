"""Kingdee wire protocol against httpx.MockTransport: envelopes, login, lost-session replay."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from connectors.contract import AuthError, RemoteError, TransientError
from connectors.kingdee import Settings, build_source
from connectors.kingdee.client import LOST_SESSION, KingdeeClient

Handler = Callable[[str, dict[str, Any]], Any]


def _client(handler: Handler, **kwargs: Any) -> tuple[KingdeeClient, list[str]]:
    calls: list[str] = []

    def respond(request: httpx.Request) -> httpx.Response:
        op = request.url.path.removesuffix(".common.kdsvc").rsplit(".", 1)[-1]
        calls.append(op)
        body = json.loads(request.content)
        answer = handler(op, body)
        if isinstance(answer, httpx.Response):
            return answer
        headers = (
            {"Set-Cookie": "kdservice-sessionid=abc; Path=/"}
            if "Login" in op or (op == "ValidateUser")
            else {}
        )
        return httpx.Response(200, json=answer, headers=headers)

    args = {"acct_id": "A1", "username": "api", "password": "pw-very-secret", **kwargs}
    client = KingdeeClient(
        "http://kd.test/K3Cloud",
        transport=httpx.MockTransport(respond),
        sleep=lambda s: None,
        **args,
    )
    return client, calls


def _ok_login(op: str, body: dict[str, Any]) -> dict[str, Any] | None:
    if op in ("ValidateUser", "LoginByAppSecret"):
        return {"LoginResultType": 1, "KDSVCSessionId": "abc"}
    return None


def _lost() -> list[Any]:
    status = {
        "ErrorCode": 500,
        "IsSuccess": False,
        "MsgCode": 1,
        "Errors": [{"FieldName": None, "Message": LOST_SESSION + "，请重新登录", "DIndex": 0}],
    }
    return [[{"Result": {"ResponseStatus": status}}]]


def test_lost_session_logs_in_again_and_replays() -> None:
    answers = iter([_lost(), [[1, "C1"]]])

    def handler(op: str, body: dict[str, Any]) -> Any:
        return _ok_login(op, body) or next(answers)

    client, calls = _client(handler)
    assert client.bill_query({"FormId": "BD_Customer"}) == [[1, "C1"]]
    assert calls == ["ValidateUser", "ExecuteBillQuery", "ValidateUser", "ExecuteBillQuery"]
    assert client.logins == 2


def test_session_lost_twice_is_an_auth_error() -> None:
    client, _ = _client(lambda op, body: _ok_login(op, body) or _lost())
    with pytest.raises(AuthError):
        client.bill_query({"FormId": "BD_Customer"})


def test_failure_envelope_in_http_200_is_a_remote_error() -> None:
    status = {
        "ErrorCode": 500,
        "IsSuccess": False,
        "MsgCode": 11,
        "Errors": [{"FieldName": "FNoSuch", "Message": "字段 FNoSuch 不存在", "DIndex": 0}],
    }

    def handler(op: str, body: dict[str, Any]) -> Any:
        return _ok_login(op, body) or [[{"Result": {"ResponseStatus": status}}]]

    client, calls = _client(handler)
    with pytest.raises(RemoteError, match="FNoSuch"):
        client.bill_query({"FormId": "BD_Customer"})
    assert calls.count("ExecuteBillQuery") == 1  # not retried: retrying cannot help


def test_save_failure_envelope_names_the_error() -> None:
    status = {
        "ErrorCode": 500,
        "IsSuccess": False,
        "Errors": [{"FieldName": "FName", "Message": "客户名称是必填项", "DIndex": 0}],
    }
    client, _ = _client(
        lambda op, body: _ok_login(op, body) or {"Result": {"ResponseStatus": status}}
    )
    with pytest.raises(RemoteError, match="必填"):
        client.save("BD_Customer", {"Model": {"FCUSTID": 0}}, creates=True)


def test_refused_login_is_an_auth_error_and_keeps_the_password_out_of_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client, _ = _client(lambda op, body: {"LoginResultType": 0, "Message": "用户名或密码错误"})
    with pytest.raises(AuthError, match="用户名或密码错误"):
        client.bill_query({"FormId": "BD_Customer"})
    assert "pw-very-secret" not in caplog.text


def test_app_secret_login_sends_the_app_parameters() -> None:
    seen: list[dict[str, Any]] = []

    def handler(op: str, body: dict[str, Any]) -> Any:
        if op == "LoginByAppSecret":
            seen.append(body)
        return _ok_login(op, body) or []

    client, calls = _client(handler, password=None, app_id="app1", app_secret="s3")
    assert client.bill_query({"FormId": "BD_Customer"}) == []
    assert calls[0] == "LoginByAppSecret"
    assert seen[0]["parameters"] == ["A1", "api", "app1", "s3", 2052]


def test_garbled_query_body_is_retried_then_gives_up() -> None:
    garbled = httpx.Response(200, text='[["truncated",')
    answers = iter([garbled, [[7]]])
    client, _ = _client(lambda op, body: _ok_login(op, body) or next(answers))
    assert client.bill_query({"FormId": "BD_Customer"}) == [[7]]

    client, _ = _client(lambda op, body: _ok_login(op, body) or garbled)
    with pytest.raises(TransientError):
        client.bill_query({"FormId": "BD_Customer"})


def test_settings_need_a_login_and_forbid_unknown_keys() -> None:
    with pytest.raises(ValueError):
        Settings(base_url="http://x", acct_id="a", username="u")
    with pytest.raises(ValueError):
        Settings.model_validate(
            {"base_url": "http://x", "acct_id": "a", "username": "u", "password": "p", "nope": 1}
        )


def test_map_record_rejects_a_nameless_customer_and_a_customerless_order() -> None:
    source = build_source(Settings(base_url="http://x", acct_id="a", username="u", password="p"))
    with pytest.raises(ValueError, match="FName"):
        source.map_record("customers", {"FCUSTID": 1, "FName": " "})
    with pytest.raises(ValueError, match="FCustId"):
        source.map_record("orders", {"FId": 1, "FBillNo": "SO1", "FCustId": 0})
    source.close()
