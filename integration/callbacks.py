"""WeCom change callbacks: each event refreshes just that contact in the hub.

WeCom only tells us *which* contact changed; the handler fetches it (``externalcontact/get``)
and lands it like a page without moving the stream's cursor. A contact that no longer has
a follower lands as a tombstone. The next run of the graph takes it from there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from connectors.wecom import build_callback_app
from connectors.wecom.callback import ContactChange
from integration.config import ConfigError
from integration.hub import Hub
from integration.pipeline.land import LandingReport, land_records

__all__ = ["make_wecom_event_handler", "serve_wecom_callbacks"]

log = logging.getLogger("integration.callbacks")


def make_wecom_event_handler(hub: Hub, source_name: str) -> Callable[[ContactChange], None]:
    # one lock: the WSGI server may run handlers on several threads, SQLite wants one writer
    lock = threading.Lock()

    def on_event(change: ContactChange) -> None:
        source = hub.sources[source_name]
        record = source.fetch_contact(change.external_user_id)  # type: ignore[attr-defined]
        report = LandingReport(source=source_name)
        with lock:
            land_records(hub.engine, source_name, "contacts", [record], report)
        log.info(
            "wecom %s for %s: %s",
            change.change_type,
            change.external_user_id,
            "tombstoned" if record.deleted else "refreshed",
        )

    return on_event


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        log.debug(format, *args)


def serve_wecom_callbacks(hub: Hub, source_name: str, host: str, port: int) -> WSGIServer:
    """A WSGI server for the callback URL of one WeCom source (call ``serve_forever``)."""
    cfg = hub.settings.sources.get(source_name)
    if cfg is None or cfg.type != "wecom":
        raise ConfigError(hub.settings.path, f"sources.{source_name}", "is not a wecom source")
    if not cfg.settings.callback_token or not cfg.settings.callback_aes_key:
        raise ConfigError(
            hub.settings.path,
            f"sources.{source_name}.callback_token",
            "callbacks need callback_token and callback_aes_key",
        )
    app = build_callback_app(cfg.settings, make_wecom_event_handler(hub, source_name))
    return make_server(host, port, app, handler_class=_QuietHandler)
