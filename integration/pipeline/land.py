"""Landing: pages of raw records go into ``source_record`` with their cursor, atomically.

Three promises, on SQLite as on PostgreSQL:

* **A page always commits.** Every record is made storable before it meets the database
  (:func:`storable`): a key that is too long, holds control characters or is no text is
  stored under a deterministic bounded key; a payload PostgreSQL would refuse (a NUL, a
  lone surrogate, NaN), that is no JSON object or is over the size bound lands *raw and
  flagged* (``payload`` None, ``raw_text`` what arrived, ``problem`` why). Should the
  database still refuse a record, the page is landed again record by record and the
  refused ones land flagged, so one record never stops a source.
* **Deletions only from a complete scan, atomically, and never en masse.** A page marked
  ``scan_complete`` tombstones the stream's unseen records in the same transaction as
  that page and its cursor; a scan that would tombstone more than
  ``landing.max_delete_share`` of the live records, or that returned no live record at
  all, tombstones nothing and fails with :class:`MassDeletionRefused`.
* **One writer per source**: :func:`sync_source` holds the hub lock ``sync:<source>``, so
  two syncs never interleave their cursors.

Speed does not depend on the planner: on PostgreSQL (psycopg 3) a page is COPYed into a
temporary table and merged with one ``INSERT ... ON CONFLICT DO UPDATE``, whose conflict
check always goes through the unique index (:mod:`.land_copy`); elsewhere (SQLite) the
page's existing rows are read with one indexed lookup per 500 keys and written with
``executemany`` (:mod:`.land_indexed`). On PostgreSQL :func:`sync_source` writes each page
on a worker thread while the source reads the next one (:mod:`.land_ahead`): the source
is asked for page N+1 before page N has committed, but page N+1 is only written after
page N committed, and never if page N failed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, NamedTuple

from sqlalchemy import Connection, DateTime, Engine, Table, bindparam, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DataError, StatementError

from connectors.contract import Page, RawRecord, Source
from integration.errors import ChubError
from integration.locks import hub_lock
from integration.pipeline.land_ahead import PageWriter
from integration.pipeline.land_copy import NO_FLUSH_WAIT, write_copy
from integration.pipeline.land_indexed import history as hash_history
from integration.pipeline.land_indexed import json_value, write_indexed
from integration.sections.landing import DeletionLimits, LandingSettings
from integration.store import SourceRecord, SyncState
from integration.store.models import utcnow

__all__ = [
    "LandingReport",
    "MassDeletionRefused",
    "bounded_key",
    "land_page",
    "land_records",
    "payload_hash",
    "read_cursor",
    "storable",
    "sync_source",
]

#: column lengths, read from the model so the two never disagree
_KEY_LEN = SourceRecord.__table__.c.source_key.type.length  # type: ignore[attr-defined]
_NAME_LEN = SourceRecord.__table__.c.source.type.length  # type: ignore[attr-defined]
_STREAM_LEN = SourceRecord.__table__.c.stream.type.length  # type: ignore[attr-defined]
#: the readable part of a bounded key; the rest is "~" and 32 hex digits of its hash
_KEY_PREFIX = 200
_PROBLEM_LEN = 4000

#: what may not be in a key: C0 and C1 control characters, DEL, lone surrogates
_KEY_BAD = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
#: what no text column takes (PostgreSQL refuses NUL; no driver encodes a lone surrogate)
_TEXT_BAD = re.compile("[\x00\ud800-\udfff]")
#: what a person should see escaped in raw text
_RAW_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
#: a NUL written by json.dumps (``\u0000`` after an even number of backslashes)
_JSON_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
#: the cursor of a source that put something unstorable in it, kept reversibly
_CURSOR_B64 = "chub-b64:"


class MassDeletionRefused(ChubError):
    """A complete scan would have tombstoned too many records; nothing was marked deleted."""


def payload_hash(record: RawRecord) -> str:
    if record.payload is not None:
        body = _HASH_JSON.encode(record.payload)
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


# ---------------------------------------------------------------- making records storable


class _Row(NamedTuple):
    """A record as it will be stored; the field order is the staging table's."""

    key: str
    payload: str | None  # JSON text
    raw_text: str | None
    problem: str | None
    digest: str
    deleted: bool


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _visible(value: str, limit: int) -> tuple[str, list[str]]:
    """``value`` with invisible characters escaped and cut to ``limit``; what was done."""
    done = []
    if _RAW_INVISIBLE.search(value):
        value = _RAW_INVISIBLE.sub(_escape, value)
        done.append("control characters escaped")
    if len(value) > limit:
        done.append(f"cut from {len(value)} to {limit} characters")
        value = value[:limit]
    return value, done


def _hashed_key(original: str) -> str:
    digest = hashlib.sha256(original.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{_KEY_BAD.sub('', original)[:_KEY_PREFIX]}~{digest}"


def bounded_key(key: str) -> str:
    """The key a record is stored under: itself when it fits and is clean text, otherwise
    a readable prefix and a hash of the whole (the same key always gives the same result,
    so a re-sync finds the row again and an activity still links to its customer)."""
    if len(key) <= _KEY_LEN and not _KEY_BAD.search(key):
        return key
    return _hashed_key(key)


def _stored_key(key: Any) -> tuple[str, str | None]:
    """(key to store, why it is not the source's key) for a record's key."""
    if isinstance(key, str):
        stored = bounded_key(key)
        if stored == key:
            return key, None
        why = (
            f"source key of {len(key)} characters is longer than {_KEY_LEN}"
            if len(key) > _KEY_LEN
            else "source key holds control characters"
        )
    elif isinstance(key, int) and not isinstance(key, bool):
        return str(key), None  # a numeric id: its text is the key
    else:
        key = f"{type(key).__name__}:{key!r}"
        stored, why = _hashed_key(key), "source key is not text"
    original, _ = _visible(key, 1000)
    return stored, f"{why}: landed under {stored!r}; the source's key: {original}"


def _payload_json(payload: Any, limit: int) -> tuple[str | None, str | None, str]:
    """(JSON text to store, why it cannot be stored, text to keep if it cannot)."""
    if not isinstance(payload, dict):
        return None, f"payload is a {type(payload).__name__}, not a JSON object", repr(payload)
    try:
        # the same text payload_hash hashes (allow_nan only changes what NaN does)
        body = _STORE_JSON.encode(payload)
    except ValueError as exc:  # NaN / infinity, a circular reference
        return None, f"payload cannot be JSON: {exc}", _loose_json(payload)
    except (TypeError, RecursionError) as exc:  # keys of mixed types, nested too deep
        return None, f"payload cannot be JSON: {type(exc).__name__}: {exc}", repr(payload)
    if len(body) > limit:
        return None, f"payload of {len(body)} characters is over the {limit} limit", body
    if _TEXT_BAD.search(body) or ("\\u0000" in body and _JSON_NUL.search(body)):
        return None, "payload holds NUL characters or lone surrogates", body
    return body, None, body


def _loose_json(payload: Any) -> str:
    try:
        return json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        return repr(payload)


#: json.dumps as payload_hash calls it, built once (dumps builds an encoder per call)
_HASH_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str)
#: the same text, refusing NaN and infinity (PostgreSQL's json refuses them)
_STORE_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str, allow_nan=False)
_new_row = tuple.__new__  # a named tuple without the Python-level __new__: the hot path
#: _STORE_JSON's C encoder, made once: its encode() makes a new one for every call, a
#: fifth of the cost of encoding a small payload. It keeps no record of the containers it
#: is in (markers None), so a circular payload ends in RecursionError here rather than
#: ValueError, and the slow path, with the full encoder, says why.
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_FAST_JSON: Callable[[Any, int], Sequence[str]] | None = (
    _c_make_encoder(None, str, json.encoder.encode_basestring, None, ": ", ", ", True, False, False)
    if _c_make_encoder is not None
    else None
)


def storable(record: Any, max_chars: int = 1_000_000) -> _Row:
    """``record`` as it can be stored: itself when it can, else raw and flagged with why."""
    # the fast path, taken by nearly every record: one JSON encoding, one hash
    if isinstance(record, RawRecord) and record.problem is None and record.raw_text is None:
        key, payload = record.key, record.payload
        if (
            type(key) is str
            and len(key) <= _KEY_LEN
            and not _KEY_BAD.search(key)
            and type(payload) is dict
        ):
            try:
                body = (
                    "".join(_FAST_JSON(payload, 0)) if _FAST_JSON else _STORE_JSON.encode(payload)
                )
                data = body.encode("utf-8")  # fails on a lone surrogate
            except (ValueError, TypeError, RecursionError):
                pass  # the slow path says why
            else:
                if len(body) <= max_chars and "\\u0000" not in body:
                    deleted = bool(record.deleted)
                    digest = hashlib.sha256(b"deleted\x00" + data if deleted else data)
                    return _new_row(_Row, (key, body, None, None, digest.hexdigest(), deleted))
    return _storable_checked(record, max_chars)


def _storable_checked(record: Any, max_chars: int) -> _Row:
    if not isinstance(record, RawRecord):
        text_of = repr(record)
        record = RawRecord(key=text_of, payload=None, problem="not a record", raw_text=text_of)
    key, key_problem = _stored_key(record.key)
    deleted = bool(record.deleted)
    problem = None if record.problem is None else str(record.problem)
    raw_text = None if record.raw_text is None else str(record.raw_text)
    body: str | None = None
    notes = [key_problem] if key_problem else []
    if record.payload is not None:
        body, payload_problem, as_text = _payload_json(record.payload, max_chars)
        if payload_problem or key_problem:
            # raw and flagged: what arrived, as text, for a person to read
            notes += [payload_problem] if payload_problem else []
            body, raw_text = None, as_text
    elif not deleted and not problem:
        # neither a body nor a deletion nor a reason: a connector bug that would otherwise
        # land as a blank row no one is told about
        notes.append("record has no payload and is no deletion")
        problem = None  # an empty reason says nothing: the note is the reason
    if raw_text is not None:
        raw_text, done = _visible(raw_text, max_chars)
        notes += [f"raw text: {', '.join(done)}"] if done else []
    if problem is not None and _TEXT_BAD.search(problem):
        problem = _TEXT_BAD.sub(_escape, problem)
    if notes:
        problem = "; ".join([problem, *notes] if problem else notes)
    if problem is not None and len(problem) > _PROBLEM_LEN:
        problem = problem[:_PROBLEM_LEN]
    if body is not None and notes == []:
        hashed = ("deleted\x00" + body) if deleted else body
        digest = hashlib.sha256(hashed.encode("utf-8")).hexdigest()
    else:
        digest = payload_hash(RawRecord(key, None, deleted, problem, raw_text))
    return _Row(key, body, raw_text, problem, digest, deleted)


def _refused(row: _Row, exc: BaseException) -> _Row:
    """The last resort for a record the database refused anyway: ASCII only, no payload."""
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:500]
    problem = f"the hub database refused this record ({type(exc).__name__}: {reason})"
    raw = ascii(row.payload if row.payload is not None else row.raw_text)[:100_000]
    key = row.key if row.key.isascii() and bounded_key(row.key) == row.key else None
    key = key or _hashed_key(ascii(row.key))
    digest = payload_hash(RawRecord(key, None, row.deleted, problem, raw))
    return _Row(key, None, raw, problem, digest, row.deleted)


def _check_name(what: str, name: str, limit: int) -> None:
    if not isinstance(name, str) or not name or len(name) > limit or _KEY_BAD.search(name):
        raise ChubError(
            f"{what} name {name!r} cannot be stored: it must be 1 to {limit} characters "
            "without control characters"
        )


# ---------------------------------------------------------------- writing a page


@dataclass
class _Counts:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0

    def add(self, other: _Counts) -> None:
        self.new += other.new
        self.changed += other.changed
        self.unchanged += other.unchanged
        self.deleted += other.deleted


_TS = DateTime(timezone=True)


def _json_param(conn: Connection, name: str) -> str:
    return f"CAST(:{name} AS json)" if conn.dialect.name == "postgresql" else f":{name}"


def _write(
    conn: Connection,
    source: str,
    stream: str,
    rows: Sequence[_Row],
    now: datetime,
    *,
    moves_cursor: bool,
) -> _Counts:
    if not rows:
        return _Counts()
    if _copies(conn):
        merged = write_copy(conn, source, stream, rows, now, moves_cursor=moves_cursor)
        return _Counts(*merged)
    return _Counts(*write_indexed(conn, source, stream, rows, now))


def _copies(conn: Connection) -> bool:
    """Whether pages go in by COPY (PostgreSQL through psycopg 3)."""
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"


def _write_one_by_one(
    conn: Connection, source: str, stream: str, rows: Sequence[_Row], now: datetime
) -> tuple[_Counts, int]:
    """The last resort after the database refused a page: each record in a savepoint,
    a refused one landed flagged instead. (counts, records refused)."""
    counts, refused = _Counts(), 0
    for row in rows:
        try:
            with conn.begin_nested():
                counts.add(_Counts(*write_indexed(conn, source, stream, [row], now)))
        except (DataError, StatementError, UnicodeError, ValueError, TypeError) as exc:
            refused += 1
            with conn.begin_nested():
                refused_row = [_refused(row, exc)]
                counts.add(_Counts(*write_indexed(conn, source, stream, refused_row, now)))
    return counts, refused


# ---------------------------------------------------------------- tombstones and the cursor


def _tombstone(
    conn: Connection,
    source: str,
    stream: str,
    since: datetime,
    limits: DeletionLimits,
    now: datetime,
) -> tuple[int, str | None]:
    """After a complete scan: the stream's records it did not return are gone upstream.
    Keep them, marked deleted. (records tombstoned, why it refused to)."""
    where = "source = :source AND stream = :stream AND deleted = :false"
    params = {"source": source, "stream": stream, "since": since, "false": False}
    gone_count, live_count = conn.execute(
        text(
            "SELECT coalesce(sum(CASE WHEN last_seen < :since THEN 1 ELSE 0 END), 0), "
            f"count(*) FROM source_record WHERE {where}"
        ).bindparams(bindparam("since", type_=_TS)),
        params,
    ).one()
    if not gone_count:
        return 0, None
    seen = live_count - gone_count
    if not seen or limits.refuses(gone_count, live_count):
        why = (
            "the scan returned no live record"
            if not seen
            else f"more than landing.max_delete_share {limits.max_delete_share:g}"
        )
        return 0, (
            f"{source}/{stream}: refused to tombstone {gone_count} of {live_count} live "
            f"records ({gone_count / live_count:.1%}, {why}): the scan looks incomplete, "
            "nothing was marked deleted; if the source really lost them, raise "
            f"landing.sources.{source}.max_delete_share in chub.yaml and sync again"
        )
    gone = conn.execute(
        text(
            "SELECT id, source_key, payload, problem, raw_text, hash_history FROM source_record "
            f"WHERE {where} AND last_seen < :since"
        ).bindparams(bindparam("since", type_=_TS)),
        params,
    ).all()
    now_iso = now.isoformat()
    updates = []
    for row in gone:
        tomb = RawRecord(
            row.source_key,
            json_value(row.payload),
            deleted=True,
            problem=row.problem,
            raw_text=row.raw_text,
        )
        digest = payload_hash(tomb)
        history = hash_history(row.hash_history, digest, now_iso)
        updates.append({"id": row.id, "digest": digest, "history": history, "now": now})
    conn.execute(
        text(
            "UPDATE source_record SET payload_hash = :digest, deleted = :true, changed_at = :now,"
            f" hash_history = {_json_param(conn, 'history')} WHERE id = :id"
        ).bindparams(bindparam("now", type_=_TS)),
        [u | {"true": True} for u in updates],
    )
    return len(updates), None


def _stored_cursor(cursor: str | None) -> str | None:
    if cursor is None or not _TEXT_BAD.search(cursor):
        return cursor
    raw = cursor.encode("utf-8", "surrogatepass")
    return _CURSOR_B64 + base64.b64encode(raw).decode("ascii")


def _save_state(
    conn: Connection,
    source: str,
    stream: str,
    now: datetime,
    *,
    cursor: str | None = None,
    records: int | None = None,
    error: str | None = None,
) -> None:
    """Upsert the stream's sync_state: with ``records``, a page landed (cursor moves)."""
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    table = SyncState.__table__
    assert isinstance(table, Table)
    values: dict[str, Any] = {"source": source, "stream": stream, "last_error": error}
    if records is None:
        values |= {"pages": 0, "records": 0, "updated_at": now}
        stmt = insert(table).values(**values)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["source", "stream"], set_={"last_error": error}
            )
        )
        return
    values |= {"cursor": _stored_cursor(cursor), "pages": 1, "records": records, "updated_at": now}
    stmt = insert(table).values(**values)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["source", "stream"],
            set_={
                "cursor": stmt.excluded.cursor,
                "pages": table.c.pages + 1,
                "records": table.c.records + records,
                "updated_at": now,
                "last_error": error,
            },
        )
    )


def read_cursor(engine: Engine, source: str, stream: str) -> str | None:
    with engine.connect() as conn:
        cursor = conn.execute(
            text("SELECT cursor FROM sync_state WHERE source = :source AND stream = :stream"),
            {"source": source, "stream": stream},
        ).scalar()
    if isinstance(cursor, str) and cursor.startswith(_CURSOR_B64):
        raw = base64.b64decode(cursor.removeprefix(_CURSOR_B64))
        return raw.decode("utf-8", "surrogatepass")
    return cursor


def record_error(engine: Engine, source: str, stream: str, message: str) -> None:
    message, _ = _visible(message, _PROBLEM_LEN)
    with engine.begin() as conn:
        _save_state(conn, source, stream, utcnow(), error=message)


# ---------------------------------------------------------------- one transaction per page


@dataclass(frozen=True)
class _Scan:
    """A complete scan ends with this page: tombstone what it did not see since ``since``."""

    since: datetime
    limits: DeletionLimits


def _begin_write(conn: Connection, *, moves_cursor: bool, one_by_one: bool) -> None:
    if conn.dialect.name == "sqlite":
        # take the write lock before reading the existing rows, so no other writer slips
        # in between the lookup and the writes
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql" and moves_cursor and (one_by_one or not _copies(conn)):
        # A page that moves its cursor need not wait for its WAL flush (why: land_copy's
        # NO_FLUSH_WAIT, which the COPY path sends together with its staging table). A
        # callback's records, which no source will send again, keep the synchronous commit.
        conn.exec_driver_sql(NO_FLUSH_WAIT)


@contextmanager
def _transaction(engine: Engine, *, moves_cursor: bool) -> Iterator[Connection]:
    """A connection in a transaction for one page.

    SQLite in WAL mode, for a page that moves its cursor: ``synchronous = NORMAL`` for its
    commit, the connection's own setting again after. The trade is NO_FLUSH_WAIT's on
    PostgreSQL: an application crash loses nothing committed; a power loss or OS crash
    may lose the last pages, each together with its cursor, which the next sync pulls
    again (the database stays consistent). The fsync of each commit was most of a SQLite
    page's wall time. A callback's records keep the full flush.
    """
    with engine.connect() as conn:
        raw: Any = conn.connection.dbapi_connection if conn.dialect.name == "sqlite" else None
        before = None
        if moves_cursor and raw is not None:
            if str(raw.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                before = int(raw.execute("PRAGMA synchronous").fetchone()[0])
                raw.execute("PRAGMA synchronous = NORMAL")
        try:
            with conn.begin():
                yield conn
        finally:
            if before is not None:
                raw.execute(f"PRAGMA synchronous = {before}")


@dataclass
class _Landed:
    """What writing one page did."""

    stream: str
    rows: list[_Row]
    counts: _Counts
    refused: int  # records the database refused, landed flagged instead
    refusal: str | None  # why its complete scan tombstoned nothing
    moved_cursor: bool


def _rows_of(records: Sequence[Any], max_chars: int) -> list[_Row]:
    # the same key twice in one page (a source that repeats itself): the last one wins
    latest = {row.key: row for row in (storable(r, max_chars) for r in records)}
    return list(latest.values())


def _write_page(
    engine: Engine,
    source: str,
    stream: str,
    rows: list[_Row],
    *,
    cursor: str | None,
    move_cursor: bool,
    scan: _Scan | None = None,
) -> _Landed:
    """One transaction: the page's rows, its tombstones if it ends a scan, its cursor."""
    now = utcnow()
    refusal: str | None = None

    def page(conn: Connection, one_by_one: bool) -> tuple[_Counts, int]:
        nonlocal refusal
        _begin_write(conn, moves_cursor=move_cursor, one_by_one=one_by_one)
        if one_by_one:
            counts, refused = _write_one_by_one(conn, source, stream, rows, now)
        else:
            counts = _write(conn, source, stream, rows, now, moves_cursor=move_cursor)
            refused = 0
        if scan is not None:
            tombstoned, refusal = _tombstone(conn, source, stream, scan.since, scan.limits, now)
            counts.deleted += tombstoned
        if move_cursor:
            _save_state(conn, source, stream, now, cursor=cursor, records=len(rows), error=refusal)
        return counts, refused

    try:
        with _transaction(engine, moves_cursor=move_cursor) as conn:
            counts, refused = page(conn, one_by_one=False)
    except (DataError, StatementError, UnicodeError, ValueError, TypeError):
        # validated records should never get here; if one does, it must not hold the
        # source back: land the page again record by record, the refused ones flagged
        with _transaction(engine, moves_cursor=move_cursor) as conn:
            counts, refused = page(conn, one_by_one=True)
    return _Landed(stream, rows, counts, refused, refusal, move_cursor)


def _tell(report: LandingReport, landed: _Landed) -> None:
    """Add a written page to the report; raise if its scan refused to tombstone."""
    rows, counts = landed.rows, landed.counts
    report.seen += len(rows)
    report.flagged += sum(r.problem is not None for r in rows) + landed.refused
    report.new += counts.new
    report.changed += counts.changed
    report.unchanged += counts.unchanged
    report.deleted += counts.deleted
    report.pages += landed.moved_cursor
    report.streams[landed.stream] = report.streams.get(landed.stream, 0) + len(rows)
    if landed.refusal:
        raise MassDeletionRefused(landed.refusal)


def _land(
    engine: Engine,
    source: str,
    stream: str,
    records: Sequence[Any],
    report: LandingReport,
    *,
    cursor: str | None,
    move_cursor: bool,
    max_chars: int = 1_000_000,
) -> None:
    rows = _rows_of(records, max_chars)
    _tell(report, _write_page(engine, source, stream, rows, cursor=cursor, move_cursor=move_cursor))


def land_page(
    engine: Engine,
    source: str,
    stream: str,
    page: Page,
    report: LandingReport,
    *,
    max_chars: int = 1_000_000,
) -> None:
    """Store one page and the cursor after it in one transaction."""
    _land(
        engine,
        source,
        stream,
        page.records,
        report,
        cursor=page.cursor,
        move_cursor=True,
        max_chars=max_chars,
    )


def land_records(
    engine: Engine,
    source: str,
    stream: str,
    records: Sequence[RawRecord],
    report: LandingReport,
    *,
    max_chars: int = 1_000_000,
) -> None:
    """Store records fetched outside paging (a change callback's refresh); the cursor stays."""
    _check_name("source", source, _NAME_LEN)
    _check_name("stream", stream, _STREAM_LEN)
    _land(
        engine, source, stream, records, report, cursor=None, move_cursor=False, max_chars=max_chars
    )


def sync_source(
    engine: Engine,
    name: str,
    source: Source,
    *,
    full: bool = False,
    progress: Callable[[str], None] | None = None,
    settings: LandingSettings | None = None,
) -> LandingReport:
    """Pull every stream of ``source`` from its stored cursor (or from the start when ``full``).

    Holds the hub lock ``sync:<name>`` throughout (LockBusy when another sync of the same
    source runs); raises MassDeletionRefused when a complete scan would tombstone too much.
    """
    settings = settings or LandingSettings()
    _check_name("source", name, _NAME_LEN)
    for stream in source.streams:
        _check_name(f"{name}: stream", stream, _STREAM_LEN)
    report = LandingReport(source=name)
    started = time.monotonic()
    # PostgreSQL: each page is written on a worker thread while the source reads the next
    # (land_ahead); SQLite writes in this process, where a thread would only contend
    pool = (
        ThreadPoolExecutor(1, thread_name_prefix="chub-land")
        if engine.dialect.name == "postgresql"
        else None
    )
    try:
        with hub_lock(engine, f"sync:{name}", wait=settings.lock_wait_seconds):
            for stream in source.streams:
                _sync_stream(engine, name, stream, source, report, full, progress, settings, pool)
    finally:
        if pool is not None:
            pool.shutdown(wait=True)  # a page in flight commits or fails, never half
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _sync_stream(
    engine: Engine,
    name: str,
    stream: str,
    source: Source,
    report: LandingReport,
    full: bool,
    progress: Callable[[str], None] | None,
    settings: LandingSettings,
    pool: ThreadPoolExecutor | None,
) -> None:
    cursor = None if full else read_cursor(engine, name, stream)
    pull_started = utcnow()
    limits = settings.deletion_limits(name)

    def done(landed: _Landed) -> None:
        _tell(report, landed)
        if progress:
            progress(f"{name}/{stream}: {report.streams.get(stream, 0)} records")

    pages: PageWriter[_Landed] = PageWriter(pool, done)
    try:
        for page in source.pull(stream, cursor):
            scan = _Scan(pull_started, limits) if page.scan_complete else None
            rows = _rows_of(page.records, settings.max_record_chars)
            pages.put(
                partial(
                    _write_page,
                    engine,
                    name,
                    stream,
                    rows,
                    cursor=page.cursor,
                    move_cursor=True,
                    scan=scan,
                )
            )
        pages.drain()
    except MassDeletionRefused:
        raise  # its message is already the stream's last_error
    except Exception as exc:
        # The page in flight when the source failed lands first, as it did when the source
        # was only asked for the next page after it; should it fail too, its error is the
        # stream's, since it came first.
        try:
            pages.drain()
        except MassDeletionRefused:
            raise
        except Exception as earlier:
            record_error(engine, name, stream, str(earlier))
            raise
        record_error(engine, name, stream, str(exc))
        raise
