"""The change feed: identity events since a cursor, each once, none skipped.

The order is the order in which events became final, and the cursor names a place in
it. The rule that makes the feed complete while pipeline runs write:

* **SQLite** has one writer at a time; an event's id is taken inside the writer's
  transaction, so ids commit in order and a reader sees a prefix of them. The order is
  ``id``; the cursor ``0-<id>``.
* **PostgreSQL** hands out ids from a sequence when a row is inserted, not when it
  commits: a run that inserted id 7 may commit after one that inserted id 9, and a reader
  that had moved past 9 would never see 7. So every event carries the id of the
  transaction that wrote it (``identity_event.txid``, set by the database), the order is
  ``(txid, id)``, and a page holds only events of transactions below the *horizon*: the
  oldest transaction of this database still in progress (or, with none, the next
  transaction id to be given out). Every transaction below the horizon has ended, so
  no event can later appear before the cursor; an event of a transaction still running
  is handed out once it commits. The cursor is ``<txid>-<id>``.

The horizon is found in two steps, in this order: a snapshot of the transactions in
progress (cluster-wide), then which of them belong to this database
(``pg_stat_activity`` and prepared transactions); a transaction that ends between the two
steps has committed before the page is read, so the page sees it. Transactions of other
databases on the same server never hold the feed back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select, text, tuple_
from sqlalchemy.orm import Session

from integration.store import IdentityEvent

__all__ = [
    "FeedPage",
    "Position",
    "START",
    "feed_head",
    "has_events_after",
    "horizon",
    "read_feed",
]

_CURSOR = re.compile(r"(\d{1,19})-(\d{1,19})")
_XID_LOW = 1 << 32


@dataclass(frozen=True, order=True)
class Position:
    """A place in the feed: after the event (txid, id); txid is 0 on SQLite."""

    txid: int
    id: int

    def __str__(self) -> str:
        return f"{self.txid}-{self.id}"

    @classmethod
    def parse(cls, value: str) -> Position:
        """``<txid>-<id>`` as handed out by the feed; ValueError says what is wrong."""
        m = _CURSOR.fullmatch(value.strip())
        if not m:
            raise ValueError(
                "cursor must be the next_cursor of an earlier page (two numbers joined by '-')"
            )
        txid, event_id = int(m.group(1)), int(m.group(2))
        if txid >= 1 << 63 or event_id >= 1 << 63:
            raise ValueError("cursor is out of range")
        return cls(txid, event_id)


START = Position(0, 0)


#: what a page reads of each event (plain rows: building ORM objects for 1000 events a
#: page cost more than the query)
_COLUMNS = (
    IdentityEvent.id,
    IdentityEvent.txid,
    IdentityEvent.at,
    IdentityEvent.kind,
    IdentityEvent.golden_id,
    IdentityEvent.other_id,
    IdentityEvent.member_ref,
    IdentityEvent.row_id,
    IdentityEvent.cause,
    IdentityEvent.run_id,
    IdentityEvent.decision_id,
    IdentityEvent.detail,
)


@dataclass
class FeedPage:
    #: rows with the columns of _COLUMNS, in feed order
    events: list[Row[Any]]
    positions: list[Position]
    next_cursor: Position
    more: bool


def _is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def horizon(session: Session) -> int:
    """PostgreSQL: the oldest transaction id of this database that may still commit
    (events of transactions below it are final). Run it before the page's own query."""
    snapshot = session.execute(text("SELECT pg_current_snapshot()::text")).scalar_one()
    xmin_text, xmax_text, xip_text = str(snapshot).split(":")
    in_progress = [int(x) for x in xip_text.split(",") if x]
    if not in_progress:
        return int(xmax_text)
    ours = {
        int(x)
        for x in session.execute(
            text(
                "SELECT backend_xid::text::bigint FROM pg_stat_activity"
                " WHERE datname = current_database() AND backend_xid IS NOT NULL"
                " UNION ALL SELECT transaction::text::bigint FROM pg_prepared_xacts"
                " WHERE database = current_database()"
            )
        ).scalars()
    }
    # pg_stat_activity shows 32-bit xids, the snapshot 64-bit ones (epoch in the high bits)
    mine = [x for x in in_progress if x % _XID_LOW in ours]
    return min([*mine, int(xmax_text)])


def read_feed(session: Session, after: Position, limit: int) -> FeedPage:
    """Up to ``limit`` final events after ``after``, in feed order."""
    q = select(*_COLUMNS)
    if _is_pg(session):
        bound = horizon(session)
        session.commit()  # the page's snapshot must be taken after the horizon's
        q = q.where(
            tuple_(IdentityEvent.txid, IdentityEvent.id) > tuple_(after.txid, after.id),
            IdentityEvent.txid < bound,
        ).order_by(IdentityEvent.txid, IdentityEvent.id)
    else:
        q = q.where(IdentityEvent.id > after.id).order_by(IdentityEvent.id)
    rows = list(session.execute(q.limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    positions = [Position(r.txid or 0, r.id) for r in rows]
    return FeedPage(rows, positions, positions[-1] if positions else after, more)


def has_events_after(session: Session, after: Position) -> bool:
    """Whether any event (final or not yet) lies after ``after``: one indexed probe, the
    cheap test before a reader does the work of a page."""
    if _is_pg(session):
        q = select(IdentityEvent.id).where(
            tuple_(IdentityEvent.txid, IdentityEvent.id) > tuple_(after.txid, after.id)
        )
    else:
        q = select(IdentityEvent.id).where(IdentityEvent.id > after.id)
    return session.execute(q.limit(1)).first() is not None


def feed_head(session: Session) -> Position:
    """The position after the last final event: a new consumer that wants no history
    starts here."""
    if _is_pg(session):
        bound = horizon(session)
        session.commit()
        row = session.execute(
            select(IdentityEvent.txid, IdentityEvent.id)
            .where(IdentityEvent.txid < bound)
            .order_by(IdentityEvent.txid.desc(), IdentityEvent.id.desc())
            .limit(1)
        ).first()
        return Position(int(row.txid), int(row.id)) if row else START
    last: Any = session.scalar(select(IdentityEvent.id).order_by(IdentityEvent.id.desc()))
    return Position(0, int(last)) if last is not None else START
