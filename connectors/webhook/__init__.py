"""Alerts out: a WeCom group robot (群机器人) webhook, or any URL that takes a JSON POST.

An alert carries what went wrong and where to look (the run link), never personal data:
callers pass counts, names of sources and sinks, and error lines that were masked already;
this package masks mainland phone numbers once more before anything leaves the machine.
"""

from __future__ import annotations

from connectors.webhook.client import Alert, AlertError, WebhookClient, render_markdown

__all__ = ["Alert", "AlertError", "WebhookClient", "post_alert", "render_markdown"]


def post_alert(kind: str, url: str, alert: Alert, *, timeout: float = 10.0) -> None:
    """Post ``alert`` to one target; raises AlertError when the target refuses it."""
    client = WebhookClient(kind, url, timeout=timeout)
    try:
        client.post(alert)
    finally:
        client.close()
