"""Kingdee K3Cloud WebAPI wire protocol: session login, ExecuteBillQuery, View-less lookups, Save.

K3Cloud answers HTTP 200 even for failures; the failure hides in a ``ResponseStatus``
object (``[[{"Result":{"ResponseStatus":...}}]]`` for a query, ``{"Result":{...}}`` for
Save). A lost session ("会话信息已丢失，请重新登录", ErrorCode 500) means: log in again
and replay the call once.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx

from connectors.contract import AuthError, RemoteError, TransientError
from connectors.http import HttpClient, RetryPolicy, mask_phones, redact_url

__all__ = ["KingdeeClient", "LOST_SESSION", "SERVICES"]

log = logging.getLogger("connectors.kingdee")

_STUB = "Kingdee.BOS.WebApi.ServicesStub."
SERVICES = {
    "ValidateUser": _STUB + "AuthService.ValidateUser",
    "LoginByAppSecret": _STUB + "AuthService.LoginByAppSecret",
    "ExecuteBillQuery": _STUB + "DynamicFormService.ExecuteBillQuery",
    "Save": _STUB + "DynamicFormService.Save",
    "BatchSave": _STUB + "DynamicFormService.BatchSave",
}
LOST_SESSION = "会话信息已丢失"


def _status_of(body: Any) -> dict[str, Any] | None:
    """Find a ResponseStatus in any of the envelopes K3Cloud wraps it in, else None."""
    node = body
    # a failed query nests the status object in two arrays: [[{"Result": {...}}]]
    while isinstance(node, list) and len(node) == 1 and isinstance(node[0], list | dict):
        node = node[0]
    if isinstance(node, dict):
        result = node.get("Result")
        if isinstance(result, dict) and isinstance(result.get("ResponseStatus"), dict):
            status: dict[str, Any] = result["ResponseStatus"]
            return status
    return None


def _status_message(status: dict[str, Any]) -> str:
    errors = status.get("Errors") or []
    texts = [str(e.get("Message", "")) for e in errors if isinstance(e, dict)]
    return "; ".join(t for t in texts if t) or str(status.get("Message") or "no message")


def _is_lost_session(status: dict[str, Any]) -> bool:
    # ErrorCode 500 is shared by many failures; only the message is specific
    return LOST_SESSION in _status_message(status)


class KingdeeClient:
    """One logged-in K3Cloud session; ``call`` re-logs in once when the session is lost."""

    def __init__(
        self,
        base_url: str,
        *,
        acct_id: str,
        username: str,
        password: str | None = None,
        app_id: str | None = None,
        app_secret: str | None = None,
        lcid: int = 2052,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not (password or (app_id and app_secret)):
            raise AuthError("kingdee: give either password or app_id + app_secret")
        self._login_args: list[Any]
        if app_id and app_secret:
            self._login_service = "LoginByAppSecret"
            self._login_args = [acct_id, username, app_id, app_secret, lcid]
        else:
            self._login_service = "ValidateUser"
            self._login_args = [acct_id, username, password, lcid]
        base = base_url.rstrip("/") + "/"
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._http = HttpClient(
            base,
            system="kingdee",
            timeout=timeout,
            retry=self.retry,
            transport=transport,
            sleep=sleep,
        )
        # Save that *creates* must never be resent blindly: a lost answer may hide a
        # record that was made. This client sends once; the sink looks up and decides.
        self._http_once = HttpClient(
            base,
            system="kingdee",
            timeout=timeout,
            retry=RetryPolicy(max_attempts=1),
            transport=transport,
            sleep=sleep,
        )
        self._logged_in = False
        self.logins = 0
        log.debug("kingdee client for %s", redact_url(base))

    def close(self) -> None:
        self._http.close()
        self._http_once.close()

    # ------------------------------------------------------------------ auth
    def login(self) -> None:
        self._http.cookies.clear()
        body = {
            "format": 1,
            "useragent": "ApiClient",
            "rid": str(int(time.time() * 1000)),
            "parameters": self._login_args,
            "timestamp": time.strftime("%Y-%m-%d"),
            "v": "1.0",
        }
        response = self._http.post(self._path(self._login_service), json=body)
        data = self._decode(response)
        if not isinstance(data, dict) or data.get("LoginResultType") != 1:
            message = data.get("Message") if isinstance(data, dict) else None
            raise AuthError(f"kingdee login refused: {message or 'unexpected answer'}")
        # share the session cookies with the send-once client
        self._http_once.cookies.clear()
        for cookie in self._http.cookies.jar:
            self._http_once.cookies.jar.set_cookie(cookie)
        self._logged_in = True
        self.logins += 1
        log.info("kingdee: logged in as %s (%s)", self._login_args[1], self._login_service)

    # ------------------------------------------------------------------ calls
    def call(
        self,
        service: str,
        body: dict[str, Any],
        *,
        idempotent: bool = True,
        partial_ok: bool = False,
    ) -> Any:
        """POST ``body`` to ``service``; return the decoded body once it is not a failure.

        A lost session is answered by a fresh login and one replay (safe even for a
        create: the server refused the call, it did not run it). Other failures raise
        RemoteError; a body that is not JSON is retried when the call is idempotent.
        ``partial_ok``: a failure status that lists per-model errors (BatchSave) is
        returned for the caller to sort out, not raised.
        """
        if not self._logged_in:
            self.login()
        for relogin in (True, False):
            data = self._post(service, body, idempotent=idempotent)
            status = _status_of(data)
            if status is None or status.get("IsSuccess", True) is not False:
                return data
            if _is_lost_session(status):
                if not relogin:
                    break
                log.info("kingdee: session lost during %s; logging in again", service)
                self.login()
                continue
            if partial_ok and status.get("Errors"):
                return data
            raise RemoteError(
                f"kingdee {service} failed: {mask_phones(_status_message(status))}",
                code=status.get("ErrorCode"),
            )
        raise AuthError("kingdee: session lost again right after a fresh login")

    def bill_query(self, query: dict[str, Any]) -> list[list[Any]]:
        data = self.call("ExecuteBillQuery", {"data": query})
        if not isinstance(data, list) or not all(isinstance(row, list) for row in data):
            raise TransientError("kingdee ExecuteBillQuery answered something that is not rows")
        return data

    def save(self, form_id: str, data: dict[str, Any], *, creates: bool) -> dict[str, Any]:
        """Save one model; ``creates`` sends once only (see the send-once client)."""
        answer = self.call("Save", {"formid": form_id, "data": data}, idempotent=not creates)
        result = answer.get("Result") if isinstance(answer, dict) else None
        if not isinstance(result, dict):
            raise TransientError("kingdee Save answered without a Result")
        return result

    def batch_save(
        self, form_id: str, data: dict[str, Any], *, creates: bool
    ) -> tuple[dict[int, dict[str, Any]], dict[int, str]]:
        """BatchSave ``data["Model"]`` (a list of models) in one call.

        Returns (DIndex -> saved entity {"Id", "Number"}, DIndex -> error message): K3Cloud
        saves each model on its own and reports each by its index in the list. ``creates``
        sends once only, like ``save``.
        """
        answer = self.call(
            "BatchSave", {"formid": form_id, "data": data}, idempotent=not creates, partial_ok=True
        )
        status = _status_of(answer)
        if status is None:
            raise TransientError("kingdee BatchSave answered without a ResponseStatus")
        saved = {
            int(e.get("DIndex", i)): e
            for i, e in enumerate(status.get("SuccessEntitys") or [])
            if isinstance(e, dict)
        }
        errors: dict[int, str] = {}
        for e in status.get("Errors") or []:
            if isinstance(e, dict):
                index = int(e.get("DIndex", -1))
                errors[index] = "; ".join(
                    x for x in (errors.get(index), mask_phones(str(e.get("Message") or ""))) if x
                )
        return saved, errors

    # ------------------------------------------------------------------ internals
    @staticmethod
    def _path(service: str) -> str:
        return SERVICES[service] + ".common.kdsvc"

    def _post(self, service: str, body: dict[str, Any], *, idempotent: bool) -> Any:
        http = self._http if idempotent else self._http_once
        attempts = self.retry.max_attempts if idempotent else 1
        for attempt in range(attempts):
            response = http.post(self._path(service), json=body)
            try:
                return self._decode(response)
            except TransientError:
                if attempt + 1 >= attempts:
                    raise
                log.info("kingdee: %s sent a garbled body; retrying", service)
                self._sleep(self.retry.backoff_base * 2**attempt)
        raise AssertionError("unreachable")

    def _decode(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise RemoteError(
                f"kingdee answered HTTP {response.status_code}", code=response.status_code
            )
        text = response.text
        try:
            return json.loads(text)
        except ValueError as exc:
            raise TransientError(
                f"kingdee sent a body that is not JSON ({len(text)} chars)"
            ) from exc
