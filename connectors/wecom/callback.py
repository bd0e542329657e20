"""WeCom change callbacks (外部联系人变更回调): crypto, URL check, event parsing, a WSGI app.

Crypto per WeCom doc 91144: ``msg_signature = sha1(sorted(token, timestamp, nonce, encrypt))``;
AES-256-CBC with key ``b64decode(EncodingAESKey + "=")`` and IV = key[:16]; PKCS#7 padded
to 32 bytes; plaintext = 16 random bytes + 4-byte big-endian length + message + ReceiveId.

Callbacks only carry ids: the hub reacts to a ``ContactChange`` by calling
``WeComSource.fetch_contact(change.external_user_id)``.

A signed request is still refused when it is stale (its ``timestamp`` more than
``max_age`` seconds, 5 minutes by default, from our clock either way) or a replay (its
``timestamp``/``nonce`` pair seen before; a ``NonceMemory`` remembers them, in the hub
for ``chub serve-callbacks``). A fresh pair outlives the window in memory only as long as
needed: past it, the timestamp alone refuses the request. ``on_event`` must be quick
(WeCom wants an answer within 5 s and re-delivers otherwise): the hub only queues the
event there, a worker fetches the contact afterwards. A re-delivered event has a new
nonce but the same ``ContactChange.event_key``, which is what the queue keeps unique.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import struct
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs
from xml.etree.ElementTree import Element

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml import ElementTree as SafeET

__all__ = [
    "DEFAULT_MAX_AGE",
    "CallbackCrypto",
    "CallbackError",
    "ContactChange",
    "MemoryNonces",
    "NonceMemory",
    "WSGIApp",
    "make_callback_app",
    "parse_event",
]

log = logging.getLogger("connectors.wecom")

BLOCK = 32
MAX_BODY = 64 * 1024  # a real event is well under 2 kB
#: how far a request's timestamp may be from our clock (seconds, either way)
DEFAULT_MAX_AGE = 300.0


class CallbackError(Exception):
    """A callback we must refuse; ``code`` is the reference library's code (-40001 ...)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code

    @property
    def forbidden(self) -> bool:
        # not signed by WeCom with our token, encrypted for another corp, stale, replayed
        return self.code in (-40001, -40005, STALE, REPLAYED)


#: our own codes (not the reference library's) for a signed request we still refuse
STALE = -41001
REPLAYED = -41002


class CallbackCrypto:
    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except binascii.Error as exc:
            raise CallbackError("EncodingAESKey is not base64", -40004) from exc
        if len(encoding_aes_key) != 43 or len(key) != 32:
            raise CallbackError("EncodingAESKey must be 43 characters (32 bytes)", -40004)
        self.token = token
        self.key = key
        self.receive_id = receive_id

    def signature(self, timestamp: str, nonce: str, encrypt: str) -> str:
        joined = "".join(sorted([self.token, timestamp, nonce, encrypt]))
        return hashlib.sha1(joined.encode()).hexdigest()

    def check_signature(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        expected = self.signature(timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected, (msg_signature or "").lower()):
            raise CallbackError("msg_signature does not match", -40001)

    def encrypt(self, message: str, random16: bytes | None = None) -> str:
        msg = message.encode()
        plain = (random16 or os.urandom(16)) + struct.pack(">I", len(msg)) + msg
        plain += self.receive_id.encode()
        pad = BLOCK - len(plain) % BLOCK
        plain += bytes([pad]) * pad
        encryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()

    def decrypt(self, encrypt: str) -> str:
        try:
            data = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CallbackError("Encrypt is not base64", -40010) from exc
        if not data or len(data) % 16:
            raise CallbackError("Encrypt is not a whole number of AES blocks", -40007)
        decryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise CallbackError("bad PKCS#7 padding (wrong EncodingAESKey?)", -40007)
        plain = plain[:-pad]
        if len(plain) < 20:
            raise CallbackError("decrypted buffer too short", -40008)
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise CallbackError("message length runs past the buffer", -40008)
        message, receive_id = plain[20 : 20 + length], plain[20 + length :]
        if not hmac.compare_digest(receive_id, self.receive_id.encode()):
            raise CallbackError("ReceiveId does not match our corp id", -40005)
        try:
            return message.decode()
        except UnicodeDecodeError as exc:
            raise CallbackError("message is not UTF-8", -40008) from exc

    # -------------------------------------------------------------- the two entry points
    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """GET on save: check and decrypt ``echostr``; answer the plaintext as the body."""
        self.check_signature(msg_signature, timestamp, nonce, echostr)
        return self.decrypt(echostr)

    def decrypt_message(self, msg_signature: str, timestamp: str, nonce: str, body: bytes) -> str:
        """POST event: pull ``Encrypt`` out of the envelope, check, decrypt -> event XML."""
        root = _parse_xml(body)
        encrypt = root.findtext("Encrypt")
        if not encrypt:
            raise CallbackError("envelope has no Encrypt element", -40002)
        self.check_signature(msg_signature, timestamp, nonce, encrypt)
        return self.decrypt(encrypt)


def _parse_xml(data: bytes | str) -> Element:
    # defusedxml: the envelope is parsed before the signature can be checked, so it must
    # be safe against entity expansion and external entities
    try:
        root: Element = SafeET.fromstring(data)
    except Exception as exc:  # ParseError and defusedxml's refusals alike
        raise CallbackError(f"not well-formed XML: {type(exc).__name__}", -40002) from exc
    return root


@dataclass(frozen=True)
class ContactChange:
    """One ``change_external_contact`` event (ids only)."""

    change_type: str
    user_id: str
    external_user_id: str
    create_time: int
    corp_id: str = ""
    state: str | None = None
    welcome_code: str | None = None
    source: str | None = None  # DELETE_BY_TRANSFER when removed by 在职继承
    fail_reason: str | None = None
    raw: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def dedupe_key(self) -> tuple[str, str, str, int]:
        # WeCom re-delivers an event it thinks we missed; these four identify it
        return (self.change_type, self.user_id, self.external_user_id, self.create_time)

    @property
    def event_key(self) -> str:
        """``dedupe_key`` as one string of at most 255 characters (a hub column)."""
        key = ":".join(str(part) for part in self.dedupe_key)
        if len(key) <= 255:
            return key
        return "sha1:" + hashlib.sha1(key.encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """What a queue keeps of the event (the welcome code expires in 20 s: not kept)."""
        return {
            "change_type": self.change_type,
            "user_id": self.user_id,
            "external_user_id": self.external_user_id,
            "create_time": self.create_time,
            "corp_id": self.corp_id,
            "state": self.state,
            "source": self.source,
            "fail_reason": self.fail_reason,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ContactChange:
        return cls(
            change_type=str(data["change_type"]),
            user_id=str(data.get("user_id") or ""),
            external_user_id=str(data.get("external_user_id") or ""),
            create_time=int(data.get("create_time") or 0),
            corp_id=str(data.get("corp_id") or ""),
            state=data.get("state"),
            source=data.get("source"),
            fail_reason=data.get("fail_reason"),
        )

    @property
    def deletes_relation(self) -> bool:
        return self.change_type in ("del_external_contact", "del_follow_user")


def parse_event(xml: str) -> ContactChange | None:
    """Decrypted event XML -> ContactChange; None for other events (tags, group chats)."""
    root = _parse_xml(xml.encode())
    raw = {child.tag: (child.text or "").strip() for child in root}
    if raw.get("Event") != "change_external_contact":
        return None
    try:
        create_time = int(raw.get("CreateTime", ""))
    except ValueError as exc:
        raise CallbackError("CreateTime is not a number", -40002) from exc
    if not raw.get("ChangeType"):
        raise CallbackError("event has no ChangeType", -40002)
    return ContactChange(
        change_type=raw["ChangeType"],
        user_id=raw.get("UserID", ""),
        external_user_id=raw.get("ExternalUserID", ""),
        create_time=create_time,
        corp_id=raw.get("ToUserName", ""),
        state=raw.get("State") or None,
        welcome_code=raw.get("WelcomeCode") or None,
        source=raw.get("Source") or None,
        fail_reason=raw.get("FailReason") or None,
        raw=raw,
    )


class NonceMemory(Protocol):
    """Where the (timestamp, nonce) pairs of accepted requests are remembered."""

    def seen(self, timestamp: str, nonce: str) -> bool: ...

    def remember(self, timestamp: str, nonce: str) -> None: ...


class MemoryNonces:
    """A NonceMemory of one process, forgetting pairs older than the freshness window."""

    def __init__(self, max_age: float = DEFAULT_MAX_AGE, clock: Callable[[], float] = time.time):
        self._pairs: dict[tuple[str, str], float] = {}
        self._max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()

    def seen(self, timestamp: str, nonce: str) -> bool:
        with self._lock:
            return (timestamp, nonce) in self._pairs

    def remember(self, timestamp: str, nonce: str) -> None:
        now = self._clock()
        with self._lock:
            self._pairs[(timestamp, nonce)] = now
            for pair, at in list(self._pairs.items()):
                if at < now - 2 * self._max_age:
                    del self._pairs[pair]


def check_fresh(timestamp: str, now: float, max_age: float) -> None:
    """Refuse a request whose timestamp is not within ``max_age`` seconds of ``now``."""
    try:
        sent = int(timestamp)
    except ValueError:
        raise CallbackError("timestamp is not a number", -40002) from None
    if abs(now - sent) > max_age:
        raise CallbackError(
            f"timestamp is {now - sent:+.0f} s from our clock (allowed: {max_age:g} s)", STALE
        )


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def make_callback_app(
    token: str,
    aes_key: str,
    corp_id: str,
    on_event: Callable[[ContactChange], None],
    *,
    nonces: NonceMemory | None = None,
    max_age: float = DEFAULT_MAX_AGE,
    clock: Callable[[], float] = time.time,
) -> WSGIApp:
    """A WSGI app for the callback URL.

    GET (URL check on save) answers the decrypted echostr; POST hands events to
    ``on_event`` (which should only queue them). 200 with an empty body = accepted;
    403 = bad signature, not our corp, stale timestamp or a replay; 400 = unreadable
    request; 500 when ``on_event`` fails, so that WeCom delivers again.
    """
    crypto = CallbackCrypto(token, aes_key, corp_id)
    memory: NonceMemory = nonces if nonces is not None else MemoryNonces(max_age, clock)

    def admit(timestamp: str, nonce: str) -> None:
        # after the signature check: only WeCom's own requests are judged and remembered
        check_fresh(timestamp, clock(), max_age)
        if memory.seen(timestamp, nonce):
            raise CallbackError("timestamp and nonce seen before: a replay", REPLAYED)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def answer(status: str, body: bytes = b"") -> list[bytes]:
            start_response(
                status,
                [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
            )
            return [body]

        # parse_qs URL-decodes: echostr arrives percent-encoded
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        signature, timestamp, nonce = (
            query.get(k, "") for k in ("msg_signature", "timestamp", "nonce")
        )
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            if not (signature and timestamp and nonce):
                raise CallbackError("msg_signature, timestamp and nonce are required", -40002)
            if method == "GET":
                # base64 has no spaces: a space is a "+" that arrived un-encoded
                echostr = query.get("echostr", "").replace(" ", "+")
                plain = crypto.verify_url(signature, timestamp, nonce, echostr)
                admit(timestamp, nonce)
                memory.remember(timestamp, nonce)
                return answer("200 OK", plain.encode())
            if method != "POST":
                return answer("405 Method Not Allowed")
            length = int(environ.get("CONTENT_LENGTH") or 0)
            if length <= 0 or length > MAX_BODY:
                raise CallbackError("missing or oversized body", -40002)
            xml = crypto.decrypt_message(
                signature, timestamp, nonce, environ["wsgi.input"].read(length)
            )
            admit(timestamp, nonce)
            change = parse_event(xml)
        except CallbackError as exc:
            log.warning("WeCom callback refused (%s): %s", exc.code, exc)
            return answer("403 Forbidden" if exc.forbidden else "400 Bad Request")
        except ValueError:
            return answer("400 Bad Request")
        if change is not None:
            try:
                on_event(change)
            except Exception:
                log.exception("WeCom callback handler failed for %s", change.change_type)
                return answer("500 Internal Server Error")
        else:
            log.debug("WeCom callback: not a contact change, acknowledged")  # tags, group chats
        try:
            memory.remember(timestamp, nonce)
        except Exception:
            # the event is queued: forgetting its nonce only weakens replay refusal, and a
            # replay of it lands on the same queue row (same event key)
            log.exception("WeCom callback: could not remember the nonce")
        return answer("200 OK")

    return app
