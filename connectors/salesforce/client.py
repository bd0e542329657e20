"""Wire protocol of Salesforce's REST API: OAuth2 bearer auth and its error envelope.

Tokens come from the OAuth2 token endpoint (client-credentials flow) or from a static
``access_token`` setting. A 401 ``INVALID_SESSION_ID`` means the session expired: fetch a
new token once and repeat the request (static tokens cannot be refreshed). Salesforce
throttles with **403** ``REQUEST_LIMIT_EXCEEDED`` rather than 429, so that answer goes
through ``HttpClient``'s throttle hook and is retried with a wait.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import httpx

from connectors.contract import AuthError, ConnectorConfigError
from connectors.http import HttpClient, RetryPolicy, mask_phones

__all__ = ["SalesforceClient", "error_text"]

log = logging.getLogger("connectors.salesforce")


def error_text(body: Any, fallback: str = "") -> str:
    """``[{message, errorCode, fields}]`` (or one such object) -> "CODE: message (fields)"."""
    items = body if isinstance(body, list) else [body] if isinstance(body, dict) else []
    parts = []
    for item in items:
        if not isinstance(item, dict):
            continue
        code = item.get("errorCode") or item.get("statusCode") or item.get("error") or "ERROR"
        message = item.get("message") or item.get("error_description") or ""
        fields = item.get("fields") or []
        parts.append(f"{code}: {message}" + (f" ({', '.join(map(str, fields))})" if fields else ""))
    return mask_phones("; ".join(parts) or fallback[:300])


class SalesforceClient:
    def __init__(
        self,
        instance_url: str,
        *,
        access_token: str | None = None,
        token_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        timeout: float = 30.0,
        max_attempts: int = 5,
        throttle_wait: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not access_token and not (client_id and client_secret):
            raise ConnectorConfigError("salesforce needs access_token or client_id + client_secret")
        self.instance_url = instance_url.rstrip("/")
        self._static_token = access_token
        self._token: str | None = access_token
        self._token_url = token_url or f"{self.instance_url}/services/oauth2/token"
        self._client_id = client_id
        self._client_secret = client_secret
        self._throttle_wait = throttle_wait
        self.http = HttpClient(
            self.instance_url,
            system="salesforce",
            timeout=timeout,
            retry=RetryPolicy(max_attempts=max_attempts),
            headers={"Accept": "application/json"},
            transport=transport,
            throttle_hook=self._throttle,
            sleep=sleep,
        )

    def close(self) -> None:
        self.http.close()

    def _throttle(self, response: httpx.Response) -> float | None:
        if response.status_code == 403 and b"REQUEST_LIMIT_EXCEEDED" in response.content:
            return self._throttle_wait
        return None

    @property
    def can_refresh(self) -> bool:
        return bool(self._client_id and self._client_secret)

    def refresh_token(self) -> None:
        response = self.http.post(
            self._token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self._client_id or "",
                "client_secret": self._client_secret or "",
            },
        )
        body: Any
        try:
            body = response.json()
        except ValueError:
            body = {}
        if (
            response.status_code != 200
            or not isinstance(body, dict)
            or not body.get("access_token")
        ):
            raise AuthError(
                "salesforce token request failed: "
                + error_text(body, f"HTTP {response.status_code}")
            )
        self._token = str(body["access_token"])
        log.info("salesforce: obtained a new access token")

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send with the bearer token; on 401 fetch a new token once and send again."""
        if self._token is None:
            self.refresh_token()
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self._token}"}
            try:
                return self.http.request(method, path, headers=headers, **kwargs)
            except AuthError:
                if attempt == 2 or not self.can_refresh:
                    raise
                log.info("salesforce: session expired (401); refreshing the token")
                self.refresh_token()
        raise AssertionError("unreachable")
