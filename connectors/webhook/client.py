"""The wire protocol of the two alert targets.

WeCom group robot: ``POST <webhook url>`` (``.../cgi-bin/webhook/send?key=...``) with
``{"msgtype": "markdown", "markdown": {"content": ...}}``; it answers HTTP 200 with an
``errcode`` (0: delivered; 45009: more than 20 messages a minute, wait and retry; 93000:
the key is wrong). The content is at most 4096 bytes. Any other webhook gets the alert
as plain JSON (``title``, ``text``, ``severity``, ``run_url``, ``facts``) and must answer 2xx.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from connectors.contract import ConnectorError
from connectors.http import HttpClient, RetryPolicy, mask_phones, redact_url

__all__ = ["Alert", "AlertError", "WebhookClient", "render_markdown"]

#: WeCom robot markdown content limit, in bytes of UTF-8
_WECOM_MAX_BYTES = 4096
#: WeCom robot errcode for "too many messages this minute": the block lasts up to 60 s
_WECOM_FREQ = 45009


class AlertError(ConnectorError):
    """The alert target refused the alert (wrong key, HTTP 4xx, bad answer)."""


@dataclass
class Alert:
    title: str
    text: str
    severity: Literal["info", "warning", "error"] = "error"
    run_url: str | None = None
    #: short name -> value, shown as a list (counts, source names, run ids)
    facts: dict[str, str] = field(default_factory=dict)

    def masked(self) -> Alert:
        return Alert(
            mask_phones(self.title),
            mask_phones(self.text),
            self.severity,
            self.run_url,
            {k: mask_phones(str(v)) for k, v in self.facts.items()},
        )


def render_markdown(alert: Alert) -> str:
    """The robot's markdown: title, the facts, the error, the run link; cut to 4096 bytes."""
    colour = {"error": "warning", "warning": "comment", "info": "info"}[alert.severity]
    lines = [f'**<font color="{colour}">{alert.title}</font>**']
    lines += [f"> {k}: {v}" for k, v in alert.facts.items()]
    if alert.text:
        lines.append(alert.text)
    if alert.run_url:
        lines.append(f"[open the run]({alert.run_url})")
    content = "\n".join(lines)
    raw = content.encode()
    if len(raw) > _WECOM_MAX_BYTES:
        content = raw[: _WECOM_MAX_BYTES - 3].decode(errors="ignore") + "..."
    return content


def _wecom_throttle(response: httpx.Response) -> float | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and body.get("errcode") == _WECOM_FREQ:
        return 60.0
    return None


class WebhookClient:
    def __init__(
        self,
        kind: str,
        url: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        max_attempts: int = 3,
    ) -> None:
        if kind not in ("wecom_robot", "webhook"):
            raise AlertError(f"unknown alert target kind {kind!r} (wecom_robot or webhook)")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise AlertError(f"alert target {redact_url(url)} is not an http(s) URL")
        self.kind, self.url = kind, url
        self._http = HttpClient(
            "",
            system="WeCom robot" if kind == "wecom_robot" else "alert webhook",
            timeout=timeout,
            # an alert is not worth minutes of waiting: two short retries, then give up
            retry=RetryPolicy(max_attempts=max_attempts, backoff_base=0.5, retry_after_max=60),
            transport=transport,
            throttle_hook=_wecom_throttle if kind == "wecom_robot" else None,
        )

    def close(self) -> None:
        self._http.close()

    def body(self, alert: Alert) -> dict[str, Any]:
        alert = alert.masked()
        if self.kind == "wecom_robot":
            return {"msgtype": "markdown", "markdown": {"content": render_markdown(alert)}}
        return {
            "title": alert.title,
            "text": alert.text,
            "severity": alert.severity,
            "run_url": alert.run_url,
            "facts": alert.facts,
        }

    def post(self, alert: Alert) -> None:
        content = json.dumps(self.body(alert), ensure_ascii=False).encode()
        where = redact_url(self.url.split("?")[0])
        try:
            response = self._http.post(
                self.url, content=content, headers={"Content-Type": "application/json"}
            )
        except ConnectorError as exc:  # unreachable, 5xx, throttled past the retries
            raise AlertError(f"{where}: {exc}") from exc
        if response.status_code >= 300:
            raise AlertError(f"{where} refused the alert (HTTP {response.status_code})")
        if self.kind == "wecom_robot":
            try:
                answer = response.json()
            except ValueError:
                raise AlertError(f"{where} answered something that is not JSON") from None
            code = answer.get("errcode") if isinstance(answer, dict) else None
            if code != 0:
                message = answer.get("errmsg", "") if isinstance(answer, dict) else ""
                raise AlertError(f"WeCom robot refused the alert (errcode {code}: {message})")
