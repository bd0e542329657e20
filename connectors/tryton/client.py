"""Tryton JSON-RPC: session login, model calls with a context, typed values, error envelopes.

Transport and auth problems are HTTP statuses with HTML bodies (401 for a bad or expired
session); everything that goes wrong *inside* a call is HTTP 200 with ``{"error": ...}``.
Typed values travel as tagged objects (``{"__class__": "datetime", ...}``); payloads
handed to the hub are plain JSON, so they are turned into ISO strings on the way in.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx

from connectors.contract import AuthError, ConnectorConfigError, RemoteError, TransientError
from connectors.http import HttpClient, RetryPolicy, mask_phones, redact_url

__all__ = ["TrytonClient", "from_wire", "to_wire"]

log = logging.getLogger("connectors.tryton")


def from_wire(value: Any) -> Any:
    """Tagged Tryton values -> JSON-friendly ones (datetimes/dates as ISO, Decimal as str)."""
    if isinstance(value, list):
        return [from_wire(v) for v in value]
    if not isinstance(value, dict):
        return value
    kind = value.get("__class__")
    if kind == "datetime":
        y, mo, d, h, mi, s, us = (
            int(value.get(k, 0))
            for k in ("year", "month", "day", "hour", "minute", "second", "microsecond")
        )
        return datetime(y, mo, d, h, mi, s, us).isoformat()
    if kind == "date":
        return date(value["year"], value["month"], value["day"]).isoformat()
    if kind == "Decimal":
        return str(value["decimal"])
    if kind == "bytes":
        return value.get("base64")
    return {k: from_wire(v) for k, v in value.items()}


def to_wire(value: Any) -> Any:
    """Python values -> Tryton tagged values (naive UTC datetimes, dates, Decimals)."""
    if isinstance(value, datetime):
        return {
            "__class__": "datetime",
            "year": value.year,
            "month": value.month,
            "day": value.day,
            "hour": value.hour,
            "minute": value.minute,
            "second": value.second,
            "microsecond": value.microsecond,
        }
    if isinstance(value, date):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, list | tuple):
        return [to_wire(v) for v in value]
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    return value


def _error_text(error: Any) -> str:
    # UserError: ["UserError", [message, description, domain]]; others: [str(exc), traceback]
    if isinstance(error, list) and error:
        if len(error) > 1 and isinstance(error[1], list) and error[1]:
            return f"{error[0]}: {error[1][0]}"
        return str(error[0])
    return str(error)


class TrytonClient:
    """One Tryton session on one database; re-logs in once when the session is refused."""

    def __init__(
        self,
        url: str,
        database: str,
        *,
        username: str,
        password: str,
        language: str = "en",
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        base = url.rstrip("/") + "/"
        self.database = database
        self.username = username
        self._password = password
        self._language = language
        self._http = HttpClient(
            base, system="tryton", timeout=timeout, retry=retry, transport=transport, sleep=sleep
        )
        # creates are sent once: a lost answer may hide a record that was made
        self._http_once = HttpClient(
            base,
            system="tryton",
            timeout=timeout,
            retry=RetryPolicy(max_attempts=1),
            transport=transport,
            sleep=sleep,
        )
        self._auth: str | None = None
        self.context: dict[str, Any] = {}
        self.logins = 0
        self._ids = 0
        log.debug("tryton client for %s db %s", redact_url(base), database)

    def close(self) -> None:
        self._http.close()
        self._http_once.close()

    @property
    def _path(self) -> str:
        # the trailing slash matters: /<db>/rpc answers 308
        return f"{self.database}/rpc/"

    def login(self) -> None:
        params = [self.username, {"password": self._password}, self._language]
        try:
            result = self._rpc("common.db.login", params, headers={}, once=False)
        except AuthError as exc:
            raise AuthError(f"tryton refused the login of {self.username!r}") from exc
        if not (isinstance(result, list) and len(result) >= 2):
            raise AuthError("tryton login answered something unexpected")
        token = f"{self.username}:{result[0]}:{result[1]}"
        self._auth = "Session " + base64.b64encode(token.encode()).decode()
        self.logins += 1
        # the user's preferences carry the company the sale model needs in its context
        prefs = self._rpc(
            "model.res.user.get_preferences",
            [True, {}],
            headers={"Authorization": self._auth},
            once=False,
        )
        keep = ("company", "language", "employee")
        self.context = {k: prefs[k] for k in keep if isinstance(prefs, dict) and k in prefs}
        log.info("tryton: logged in as %s on %s", self.username, self.database)

    def call(
        self,
        model: str,
        method: str,
        *args: Any,
        context: dict[str, Any] | None = None,
        once: bool = False,
    ) -> Any:
        """Call ``model.<model>.<method>``; the session context is merged with ``context``."""
        if self._auth is None:
            self.login()
        params = [*to_wire(list(args)), {**self.context, **(context or {})}]
        name = f"model.{model}.{method}"
        for first in (True, False):
            try:
                return from_wire(
                    self._rpc(name, params, headers={"Authorization": str(self._auth)}, once=once)
                )
            except AuthError:
                if not first:
                    raise
                log.info("tryton: session refused during %s; logging in again", name)
                self.login()
        raise AssertionError("unreachable")

    def _rpc(self, method: str, params: list[Any], *, headers: dict[str, str], once: bool) -> Any:
        self._ids += 1
        http = self._http_once if once else self._http
        response = http.post(
            self._path, json={"id": self._ids, "method": method, "params": params}, headers=headers
        )
        if response.status_code == 404:
            raise ConnectorConfigError(f"tryton has no database {self.database!r} (HTTP 404)")
        if response.status_code in (403, 422) or response.status_code >= 400:
            raise RemoteError(
                f"tryton {method} answered HTTP {response.status_code}", code=response.status_code
            )
        body = http.json(response)
        if not isinstance(body, dict):
            raise TransientError(f"tryton {method} answered without a JSON-RPC envelope")
        if body.get("error") is not None:
            text = mask_phones(_error_text(body["error"]))
            if method == "common.db.login":
                raise AuthError(f"tryton login failed: {text}")
            raise RemoteError(f"tryton {method} failed: {text}")
        return body.get("result")
