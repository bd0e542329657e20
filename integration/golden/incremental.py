"""What an incremental golden build must look at, and the bookkeeping it keeps for the next.

A golden record's build inputs (``build.py``'s fingerprint) are its members' rows (fields,
record hash, when they changed), the activities assigned to it (by a member's customer
key, else by a member's mobile / phone / e-mail: the smallest golden id holding it), the
survivorship and fact settings, and the day the facts are as of. A golden record none of
whose inputs can have moved since the last build keeps its fingerprint, so a full build
would skip it too; the others are *candidates* and get exactly a full build's treatment
(fingerprint, rebuilt where it moved). A candidate too many costs time, never
correctness; a missed one is a bug (tests/integration/test_incremental_golden.py: a
full rebuild after an incremental one changes nothing).

Candidates, from what the last build recorded (``matching_state`` row ``golden.build``):

- membership: every golden id an identity event since the last build names (resolve
  runs, placement, admin decisions), read in the change feed's order, which is complete
  on PostgreSQL too (``integration/event_feed.py``); the build's own ``changed``
  events name nothing new;
- member rows: the golden records of rows stamped (``customer_row.updated_at``) at or
  after the last build's start less IN_FLIGHT (a standardize batch stamps its rows
  seconds before it commits); a row the last build saw with the same stamp is skipped;
- activities: those whose source record changed (``source_record.changed_at``) since the
  last build's start less IN_FLIGHT, or since the oldest record that was still waiting
  for standardize then; each goes to the golden record it was assigned to at the last
  build (kept per activity) and to the one it is assigned to now;
- activities that move without changing: every activity keyed to a member a candidate
  had or has, or carrying a contact a candidate had or has (the old ones from its stored
  fields and lineage), is assigned again; where it lands elsewhere, both are candidates;
- everything else the fingerprint holds is global: other settings, or another day the
  facts are as of, and the build is a full one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from integration.event_feed import Position, feed_head, read_feed
from integration.store import ActivityRow, CustomerRow, GoldenMember, SourceRecord, chunks
from integration.store.models import MatchingState, as_utc, utcnow

__all__ = [
    "IN_FLIGHT",
    "STATE_NAME",
    "BuildState",
    "Marks",
    "changed_records",
    "changed_rows",
    "contact_index",
    "contacts_of",
    "db_time",
    "golden_of_keys",
    "golden_of_rows",
    "load_state",
    "mark",
    "membership_changes",
    "save_state",
]

STATE_NAME = "golden.build"
#: the layout of the state; another one is not read (the next build is a full one)
STATE_FORMAT = 1
#: rows stamped this long before a build started are looked at again by the next build:
#: a standardize batch commits its rows a few seconds after stamping them (the same
#: margin as the resolve stage's, integration/pipeline/resolve.py)
IN_FLIGHT = timedelta(seconds=15)
_PAGE = 5000


def db_time(session: Session, value: datetime) -> datetime:
    """``value`` as the database compares it (SQLite stores naive UTC)."""
    value = as_utc(value)
    if session.get_bind().dialect.name == "sqlite":
        return value.replace(tzinfo=None)
    return value


@dataclass
class BuildState:
    """What the last build saw: where the next one starts looking."""

    #: the settings digest the records were built under
    rules: str
    #: the change feed's position after the last event the build had read
    cursor: str
    #: rows stamped at or after this (ISO, UTC) are looked at again
    rows_floor: str
    #: row id -> stamp of the rows the build saw stamped at or after ``rows_floor``
    recent_rows: dict[int, str]
    #: source records changed at or after this (ISO, UTC) are looked at again
    records_floor: str
    #: activity id -> the golden id it was assigned to (assigned activities only)
    acts: dict[int, str]
    #: the newest activity time in the hub (ISO) and that activity's id
    newest: str | None
    newest_id: int | None
    #: the day the facts were as of
    as_of_day: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Marks:
    """Taken before the build reads anything, so whatever commits later is looked at by
    the next build (on PostgreSQL each statement sees what has committed by then)."""

    begun: datetime
    cursor: Position
    #: row id -> stamp (ISO, UTC), rows stamped at or after ``begun - IN_FLIGHT``
    stamps: dict[int, str]
    records_floor: datetime


def _pending_since(session: Session) -> datetime | None:
    """The oldest change of a source record still waiting for standardize (no row made
    from it yet, or an activity made from another payload): its activity row is written
    later, unstamped, so the next build must look from there. A deleted record waits for
    nothing (deleting flips ``source_record.deleted``, which the build reads itself)."""
    sr, cr, ar = SourceRecord.__table__, CustomerRow.__table__, ActivityRow.__table__
    q = (
        select(func.min(sr.c.changed_at))
        .select_from(sr.outerjoin(cr, cr.c.id == sr.c.id).outerjoin(ar, ar.c.id == sr.c.id))
        .where(
            sr.c.deleted.is_(False),
            or_(
                and_(cr.c.id.is_(None), ar.c.id.is_(None)),
                ar.c.record_hash != sr.c.payload_hash,
            ),
        )
    )
    found = session.scalar(q)
    return as_utc(found) if found is not None else None


def mark(session: Session, since: datetime | None = None, cursor: Position | None = None) -> Marks:
    """The marks of a build starting now; ``since``: the previous build's row floor (the
    stamps read cover it, so the caller can tell re-read rows from changed ones);
    ``cursor``: the feed position the caller has read up to (default: the feed's head)."""
    begun = utcnow()
    if cursor is None:
        cursor = feed_head(session)  # PostgreSQL: commits; nothing is written yet
    floor = begun - IN_FLIGHT
    stamps = _stamps(session, min(floor, since) if since is not None else floor)
    pending = _pending_since(session)
    return Marks(begun, cursor, stamps, min(floor, pending) if pending else floor)


def _stamps(session: Session, floor: datetime) -> dict[int, str]:
    q = select(CustomerRow.id, CustomerRow.updated_at).where(
        CustomerRow.updated_at >= db_time(session, floor)
    )
    return {rid: as_utc(at).isoformat() for rid, at in session.execute(q)}


def changed_rows(marks: Marks, state: BuildState) -> set[int]:
    """Rows stamped since the last build's floor that it did not see as they are."""
    floor = datetime.fromisoformat(state.rows_floor)
    return {
        rid
        for rid, at in marks.stamps.items()
        if datetime.fromisoformat(at) >= floor and state.recent_rows.get(rid) != at
    }


def membership_changes(session: Session, cursor: str) -> tuple[set[str], Position]:
    """Golden ids named by the identity events after ``cursor``, and the new cursor."""
    after = Position.parse(cursor)
    named: set[str] = set()
    while True:
        page = read_feed(session, after, _PAGE)
        for ev in page.events:
            if ev.kind == "changed":  # the build's own: a content change, no new input
                continue
            named.add(ev.golden_id)
            if ev.other_id:
                named.add(ev.other_id)
        after = page.next_cursor
        if not page.more:
            return named, after


def golden_of_rows(session: Session, row_ids: Iterable[int]) -> set[str]:
    out: set[str] = set()
    for chunk in chunks(sorted(row_ids)):
        q = select(GoldenMember.golden_id).where(GoldenMember.row_id.in_(chunk))
        out.update(session.scalars(q))
    return out


def changed_records(session: Session, floor: str) -> set[int]:
    """Source records (customers and activities) changed at or after ``floor``."""
    q = select(SourceRecord.id).where(
        SourceRecord.changed_at >= db_time(session, datetime.fromisoformat(floor))
    )
    return set(session.scalars(q))


def golden_of_keys(
    session: Session, keys: Iterable[tuple[str, str, str]]
) -> dict[tuple[str, str, str], str]:
    """(source, stream, source_key) -> golden id of the member with that key."""
    by_stream: dict[tuple[str, str], set[str]] = {}
    for source, stream, key in keys:
        by_stream.setdefault((source, stream), set()).add(key)
    out: dict[tuple[str, str, str], str] = {}
    for (source, stream), wanted in sorted(by_stream.items()):
        for chunk in chunks(sorted(wanted)):
            q = select(GoldenMember.source_key, GoldenMember.golden_id).where(
                GoldenMember.source == source,
                GoldenMember.stream == stream,
                GoldenMember.source_key.in_(chunk),
            )
            for key, gid in session.execute(q):
                out[(source, stream, key)] = gid
    return out


def contacts_of(fields: Mapping[str, Any], *names: str) -> set[str]:
    """The contact values (texts) of ``fields`` under ``names`` (a text or a list)."""
    out: set[str] = set()
    for name in names:
        value = fields.get(name)
        for v in value if isinstance(value, list) else [value]:
            if v and isinstance(v, str):
                out.add(v)
    return out


def contact_index(session: Session) -> dict[str, str]:
    """Mobile / phone / e-mail -> the smallest golden id with a member holding it: the
    full build's index (build.py ``_contact_index``), read narrowly (three values of each
    member's fields, not the fields). Needed only when an activity known by contact
    alone is assigned again."""
    q = select(
        GoldenMember.golden_id,
        CustomerRow.fields["mobile"],
        CustomerRow.fields["email"],
        CustomerRow.fields["phones"],
    ).join(CustomerRow, CustomerRow.id == GoldenMember.row_id)
    index: dict[str, str] = {}
    for gid, mobile, email, phones in session.execute(q):
        for value in [mobile, email, *(phones if isinstance(phones, list) else [])]:
            if value and (value not in index or gid < index[value]):
                index[value] = gid
    return index


def load_state(session: Session) -> BuildState | None:
    row = session.get(MatchingState, STATE_NAME)
    if row is None or (row.meta or {}).get("format") != STATE_FORMAT:
        return None
    meta = dict(row.meta)
    body = json.loads(bytes(row.blob).decode())
    return BuildState(
        rules=meta["rules"],
        cursor=meta["cursor"],
        rows_floor=meta["rows_floor"],
        recent_rows={int(k): v for k, v in body["recent_rows"]},
        records_floor=meta["records_floor"],
        acts={int(k): v for k, v in body["acts"]},
        newest=meta.get("newest"),
        newest_id=meta.get("newest_id"),
        as_of_day=meta["as_of_day"],
        meta=meta,
    )


def save_state(session: Session, state: BuildState, *, mode: str, candidates: int) -> None:
    meta = {
        "format": STATE_FORMAT,
        "rules": state.rules,
        "cursor": state.cursor,
        "rows_floor": state.rows_floor,
        "records_floor": state.records_floor,
        "newest": state.newest,
        "newest_id": state.newest_id,
        "as_of_day": state.as_of_day,
        "last_build": mode,
        "candidates": candidates,
        "activities": len(state.acts),
        "saved_at": utcnow().isoformat(),
    }
    body = {
        "recent_rows": sorted(state.recent_rows.items()),
        "acts": sorted(state.acts.items()),
    }
    blob = json.dumps(body, separators=(",", ":")).encode()
    MatchingState.put(session, STATE_NAME, blob, meta)
