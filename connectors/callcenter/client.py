"""Wire protocol of the call centre: Zendesk-style cursor-based incremental export.

``GET /api/v2/incremental/<stream>/cursor.json?start_time=<unix s>`` opens the export,
``?cursor=<after_cursor>`` continues it, until ``end_of_stream: true``. The ``after_cursor``
of the last page stays valid for the next poll, which is what makes later pulls incremental.
Auth is HTTP Basic ``{email}/token:{api_token}``. The export allows only 10 requests a
minute; the server says so with 429 + ``Retry-After``, which ``HttpClient`` honours.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx

from connectors.contract import AuthError, RemoteError, TransientError
from connectors.http import HttpClient, RetryPolicy, mask_phones

__all__ = ["CallCenterClient"]

log = logging.getLogger("connectors.callcenter")

#: how often a page whose body is not JSON is fetched again before the pull gives up
MALFORMED_RETRIES = 3


class CallCenterClient:
    def __init__(
        self,
        base_url: str,
        *,
        email: str,
        api_token: str,
        page_size: int = 1000,
        timeout: float = 15.0,
        max_attempts: int = 5,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        basic = base64.b64encode(f"{email}/token:{api_token}".encode()).decode()
        self.page_size = page_size
        self._sleep = sleep
        self.http = HttpClient(
            base_url.rstrip("/") + "/api/v2",
            system="callcenter",
            timeout=timeout,
            retry=RetryPolicy(max_attempts=max_attempts),
            headers={"Authorization": f"Basic {basic}", "Accept": "application/json"},
            transport=transport,
            sleep=sleep,
        )

    def close(self) -> None:
        self.http.close()

    def export_page(
        self, stream: str, *, cursor: str | None = None, start_time: int | None = None
    ) -> dict[str, Any]:
        """One page of the incremental export of ``stream`` (``calls`` or ``tickets``)."""
        params: dict[str, str | int] = {"per_page": self.page_size}
        if cursor is not None:
            params["cursor"] = cursor
        else:
            params["start_time"] = int(start_time or 0)
        if stream == "tickets":
            # requester name/phone/email live on the user: sideload them with the page
            params["include"] = "users"
        path = f"/incremental/{stream}/cursor.json"
        for attempt in range(MALFORMED_RETRIES):
            response = self.http.get(path, params=params)
            _raise_for_error(response)
            try:
                data = self.http.json(response)
            except TransientError:
                # a truncated body is usually a proxy hiccup: the same cursor is safe to re-ask
                if attempt + 1 >= MALFORMED_RETRIES:
                    raise
                log.info("callcenter: %s page was not JSON; asking again", stream)
                self._sleep(self.http.retry.backoff_base * 2**attempt)
                continue
            if not isinstance(data, dict) or not isinstance(data.get(stream), list):
                raise TransientError(f"callcenter: {stream} export page has no {stream!r} list")
            return data
        raise AssertionError("unreachable")


def _raise_for_error(response: httpx.Response) -> None:
    """Zendesk errors: ``{error, description, details}`` with the HTTP status."""
    status = response.status_code
    if status < 400:
        return
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    error = body.get("error")
    if isinstance(error, dict):  # some endpoints nest {title, message}
        error = error.get("title") or error.get("message")
    message = mask_phones(str(body.get("description") or error or response.text[:200]))
    if status == 403:
        raise AuthError(f"callcenter refused access (HTTP 403): {message}")
    raise RemoteError(f"callcenter answered HTTP {status}: {message}", code=error or status)
