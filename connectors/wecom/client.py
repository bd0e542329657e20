"""WeCom wire protocol: access token, errcode envelope, throttling.

WeCom answers almost everything with HTTP 200 and puts the outcome in ``errcode``; this
module is the one place that turns those codes into our exception hierarchy, so the
source and sink only ever see data or a ``ConnectorError``.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from connectors.contract import AuthError, ConnectorConfigError, RemoteError, TransientError
from connectors.http import HttpClient, RetryPolicy, mask_phones

__all__ = [
    "GONE_CODES",
    "SKIP_MEMBER_CODES",
    "WeComClient",
    "WeComError",
]

log = logging.getLogger("connectors.wecom")

#: the token was refused or has expired: drop it, fetch a new one, retry once
TOKEN_CODES = frozenset({40014, 42001})
#: throttle / busy signals handled by the HttpClient's throttle hook
FREQ_CODE = 45009  # per-minute/hour frequency block: the block lasts at least 60 s
BUSY_CODES = frozenset({45033, -1})  # concurrency limit, "system busy": short backoff
#: data version conflict: someone else changed the same object, try again shortly
CONFLICT_CODE = 6000
#: the member cannot be read (invalid userid / out of app scope / no relation): skip + flag
SKIP_MEMBER_CODES = frozenset({40003, 60011, 84061})
#: the external contact does not exist (any more) for this corp / member
GONE_CODES = frozenset({84061, 40096})

_CONFIG_MESSAGES = {
    40001: "WeCom rejected corp_secret (errcode 40001): use the secret of the self-built app "
    "that is listed under 客户联系 → 可调用接口的应用, not the system app's secret.",
    40013: "WeCom does not know corp_id (errcode 40013): copy the 企业ID from "
    "我的企业 → 企业信息 into the wecom section of chub.yaml.",
    48002: "WeCom says this app may not call the API (errcode 48002): add the app to "
    "客户联系 → 可调用接口的应用 and widen its visibility scope.",
    41001: "WeCom says the access_token is missing (errcode 41001): this is a connector bug.",
}


class WeComError(RemoteError):
    """A non-zero errcode we do not retry; ``code`` is the int errcode."""

    code: int

    def __init__(self, message: str, *, code: int) -> None:
        super().__init__(message, code=code)


class WeComClient:
    """Calls ``/cgi-bin/<path>`` with a cached access token and returns the decoded body.

    The token is fetched lazily, cached until shortly before ``expires_in`` and refetched
    once when WeCom answers 40014/42001 (it may invalidate a token early).
    """

    def __init__(
        self,
        *,
        corp_id: str,
        corp_secret: str,
        base_url: str = "https://qyapi.weixin.qq.com/cgi-bin/",
        timeout: float = 15.0,
        max_attempts: int = 5,
        throttle_wait: float = 60.0,
        busy_wait: float = 1.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        seed: int | None = None,
    ) -> None:
        self._corp_id = corp_id
        self._secret = corp_secret
        self._throttle_wait = throttle_wait
        self._busy_wait = busy_wait
        self._busy_streak = 0
        self._sleep = sleep
        self._clock = clock
        self._rng = random.Random(seed)
        self.retry = RetryPolicy(max_attempts=max_attempts)
        self._token: str | None = None
        self._token_expires = 0.0
        self.token_fetches = 0  # for tests and metrics: gettoken must stay rare
        self.http = HttpClient(
            base_url if base_url.endswith("/") else base_url + "/",
            system="WeCom",
            timeout=timeout,
            retry=self.retry,
            transport=transport,
            throttle_hook=self._throttle_hook,
            sleep=sleep,
            seed=seed,
        )

    def close(self) -> None:
        self.http.close()

    # ------------------------------------------------------------------ throttling
    def _throttle_hook(self, response: httpx.Response) -> float | None:
        code = _errcode_of(response)
        if code == FREQ_CODE:
            # a frequency block lasts a whole minute (or hour); retrying sooner only
            # extends it, so wait the block out
            self._busy_streak = 0
            return self._throttle_wait
        if code in BUSY_CODES:
            # concurrency limit / system busy clear quickly: short doubling backoff
            wait = min(self._busy_wait * 2**self._busy_streak, self.retry.backoff_max)
            self._busy_streak += 1
            return wait
        self._busy_streak = 0
        return None

    # ------------------------------------------------------------------ token
    def _access_token(self) -> str:
        if self._token is not None and self._clock() < self._token_expires:
            return self._token
        body = self._send(
            "GET", "gettoken", {"corpid": self._corp_id, "corpsecret": self._secret}, None
        )
        code = _code(body)
        if code != 0:
            raise self._error(code, body, "gettoken")
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise TransientError("WeCom gettoken answered without an access_token")
        expires_in = float(body.get("expires_in") or 7200)
        # renew a little early so a token never expires between our check and WeCom's
        self._token = token
        self._token_expires = self._clock() + max(expires_in - min(300.0, expires_in / 10), 1.0)
        self.token_fetches += 1
        log.info("WeCom: fetched a new access token (valid %.0fs)", expires_in)
        return token

    def drop_token(self) -> None:
        self._token = None

    # ------------------------------------------------------------------ calls
    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> dict[str, Any]:
        """Call ``path`` and return the body of a successful (errcode 0) answer.

        Raises ConnectorConfigError / AuthError for configuration problems, TransientError
        (ThrottledError) when retries run out, WeComError for any other errcode.
        """
        for token_attempt in (0, 1):
            token = self._access_token()
            body = self._send(method, path, {**(params or {}), "access_token": token}, json)
            code = _code(body)
            if code == 0:
                return body
            if code in TOKEN_CODES:
                log.info("WeCom: access token refused on %s (errcode %d); refetching", path, code)
                self.drop_token()
                if token_attempt == 0:
                    continue
                raise AuthError(
                    f"WeCom refused a freshly fetched access token on {path} (errcode {code})"
                )
            raise self._error(code, body, path)
        raise AssertionError("unreachable")

    def _send(self, method: str, path: str, params: Mapping[str, str], json: Any) -> dict[str, Any]:
        """One logical request: HttpClient retries the transport; we retry bad bodies and 6000."""
        problem = ""
        for attempt in range(self.retry.max_attempts):
            response = self.http.request(method, path, params=dict(params), json=json)
            if response.status_code >= 400:
                raise RemoteError(
                    f"WeCom answered HTTP {response.status_code} on {path}",
                    code=response.status_code,
                )
            try:
                body = response.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                problem = f"WeCom sent a body that is not a JSON object on {path}"
            elif body.get("errcode") == CONFLICT_CODE:
                problem = f"WeCom reported a data version conflict on {path} (errcode 6000)"
            else:
                return body
            if attempt + 1 < self.retry.max_attempts:
                wait = self.retry.backoff(attempt, self._rng)
                log.info("%s; retry %d in %.1fs", problem, attempt + 1, wait)
                self._sleep(wait)
        raise TransientError(f"{problem}; gave up after {self.retry.max_attempts} attempts")

    def _error(self, code: int, body: Mapping[str, Any], path: str) -> Exception:
        # errmsg wording may change (vendor says so): we key on the code and only quote it
        errmsg = mask_phones(str(body.get("errmsg", ""))[:200])
        if code in (40001, 40013, 48002, 41001):
            cls = AuthError if code == 40001 else ConnectorConfigError
            return cls(_CONFIG_MESSAGES[code])
        return WeComError(f"WeCom errcode {code} on {path}: {errmsg}", code=code)


def _code(body: Mapping[str, Any]) -> int:
    try:
        return int(body.get("errcode", 0) or 0)
    except (TypeError, ValueError):
        return -1  # an errcode we cannot read: treat it like "system busy"


def _errcode_of(response: httpx.Response) -> int | None:
    if response.status_code != 200:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return _code(body) if isinstance(body, dict) else None
