"""WeCom change callbacks: crypto (against the fake's independent implementation), the WSGI
app on a real loopback server, and the fake's delivery with retries."""

from __future__ import annotations

import base64
import io
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from pydantic import ValidationError

from connectors.fakes.wecom import FakeWeCom, encrypt_for_callback
from connectors.wecom import ContactChange, Settings, build_callback_app
from connectors.wecom.callback import CallbackCrypto, CallbackError, make_callback_app, parse_event

TOKEN = "QDG6eK"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"  # 43 chars, doc 91144 style
CORP = "wx5823bf96d3bd56c7"


def test_crypto_round_trip_both_ways() -> None:
    crypto = CallbackCrypto(TOKEN, AES_KEY, CORP)
    message = "<xml><Content><![CDATA[你好 hello]]></Content></xml>"
    assert crypto.decrypt(crypto.encrypt(message)) == message
    # the fake's implementation is written separately: each must read the other's output
    assert crypto.decrypt(encrypt_for_callback(message, AES_KEY, CORP)) == message
    raw = base64.b64decode(crypto.encrypt("x" * 45))
    assert len(raw) % 32 == 0  # PKCS#7 to 32, not 16


def test_signature_is_sha1_of_the_sorted_parts() -> None:
    import hashlib

    crypto = CallbackCrypto(TOKEN, AES_KEY, CORP)
    parts = sorted([TOKEN, "1409659813", "1372623149", "ENCRYPTED"])
    expected = hashlib.sha1("".join(parts).encode()).hexdigest()
    assert crypto.signature("1409659813", "1372623149", "ENCRYPTED") == expected
    crypto.check_signature(expected, "1409659813", "1372623149", "ENCRYPTED")
    with pytest.raises(CallbackError) as info:
        crypto.check_signature(expected, "1409659814", "1372623149", "ENCRYPTED")
    assert info.value.code == -40001 and info.value.forbidden


def test_receive_id_mismatch_and_bad_key() -> None:
    encrypted = encrypt_for_callback("<xml/>", AES_KEY, "wwOTHERCORP")
    with pytest.raises(CallbackError) as info:
        CallbackCrypto(TOKEN, AES_KEY, CORP).decrypt(encrypted)
    assert info.value.code == -40005
    other_key = "A" * 43
    with pytest.raises(CallbackError):
        CallbackCrypto(TOKEN, other_key, CORP).decrypt(encrypted)
    with pytest.raises(CallbackError) as info:
        CallbackCrypto(TOKEN, "short", CORP)
    assert info.value.code == -40004


def test_parse_event_and_dedupe_key() -> None:
    xml = (
        "<xml><ToUserName><![CDATA[ww1]]></ToUserName><FromUserName><![CDATA[sys]]>"
        "</FromUserName><CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]>"
        "</MsgType><Event><![CDATA[change_external_contact]]></Event><ChangeType>"
        "<![CDATA[del_external_contact]]></ChangeType><UserID><![CDATA[zhangsan]]></UserID>"
        "<ExternalUserID><![CDATA[wmA]]></ExternalUserID><Source><![CDATA[DELETE_BY_TRANSFER]]>"
        "</Source></xml>"
    )
    change = parse_event(xml)
    assert change is not None
    assert change.dedupe_key == ("del_external_contact", "zhangsan", "wmA", 1403610513)
    assert change.source == "DELETE_BY_TRANSFER" and change.deletes_relation
    assert change.corp_id == "ww1"
    tag_event = xml.replace("change_external_contact", "change_external_tag")
    assert parse_event(tag_event) is None


# ---------------------------------------------------------------- the app on loopback


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture
def served() -> Iterator[tuple[str, list[ContactChange], Callable[[], None]]]:
    """The callback app on 127.0.0.1; yields (url, received events, make-handler-fail)."""
    received: list[ContactChange] = []
    failing = threading.Event()

    def on_event(change: ContactChange) -> None:
        if failing.is_set():
            raise RuntimeError("hub store is down")
        received.append(change)

    settings = Settings(
        corp_id=CORP, corp_secret="x", callback_token=TOKEN, callback_aes_key=AES_KEY
    )
    app = build_callback_app(settings, on_event)
    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/wecom/callback", received, failing.set
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_url_verification_echoes_the_plaintext(served: Any) -> None:
    url, _, _ = served
    status, body, plain = FakeWeCom(corp_id=CORP).verify_url(url, TOKEN, AES_KEY)
    assert (status, body) == (200, plain)
    status, _, _ = FakeWeCom(corp_id=CORP).verify_url(url, "wrong-token", AES_KEY)
    assert status == 403


def test_events_are_handed_over_and_bad_ones_are_refused(served: Any) -> None:
    url, received, fail = served
    fake = FakeWeCom(corp_id=CORP)
    args = (url, "add_external_contact", "zhangsan", "wmA", TOKEN, AES_KEY)
    extra = {"State": "qr-door", "WelcomeCode": "WELCOME"}
    assert fake.send_change(*args, create_time=1700000000, extra=extra) == [200]
    # WeCom's re-delivery is a new request (new nonce) of the same event: handed over
    # again with the same event_key, which is what the hub's queue keeps unique
    assert fake.send_change(*args, create_time=1700000000, extra=extra) == [200]
    assert len(received) == 2 and received[0].event_key == received[1].event_key
    change = received[0]
    assert (change.change_type, change.user_id, change.external_user_id) == (
        "add_external_contact",
        "zhangsan",
        "wmA",
    )
    assert change.state == "qr-door" and change.create_time == 1700000000
    queued = ContactChange.from_dict(change.to_dict())
    assert queued.event_key == change.event_key and queued.state == change.state
    assert "welcome" not in str(change.to_dict()).lower()  # expires in 20 s: not queued

    # forged signature, another corp's message: 403, and WeCom would retry (3 attempts)
    assert fake.send_change(url, "edit_external_contact", "a", "b", "bad", AES_KEY) == [403] * 3
    other = fake.send_change(url, "edit_external_contact", "a", "b", TOKEN, AES_KEY, "wwOTHER")
    assert other == [403] * 3
    # the hub fails to take the event: 500, so WeCom delivers again
    fail()
    assert fake.send_change(url, "del_follow_user", "a", "b", TOKEN, AES_KEY) == [500] * 3
    assert len(received) == 2


def test_a_replayed_request_is_refused(served: Any) -> None:
    url, received, _ = served
    fake = FakeWeCom(corp_id=CORP)
    assert fake.send_change(url, "edit_external_contact", "zhangsan", "wmA", TOKEN, AES_KEY) == [
        200
    ]
    assert fake.replay_last_change() == 403  # the same bytes again: signed, fresh, seen
    # the same timestamp and nonce on another signed message is a replay too
    now = int(time.time())
    ok = fake.send_change(
        url, "add_external_contact", "u", "wmB", TOKEN, AES_KEY, timestamp=now, nonce="42"
    )
    again = fake.send_change(
        url,
        "add_external_contact",
        "u",
        "wmC",
        TOKEN,
        AES_KEY,
        timestamp=now,
        nonce="42",
        attempts=1,
    )
    assert (ok, again) == ([200], [403])
    assert [c.external_user_id for c in received] == ["wmA", "wmB"]


@pytest.mark.parametrize("age", [301, -301, 86_400])
def test_a_stale_or_future_timestamp_is_refused(served: Any, age: int) -> None:
    url, received, _ = served
    fake = FakeWeCom(corp_id=CORP)
    stale = int(time.time()) - age
    statuses = fake.send_change(
        url, "add_external_contact", "u", "wmA", TOKEN, AES_KEY, timestamp=stale, attempts=1
    )
    assert statuses == [403] and received == []
    status, _, _ = fake.verify_url(url, TOKEN, AES_KEY)  # a fresh one still passes
    assert status == 200


def test_the_freshness_window_is_configurable() -> None:
    clock = [1_800_000_000.0]
    crypto = CallbackCrypto(TOKEN, AES_KEY, CORP)
    received: list[ContactChange] = []
    settings = Settings(
        corp_id=CORP,
        corp_secret="x",
        callback_token=TOKEN,
        callback_aes_key=AES_KEY,
        callback_max_age=30,
    )
    app = build_callback_app(settings, received.append, clock=lambda: clock[0])
    xml = (
        "<xml><Event>change_external_contact</Event><ChangeType>add_external_contact"
        "</ChangeType><UserID>u</UserID><ExternalUserID>wmA</ExternalUserID>"
        "<CreateTime>1</CreateTime></xml>"
    )

    def post(timestamp: int, nonce: str) -> str:
        encrypt = crypto.encrypt(xml)
        sig = crypto.signature(str(timestamp), nonce, encrypt)
        body = f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode()
        return _call(app, "POST", f"msg_signature={sig}&timestamp={timestamp}&nonce={nonce}", body)[
            0
        ]

    assert post(1_800_000_000 - 30, "1").startswith("200")
    assert post(1_800_000_000 - 31, "2").startswith("403")
    clock[0] += 100  # our clock moved on: the same age is judged against it
    assert post(1_800_000_100 - 20, "3").startswith("200")
    assert len(received) == 2
    with pytest.raises(ValidationError):
        Settings(corp_id=CORP, corp_secret="x", callback_max_age=0)


def _call(app: Any, method: str, query: str, body: bytes = b"") -> tuple[str, bytes]:
    seen: dict[str, str] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"] = status

    environ = {
        "REQUEST_METHOD": method,
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    out = b"".join(app(environ, start_response))
    return seen["status"], out


@pytest.mark.parametrize(
    ("query", "body"),
    [
        ("", b"<xml/>"),  # no signature parameters
        ("msg_signature=a&timestamp=1&nonce=2", b"not xml at all"),
        ("msg_signature=a&timestamp=1&nonce=2", b"<xml><ToUserName>x</ToUserName></xml>"),
        (
            "msg_signature=a&timestamp=1&nonce=2",
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml>&a;</xml>',
        ),
    ],
)
def test_unreadable_requests_are_400(query: str, body: bytes) -> None:
    app = make_callback_app(TOKEN, AES_KEY, CORP, lambda c: None)
    status, out = _call(app, "POST", query, body)
    assert status.startswith("400") and out == b""


def test_garbage_inside_a_signed_envelope_is_400() -> None:
    crypto = CallbackCrypto(TOKEN, AES_KEY, CORP)
    encrypt = crypto.encrypt("this is not xml")
    sig = crypto.signature("1", "2", encrypt)
    body = f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode()
    app = make_callback_app(TOKEN, AES_KEY, CORP, lambda c: None, clock=lambda: 1.0)
    status, _ = _call(app, "POST", f"msg_signature={sig}&timestamp=1&nonce=2", body)
    assert status.startswith("400")
