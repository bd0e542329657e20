"""Landing: pages of raw records go into ``source_record`` with their cursor, atomically."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from connectors.contract import Page, RawRecord, Source
from integration.store import SourceRecord, SyncState, session_scope
from integration.store.models import utcnow

__all__ = ["LandingReport", "land_page", "land_records", "payload_hash", "sync_source"]

#: how many old hashes a record remembers
_HASH_HISTORY = 20


def payload_hash(record: RawRecord) -> str:
    if record.payload is not None:
        body = json.dumps(record.payload, sort_keys=True, ensure_ascii=False, default=str)
    else:
        body = f"{record.problem}\x00{record.raw_text}"
    if record.deleted:
        body = "deleted\x00" + body
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class LandingReport:
    source: str
    pages: int = 0
    seen: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    flagged: int = 0
    deleted: int = 0
    seconds: float = 0.0
    streams: dict[str, int] = field(default_factory=dict)

    def as_metadata(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "source"}


def land_page(engine: Engine, source: str, stream: str, page: Page, report: LandingReport) -> None:
    """Store one page and the cursor after it in one transaction."""
    _land(engine, source, stream, page.records, report, cursor=page.cursor, move_cursor=True)


def land_records(
    engine: Engine, source: str, stream: str, records: Sequence[RawRecord], report: LandingReport
) -> None:
    """Store records fetched outside paging (a change callback's refresh); the cursor stays."""
    _land(engine, source, stream, records, report, cursor=None, move_cursor=False)


def _land(
    engine: Engine,
    source: str,
    stream: str,
    records: Sequence[RawRecord],
    report: LandingReport,
    *,
    cursor: str | None,
    move_cursor: bool,
) -> None:
    # the same key twice in one page (a source that repeats itself): the last one wins
    latest: dict[str, RawRecord] = {r.key: r for r in records}
    now = utcnow()
    with session_scope(engine) as session:
        existing: dict[str, SourceRecord] = {}
        keys = list(latest)
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            rows = session.scalars(
                select(SourceRecord).where(
                    SourceRecord.source == source,
                    SourceRecord.stream == stream,
                    SourceRecord.source_key.in_(chunk),
                )
            )
            existing.update({row.source_key: row for row in rows})
        for key, record in latest.items():
            digest = payload_hash(record)
            report.seen += 1
            report.flagged += record.problem is not None
            row = existing.get(key)
            if row is None:
                report.new += 1
                report.deleted += record.deleted
                session.add(
                    SourceRecord(
                        source=source,
                        stream=stream,
                        source_key=key,
                        payload=record.payload,
                        raw_text=record.raw_text,
                        problem=record.problem,
                        payload_hash=digest,
                        hash_history=[[digest, now.isoformat()]],
                        deleted=record.deleted,
                        first_seen=now,
                        last_seen=now,
                        changed_at=now,
                    )
                )
                continue
            row.last_seen = now
            if row.payload_hash == digest:
                report.unchanged += 1
                continue
            report.changed += 1
            report.deleted += record.deleted and not row.deleted
            history = list(row.hash_history or [])[-(_HASH_HISTORY - 1) :]
            row.hash_history = [*history, [digest, now.isoformat()]]
            row.payload_hash = digest
            row.deleted = record.deleted
            if record.payload is not None or not record.deleted:
                # a tombstone without a body keeps the last known payload
                row.payload = record.payload
            row.raw_text = record.raw_text
            row.problem = record.problem
            row.changed_at = now
        if move_cursor:
            state = session.get(SyncState, (source, stream))
            if state is None:
                state = SyncState(source=source, stream=stream, pages=0, records=0)
                session.add(state)
            state.cursor = cursor
            state.pages += 1
            state.records += len(latest)
            state.updated_at = now
            state.last_error = None
    report.pages += move_cursor
    report.streams[stream] = report.streams.get(stream, 0) + len(latest)


def tombstone_unseen(engine: Engine, source: str, stream: str, since: datetime) -> int:
    """After a complete scan: records it did not return are gone upstream. Keep them, marked."""
    now = utcnow()
    with session_scope(engine) as session:
        gone = list(
            session.scalars(
                select(SourceRecord).where(
                    SourceRecord.source == source,
                    SourceRecord.stream == stream,
                    SourceRecord.last_seen < since,
                    SourceRecord.deleted.is_(False),
                )
            )
        )
        for row in gone:
            tomb = RawRecord(
                row.source_key,
                row.payload,
                deleted=True,
                problem=row.problem,
                raw_text=row.raw_text,
            )
            digest = payload_hash(tomb)
            row.hash_history = [
                *list(row.hash_history or [])[-(_HASH_HISTORY - 1) :],
                [digest, now.isoformat()],
            ]
            row.payload_hash, row.deleted, row.changed_at = digest, True, now
    return len(gone)


def read_cursor(engine: Engine, source: str, stream: str) -> str | None:
    with session_scope(engine) as session:
        state = session.get(SyncState, (source, stream))
        return state.cursor if state else None


def record_error(engine: Engine, source: str, stream: str, message: str) -> None:
    with session_scope(engine) as session:
        state = session.get(SyncState, (source, stream))
        if state is None:
            state = SyncState(source=source, stream=stream, pages=0, records=0)
            session.add(state)
        state.last_error = message


def sync_source(
    engine: Engine,
    name: str,
    source: Source,
    *,
    full: bool = False,
    progress: Callable[[str], None] | None = None,
) -> LandingReport:
    """Pull every stream of ``source`` from its stored cursor (or from the start when ``full``)."""
    report = LandingReport(source=name)
    started = time.monotonic()
    for stream in source.streams:
        cursor = None if full else read_cursor(engine, name, stream)
        pull_started = utcnow()
        try:
            for page in source.pull(stream, cursor):
                land_page(engine, name, stream, page, report)
                if page.scan_complete:
                    report.deleted += tombstone_unseen(engine, name, stream, pull_started)
                if progress:
                    progress(f"{name}/{stream}: {report.streams.get(stream, 0)} records")
        except Exception as exc:
            record_error(engine, name, stream, str(exc))
            raise
    report.seconds = round(time.monotonic() - started, 3)
    return report
