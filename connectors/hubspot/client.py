"""Wire protocol of HubSpot's CRM v3 contacts API.

Bearer token auth; list paging by ``limit`` + ``after`` (``paging.next.after``); search by
``POST /crm/v3/objects/contacts/search``. Errors are ``{status: "error", message,
category}``. A 429 names its ``policyName`` in the body instead of sending Retry-After; the
official client waits 10 s for TEN_SECONDLY_ROLLING and 1 s for SECONDLY, and a DAILY
limit cannot be waited out within a sync.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from connectors.contract import AuthError, RemoteError, ThrottledError, TransientError
from connectors.http import HttpClient, RetryPolicy, mask_phones

__all__ = ["HubSpotClient", "HubSpotError", "PolicyRetryAfter"]

log = logging.getLogger("connectors.hubspot")

MALFORMED_RETRIES = 3
_POLICY_WAIT = {"TEN_SECONDLY_ROLLING": 10.0, "SECONDLY": 1.0}


class HubSpotError(RemoteError):
    """An error answer; ``code`` is HubSpot's category, ``status`` the HTTP status."""

    def __init__(self, message: str, *, code: str | int | None, status: int) -> None:
        super().__init__(message, code=code)
        self.status = status


class PolicyRetryAfter(httpx.BaseTransport):
    """Turns HubSpot's ``policyName`` into a ``Retry-After`` header.

    The shared ``HttpClient`` honours Retry-After on 429 but never looks into a 429 body;
    translating here keeps HubSpot's rule in the HubSpot package without touching it.
    """

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        if response.status_code != 429 or "retry-after" in response.headers:
            return response
        response.read()
        try:
            policy = str(json.loads(response.content).get("policyName", ""))
        except (ValueError, AttributeError):
            policy = ""
        if policy == "DAILY":
            raise ThrottledError("hubspot daily API limit reached; try again tomorrow")
        headers = httpx.Headers(response.headers)
        headers["Retry-After"] = str(_POLICY_WAIT.get(policy, 10.0))
        return httpx.Response(429, headers=headers, content=response.content, request=request)

    def close(self) -> None:
        self._inner.close()


class HubSpotClient:
    def __init__(
        self,
        base_url: str,
        *,
        token: str,
        timeout: float = 15.0,
        max_attempts: int = 5,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._sleep = sleep
        self.http = HttpClient(
            base_url.rstrip("/"),
            system="hubspot",
            timeout=timeout,
            retry=RetryPolicy(max_attempts=max_attempts),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            transport=PolicyRetryAfter(transport or httpx.HTTPTransport()),
            sleep=sleep,
        )

    def close(self) -> None:
        self.http.close()

    def list_contacts(
        self,
        *,
        after: str | None,
        limit: int,
        properties: Sequence[str],
        archived: bool = False,
    ) -> tuple[list[dict[str, Any]], str | None]:
        params: dict[str, str | int] = {
            "limit": limit,
            "properties": ",".join(properties),
            "archived": "true" if archived else "false",
        }
        if after:
            params["after"] = after
        data = self._call("GET", "/crm/v3/objects/contacts", params=params)
        return data["results"], _next_after(data)

    def search_contacts(
        self,
        *,
        filters: Sequence[dict[str, str]],
        sort_by: str,
        limit: int,
        properties: Sequence[str],
        after: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None, int]:
        """One page of ``POST .../contacts/search`` (one AND group of filters, ascending)."""
        body: dict[str, Any] = {
            "filterGroups": [{"filters": list(filters)}],
            "sorts": [{"propertyName": sort_by, "direction": "ASCENDING"}],
            "properties": list(properties),
            "limit": limit,
        }
        if after:
            body["after"] = after
        data = self._call("POST", "/crm/v3/objects/contacts/search", json=body)
        return data["results"], _next_after(data), int(data.get("total") or 0)

    def call_json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """Send a write and decode its JSON object answer (a 207 counts as an answer)."""
        response = self.http.request(method, path, **kwargs)
        _raise_for_error(response)
        data = self.http.json(response)
        if not isinstance(data, dict):
            raise TransientError(f"hubspot: {path} answered with something else than an object")
        return data

    def call_ok(self, method: str, path: str, **kwargs: Any) -> None:
        """Send a write whose success has no body (``batch/archive`` answers 204)."""
        response = self.http.request(method, path, **kwargs)
        _raise_for_error(response)

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        for attempt in range(MALFORMED_RETRIES):
            response = self.http.request(method, path, **kwargs)
            _raise_for_error(response)
            try:
                data = self.http.json(response)
            except TransientError:
                # a truncated body is safe to ask for again: reads have no side effects
                if attempt + 1 >= MALFORMED_RETRIES:
                    raise
                log.info("hubspot: %s %s body was not JSON; asking again", method, path)
                self._sleep(self.http.retry.backoff_base * 2**attempt)
                continue
            if not isinstance(data, dict) or not isinstance(data.get("results"), list):
                raise TransientError(f"hubspot: {path} answered without a results list")
            return data
        raise AssertionError("unreachable")


def _next_after(data: dict[str, Any]) -> str | None:
    paging = data.get("paging") or {}
    nxt = paging.get("next") if isinstance(paging, dict) else None
    after = nxt.get("after") if isinstance(nxt, dict) else None
    return str(after) if after not in (None, "") else None


def _raise_for_error(response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    message = mask_phones(str(body.get("message") or response.text[:200]))
    category = body.get("category") or status
    if status == 403:
        raise AuthError(f"hubspot refused access (HTTP 403, {category}): {message}")
    raise HubSpotError(
        f"hubspot answered HTTP {status} ({category}): {message}", code=category, status=status
    )
