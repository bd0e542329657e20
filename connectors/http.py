"""The HTTP layer every connector shares.

Timeouts, bounded retries with exponential backoff and full jitter on connection errors,
timeouts and 5xx, ``Retry-After`` on 429, and a hook for a system's own throttle signal
(WeCom answers HTTP 200 with errcode 45009). Logs never carry secrets or full phone numbers.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

import httpx
from pydantic import AfterValidator

from connectors.contract import AuthError, RemoteError, ThrottledError, TransientError

__all__ = ["HttpClient", "HttpUrl", "RetryPolicy", "mask_phones", "redact_url"]

log = logging.getLogger("connectors.http")

_SECRET_PARAMS = re.compile(
    r"(?i)((?:access_token|corpsecret|secret|password|token|signature|apikey|api_key|"
    r"appsecret|accesskeysecret|hapikey)=)[^&\s]+"
)
_PHONE = re.compile(r"(?<!\d)(\+?\d{0,4}[ -]?)(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?!\d)")


def _http_url(value: str) -> str:
    """Refuse at load what would only fail at the first request as a transport error."""
    parts = urlsplit(value.strip())
    try:
        parts.port  # noqa: B018 (reading it checks it: "host:abc" raises)
    except ValueError:
        raise ValueError(f"has an invalid port: {value[:80]!r}") from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in value.strip())
    ):
        raise ValueError(f"must be an http(s) URL such as https://host/path, not {value[:80]!r}")
    return value.strip()


#: a Settings field holding a connector's base URL: ``http(s)://host[...]``, checked at load
HttpUrl = Annotated[str, AfterValidator(_http_url)]


def redact_url(url: str) -> str:
    """Drop secret query values from a URL before it is logged."""
    return _SECRET_PARAMS.sub(r"\1***", url)


def mask_phones(text: str) -> str:
    """Mask the middle digits of mainland mobile numbers in free text."""
    return _PHONE.sub(lambda m: f"{m.group(1)}{m.group(2)}****{m.group(4)}", text)


class _RedactHttpxLog(logging.Filter):
    """httpx logs every request URL at INFO, query secrets (corpsecret, access_token) included."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_url(str(a)) if isinstance(a, str | httpx.URL) else a for a in record.args
            )
        if isinstance(record.msg, str):
            record.msg = redact_url(record.msg)
        return True


def _install_httpx_redaction() -> None:
    httpx_log = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactHttpxLog) for f in httpx_log.filters):
        httpx_log.addFilter(_RedactHttpxLog())


_install_httpx_redaction()


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    #: cap on a server-requested wait; a longer Retry-After is honoured up to this
    retry_after_max: float = 120.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        # full jitter: spreads retries of many clients instead of synchronising them
        return rng.uniform(0, min(self.backoff_max, self.backoff_base * 2**attempt))


ThrottleHook = Callable[[httpx.Response], float | None]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())


class HttpClient:
    """A small wrapper over ``httpx.Client`` with the retry rules above.

    ``throttle_hook`` looks at a 2xx-4xx response (and a 429 without Retry-After) and
    returns a wait in seconds when it carries the system's own throttle signal, else None.
    ``sleep`` is injectable so tests never depend on real time.
    """

    def __init__(
        self,
        base_url: str,
        *,
        system: str,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        throttle_hook: ThrottleHook | None = None,
        sleep: Callable[[float], None] = time.sleep,
        seed: int | None = None,
    ) -> None:
        self.system = system
        self.retry = retry or RetryPolicy()
        self._throttle_hook = throttle_hook
        self._sleep = sleep
        self._rng = random.Random(seed)
        self._client = httpx.Client(
            base_url=base_url,
            timeout=timeout,
            headers=dict(headers or {}),
            transport=transport,
            follow_redirects=False,
        )

    @property
    def cookies(self) -> httpx.Cookies:
        return self._client.cookies

    def close(self) -> None:
        self._client.close()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send a request, retrying what is worth retrying; return the final 2xx/4xx response.

        Raises TransientError / ThrottledError when the retry budget runs out, AuthError on
        401. Other 4xx answers are returned for the connector to read its system's envelope.
        """
        last_problem = "no attempt made"
        throttled = False
        for attempt in range(self.retry.max_attempts):
            wait: float | None = None
            try:
                response = self._client.request(method, url, **kwargs)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                last_problem = f"{type(exc).__name__} talking to {self.system}"
                throttled = False
            else:
                status = response.status_code
                log.debug(
                    "%s %s %s -> %s", self.system, method, redact_url(str(response.url)), status
                )
                if status == 429:
                    throttled = True
                    wait = _retry_after(response)
                    if wait is None and self._throttle_hook is not None:
                        # some systems say how long to wait in the body (HubSpot policyName)
                        wait = self._throttle_hook(response)
                    last_problem = f"{self.system} throttled us (HTTP 429)"
                elif status >= 500:
                    throttled = False
                    last_problem = f"{self.system} answered HTTP {status}"
                else:
                    hook_wait = self._throttle_hook(response) if self._throttle_hook else None
                    if hook_wait is None:
                        if status == 401:
                            raise AuthError(f"{self.system} refused our credentials (HTTP 401)")
                        return response
                    throttled = True
                    wait = hook_wait
                    last_problem = f"{self.system} throttled us"
            if attempt + 1 >= self.retry.max_attempts:
                break
            if wait is None:
                wait = self.retry.backoff(attempt, self._rng)
            wait = min(wait, self.retry.retry_after_max)
            log.info("%s: %s; retry %d in %.1fs", self.system, last_problem, attempt + 1, wait)
            self._sleep(wait)
        error = ThrottledError if throttled else TransientError
        raise error(f"{last_problem}; gave up after {self.retry.max_attempts} attempts")

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def json(self, response: httpx.Response) -> Any:
        """Decode a JSON body, turning garbage into a TransientError a caller may retry."""
        try:
            return response.json()
        except ValueError as exc:
            raise TransientError(
                f"{self.system} sent a body that is not JSON (HTTP {response.status_code})"
            ) from exc


def raise_for_status(response: httpx.Response, system: str) -> None:
    """Turn a 4xx into a RemoteError with the status and a short body excerpt."""
    if response.status_code >= 400:
        excerpt = mask_phones(response.text[:300])
        raise RemoteError(
            f"{system} answered HTTP {response.status_code}: {excerpt}", code=response.status_code
        )
