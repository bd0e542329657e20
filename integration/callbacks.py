"""WeCom change callbacks: acknowledged at once, queued in the hub, landed by a worker.

WeCom wants an answer within 5 s and re-delivers otherwise, while the contact fetch that
an event calls for may wait out a throttle for a minute. So the request thread only
checks the request (signature, freshness, replay: nonces in ``callback_nonce``) and
queues the event in ``callback_inbox`` (one row per ``event_key``, so a re-delivery is
the same row), then answers. A worker thread of the callback server drains the inbox
with ``process_inbox``: it fetches each changed contact (``externalcontact/get``) and lands
it like a page without moving the stream's cursor; a contact that no longer has a
follower lands as a tombstone. Rows a killed server left queued are drained by the next
one, or by whoever else calls ``process_inbox`` (a Dagster sensor).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError

from connectors.contract import RawRecord
from connectors.wecom import build_callback_app
from connectors.wecom.callback import ContactChange
from integration.config import ConfigError
from integration.hub import Hub
from integration.locks import LockBusy, hub_lock
from integration.pipeline.land import LandingReport, land_records
from integration.store import session_scope
from integration.store.models import CallbackInbox, CallbackNonce, utcnow

__all__ = [
    "CallbackServer",
    "HubNonces",
    "InboxReport",
    "process_inbox",
    "queue_event",
    "serve_wecom_callbacks",
]

log = logging.getLogger("integration.callbacks")

#: an event whose fetch failed this many times is parked as "failed" (its last error kept)
MAX_ATTEMPTS = 8
#: how long a worker waits for the source's writer lock before leaving rows queued
LOCK_WAIT = 30.0
_ERROR_LIMIT = 500


# ---------------------------------------------------------------- the request side


class HubNonces:
    """The callback's NonceMemory in the hub (``callback_nonce``), shared by every process
    serving one source and kept across restarts. Pairs older than twice the freshness
    window are pruned: by then the timestamp alone refuses a replay."""

    def __init__(self, engine: Engine, source: str, max_age: float) -> None:
        self.engine, self.source, self.max_age = engine, source, max_age
        self._pruned_at = utcnow() - timedelta(days=1)

    @staticmethod
    def _key(timestamp: str, nonce: str) -> str:
        return f"{timestamp}:{nonce}"[:128]

    def seen(self, timestamp: str, nonce: str) -> bool:
        with session_scope(self.engine) as session:
            found = session.get(CallbackNonce, (self.source, self._key(timestamp, nonce)))
            return found is not None

    def remember(self, timestamp: str, nonce: str) -> None:
        now = utcnow()
        try:
            with session_scope(self.engine) as session:
                session.add(
                    CallbackNonce(
                        source=self.source, nonce=self._key(timestamp, nonce), seen_at=now
                    )
                )
        except IntegrityError:
            pass  # two deliveries raced with one nonce: remembered once is enough
        if now - self._pruned_at > timedelta(seconds=self.max_age):
            self._pruned_at = now
            with session_scope(self.engine) as session:
                session.execute(
                    delete(CallbackNonce).where(
                        CallbackNonce.source == self.source,
                        CallbackNonce.seen_at < now - timedelta(seconds=2 * self.max_age),
                    )
                )


def queue_event(engine: Engine, source: str, change: ContactChange) -> bool:
    """Queue one event durably; False when it was queued before (a re-delivery)."""
    try:
        with session_scope(engine) as session:
            session.add(
                CallbackInbox(
                    source=source,
                    event_key=change.event_key,
                    payload=change.to_dict(),
                    received_at=utcnow(),
                    status="queued",
                    attempts=0,
                )
            )
    except IntegrityError:
        log.info("wecom %s for %s: queued before", change.change_type, change.external_user_id)
        return False
    return True


# ---------------------------------------------------------------- the worker side


@dataclass
class InboxReport:
    """What one ``process_inbox`` call did."""

    source: str
    #: queue rows finished (an event about a contact fetched once for all its rows)
    done: int = 0
    refreshed: int = 0
    tombstoned: int = 0
    #: rows whose fetch failed this time (still queued, or parked as failed)
    failed: int = 0
    #: rows left queued (not reached in this call, or failed and to be retried)
    left: int = 0
    #: another process was draining this source's inbox, or a sync held the source
    busy: bool = False
    errors: list[str] = field(default_factory=list)


def _queued(engine: Engine, source: str, limit: int) -> list[CallbackInbox]:
    with session_scope(engine) as session:
        return list(
            session.scalars(
                select(CallbackInbox)
                .where(CallbackInbox.source == source, CallbackInbox.status == "queued")
                .order_by(CallbackInbox.id)
                .limit(limit)
            )
        )


def _count_queued(engine: Engine, source: str) -> int:
    from sqlalchemy import func

    with session_scope(engine) as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(CallbackInbox)
                .where(CallbackInbox.source == source, CallbackInbox.status == "queued")
            )
            or 0
        )


def _finish(engine: Engine, ids: Iterable[int], error: str | None) -> str:
    """Mark rows done, or count a failed attempt; returns the rows' new status."""
    status = "done"
    with session_scope(engine) as session:
        for row in session.scalars(select(CallbackInbox).where(CallbackInbox.id.in_(list(ids)))):
            row.attempts += 1
            row.processed_at = utcnow()
            if error is None:
                row.status, row.last_error = "done", None
            else:
                row.last_error = error[:_ERROR_LIMIT]
                row.status = "failed" if row.attempts >= MAX_ATTEMPTS else "queued"
                status = row.status
    return status


def process_inbox(hub: Hub, source: str, *, limit: int = 100) -> InboxReport:
    """Fetch and land the contacts of up to ``limit`` queued events of ``source``.

    Events about one contact are served by one fetch. A fetch that fails leaves its rows
    queued (``attempts`` and ``last_error`` say why) until ``MAX_ATTEMPTS``. Safe to call
    from several processes: one drains a source at a time, the others return ``busy``.
    """
    report = InboxReport(source=source)
    try:
        with hub_lock(hub.engine, f"callback_inbox:{source}", wait=0):
            _drain(hub, source, limit, report)
    except LockBusy:
        report.busy = True
    report.left = _count_queued(hub.engine, source)
    return report


def _drain(hub: Hub, source: str, limit: int, report: InboxReport) -> None:
    rows = _queued(hub.engine, source, limit)
    by_contact: dict[str, list[CallbackInbox]] = {}
    for row in rows:
        by_contact.setdefault(str(row.payload.get("external_user_id") or ""), []).append(row)
    connector = hub.sources[source]
    for external_userid, group in by_contact.items():
        ids = [row.id for row in group]
        if not external_userid:  # nothing to fetch: an event without a contact id
            _finish(hub.engine, ids, None)
            report.done += len(ids)
            continue
        try:
            # outside any transaction and any lock: a throttled fetch may take a minute
            record: RawRecord = connector.fetch_contact(external_userid)  # type: ignore[attr-defined]
        except Exception as exc:  # a connector failure: retried on the next drain
            error = f"{type(exc).__name__}: {exc}"
            _finish(hub.engine, ids, error)
            report.failed += len(ids)
            report.errors.append(f"{external_userid}: {error}")
            log.warning("wecom callback fetch of %s failed: %s", external_userid, error)
            continue
        try:
            # the source's writer lock: a sync of the same source lands one page at a time
            with hub_lock(hub.engine, f"sync:{source}", wait=LOCK_WAIT):
                land_records(hub.engine, source, "contacts", [record], LandingReport(source))
        except LockBusy:
            report.busy = True
            return  # the rows stay queued; the next drain takes them
        _finish(hub.engine, ids, None)
        report.done += len(ids)
        if record.deleted:
            report.tombstoned += 1
        else:
            report.refreshed += 1
        log.info(
            "wecom %s for %s: %s",
            ", ".join(sorted({str(r.payload.get("change_type")) for r in group})),
            external_userid,
            "tombstoned" if record.deleted else "refreshed",
        )


# ---------------------------------------------------------------- the server


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        log.debug(format, *args)


class CallbackServer(ThreadingMixIn, WSGIServer):
    """A thread per request (a slow one never delays the next acknowledgement) and one
    worker thread that drains the inbox while ``serve_forever`` runs: at start (what a
    killed server left queued), on every queued event, and every ``poll`` seconds."""

    daemon_threads = True
    #: seconds between drains when nothing new arrives (retries of failed fetches)
    poll = 5.0

    def setup_worker(self, hub: Hub, source: str) -> None:
        self.hub, self.source = hub, source
        self.wake = threading.Event()
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self.last_report: InboxReport | None = None

    def _work(self) -> None:
        while not self._stop.is_set():
            self.wake.clear()
            try:
                report = process_inbox(self.hub, self.source)
                self.last_report = report
                more = report.left and not report.failed and not report.busy
            except Exception:  # the hub store is down: try again after the poll interval
                log.exception("callback worker: draining the inbox failed")
                more = False
            if not more:
                self.wake.wait(self.poll)

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        self._stop.clear()
        self._worker = threading.Thread(
            target=self._work, name=f"chub-callback-worker-{self.source}", daemon=True
        )
        self._worker.start()
        try:
            super().serve_forever(poll_interval)
        finally:
            self._stop.set()
            self.wake.set()

    def server_close(self) -> None:
        super().server_close()
        self._stop.set()
        self.wake.set()
        if self._worker is not None and self._worker is not threading.current_thread():
            # a fetch in flight finishes first (bounded by the client's timeout and retries)
            self._worker.join(timeout=60)


def serve_wecom_callbacks(hub: Hub, source_name: str, host: str, port: int) -> CallbackServer:
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
    server_box: dict[str, Any] = {}

    def on_event(change: ContactChange) -> None:
        # only queue: the worker fetches, so the answer goes back within WeCom's 5 s
        queue_event(hub.engine, source_name, change)
        server_box["server"].wake.set()

    app = build_callback_app(
        cfg.settings,
        on_event,
        nonces=HubNonces(hub.engine, source_name, cfg.settings.callback_max_age),
    )
    server = make_server(host, port, app, server_class=CallbackServer, handler_class=_QuietHandler)
    assert isinstance(server, CallbackServer)
    server.setup_worker(hub, source_name)
    server_box["server"] = server
    return server
