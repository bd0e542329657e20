"""Landing a page with plain indexed statements: SQLite, any database without the COPY
path, and the record-by-record fallback everywhere.

The page's existing rows are read with one indexed lookup per 500 keys, then the writes
go out with ``executemany``. The statements are handed to the driver as they are
(``exec_driver_sql``, parameters as tuples): compiling them and processing each row's
parameters through SQLAlchemy was most of the time of a SQLite page. What SQLAlchemy's
types did to a parameter is done here once per page: the timestamp is bound as
``DateTime(timezone=True)`` would bind it on this dialect, so the stored values are the
ones the typed statements stored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, DateTime

from integration.pipeline.land_copy import HASH_HISTORY, Merged

_LOOKUP_CHUNK = 500
_TS = DateTime(timezone=True)


def json_value(value: Any) -> Any:
    """A JSON column read with plain SQL: text on SQLite, already parsed on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


def history(old: Any, digest: str, now_iso: str) -> str:
    """The hash history after ``old`` with ``digest`` appended, the last HASH_HISTORY kept."""
    kept = list(json_value(old) or [])[-(HASH_HISTORY - 1) :]
    return json.dumps([*kept, [digest, now_iso]], ensure_ascii=False)


def _timestamp(conn: Connection) -> Callable[[datetime], Any]:
    """What the dialect stores for a ``DateTime(timezone=True)`` value."""
    process = _TS.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return process if process is not None else (lambda value: value)


class _Sql:
    """The page's statements in the driver's own parameter style."""

    def __init__(self, conn: Connection) -> None:
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        if conn.dialect.paramstyle not in ("qmark", "format", "pyformat"):
            raise NotImplementedError(f"landing: paramstyle {conn.dialect.paramstyle}")
        as_json = f"CAST({mark} AS json)" if conn.dialect.name == "postgresql" else mark
        self.mark = mark
        self.insert = (
            "INSERT INTO source_record (source, stream, source_key, payload, raw_text, problem,"
            " payload_hash, hash_history, deleted, first_seen, last_seen, changed_at) VALUES"
            f" ({mark}, {mark}, {mark}, {as_json}, {mark}, {mark}, {mark}, {as_json}, {mark},"
            f" {mark}, {mark}, {mark})"
        )
        self.update_changed = (
            f"UPDATE source_record SET last_seen = {mark}, changed_at = {mark},"
            f" payload_hash = {mark}, hash_history = {as_json}, deleted = {mark},"
            f" raw_text = {mark}, problem = {mark},"
            f" payload = CASE WHEN {mark} THEN payload ELSE {as_json} END WHERE id = {mark}"
        )
        self.update_seen = f"UPDATE source_record SET last_seen = {mark} WHERE id = {mark}"

    def lookup(self, keys: int) -> str:
        marks = ", ".join([self.mark] * keys)
        return (
            "SELECT source_key, id, payload_hash, deleted, hash_history FROM source_record"
            f" WHERE source = {self.mark} AND stream = {self.mark} AND source_key IN ({marks})"
        )


def write_indexed(
    conn: Connection, source: str, stream: str, rows: Sequence[Any], now: datetime
) -> Merged:
    """Write ``rows`` (storable rows: key, payload, raw_text, problem, digest, deleted;
    keys unique) into ``source_record``; the caller holds the write lock (SQLite's BEGIN
    IMMEDIATE) or accepts what a concurrent writer may do between lookup and write."""
    sql = _Sql(conn)
    at = _timestamp(conn)(now)
    now_iso = now.isoformat()
    existing: dict[str, Any] = {}
    keys = [r.key for r in rows]
    for i in range(0, len(keys), _LOOKUP_CHUNK):
        chunk = keys[i : i + _LOOKUP_CHUNK]
        found = conn.exec_driver_sql(sql.lookup(len(chunk)), (source, stream, *chunk))
        existing.update({r[0]: r for r in found})
    new = changed = unchanged = deleted = 0
    inserts, changes, seen = [], [], []
    for row in rows:
        old = existing.get(row.key)
        if old is None:
            new += 1
            deleted += row.deleted
            # the text json.dumps([[digest, now_iso]]) gives: both are plain ASCII
            first = f'[["{row.digest}", "{now_iso}"]]'
            inserts.append(
                (source, stream, row.key, row.payload, row.raw_text, row.problem, row.digest)
                + (first, row.deleted, at, at, at)
            )
        elif old.payload_hash == row.digest:
            unchanged += 1
            seen.append((at, old.id))
        else:
            changed += 1
            deleted += row.deleted and not old.deleted
            # a tombstone without a body keeps the last known payload
            keep_payload = row.payload is None and row.deleted
            changes.append(
                (at, at, row.digest, history(old.hash_history, row.digest, now_iso), row.deleted)
                + (row.raw_text, row.problem, keep_payload, row.payload, old.id)
            )
    if inserts:
        conn.exec_driver_sql(sql.insert, inserts)
    if changes:
        conn.exec_driver_sql(sql.update_changed, changes)
    if seen:
        conn.exec_driver_sql(sql.update_seen, seen)
    return Merged(new, changed, unchanged, deleted)
