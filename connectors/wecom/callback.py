"""WeCom change callbacks (外部联系人变更回调): crypto, URL check, event parsing, a WSGI app.

Crypto per WeCom doc 91144: ``msg_signature = sha1(sorted(token, timestamp, nonce, encrypt))``;
AES-256-CBC with key ``b64decode(EncodingAESKey + "=")`` and IV = key[:16]; PKCS#7 padded
to 32 bytes; plaintext = 16 random bytes + 4-byte big-endian length + message + ReceiveId.

Callbacks only carry ids: the hub reacts to a ``ContactChange`` by calling
``WeComSource.fetch_contact(change.external_user_id)``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import struct
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs
from xml.etree.ElementTree import Element

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml import ElementTree as SafeET

__all__ = [
    "CallbackCrypto",
    "CallbackError",
    "ContactChange",
    "WSGIApp",
    "make_callback_app",
    "parse_event",
]

log = logging.getLogger("connectors.wecom")

BLOCK = 32
MAX_BODY = 64 * 1024  # a real event is well under 2 kB


class CallbackError(Exception):
    """A callback we must refuse; ``code`` is the reference library's code (-40001 ...)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code

    @property
    def forbidden(self) -> bool:
        # not signed by WeCom with our token, or encrypted for another corp
        return self.code in (-40001, -40005)


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


class _Recent:
    """A bounded memory of dedupe keys, so a re-delivered event reaches the hub once."""

    def __init__(self, size: int) -> None:
        self._keys: OrderedDict[tuple[Any, ...], None] = OrderedDict()
        self._size = size

    def seen(self, key: tuple[Any, ...]) -> bool:
        return key in self._keys

    def add(self, key: tuple[Any, ...]) -> None:
        self._keys[key] = None
        while len(self._keys) > self._size:
            self._keys.popitem(last=False)


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def make_callback_app(
    token: str,
    aes_key: str,
    corp_id: str,
    on_event: Callable[[ContactChange], None],
    *,
    remember: int = 10_000,
) -> WSGIApp:
    """A WSGI app for the callback URL.

    GET (URL check on save) answers the decrypted echostr; POST delivers events to
    ``on_event``. 200 with an empty body = accepted; 403 = bad signature / not our corp;
    400 = unreadable request; 500 when ``on_event`` fails, so that WeCom delivers again.
    """
    crypto = CallbackCrypto(token, aes_key, corp_id)
    recent = _Recent(remember)

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
                return answer(
                    "200 OK", crypto.verify_url(signature, timestamp, nonce, echostr).encode()
                )
            if method != "POST":
                return answer("405 Method Not Allowed")
            length = int(environ.get("CONTENT_LENGTH") or 0)
            if length <= 0 or length > MAX_BODY:
                raise CallbackError("missing or oversized body", -40002)
            change = parse_event(
                crypto.decrypt_message(
                    signature, timestamp, nonce, environ["wsgi.input"].read(length)
                )
            )
        except CallbackError as exc:
            log.warning("WeCom callback refused (%s): %s", exc.code, exc)
            return answer("403 Forbidden" if exc.forbidden else "400 Bad Request")
        except ValueError:
            return answer("400 Bad Request")
        if change is None:
            return answer("200 OK")  # tag / group-chat events: acknowledged, not ours
        if recent.seen(change.dedupe_key):
            log.info("WeCom callback: duplicate %s ignored", change.change_type)
            return answer("200 OK")
        try:
            on_event(change)
        except Exception:
            log.exception("WeCom callback handler failed for %s", change.change_type)
            return answer("500 Internal Server Error")
        recent.add(change.dedupe_key)
        return answer("200 OK")

    return app
