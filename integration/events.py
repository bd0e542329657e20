"""Identity events and following merges: the small, recorded steps of the system of record.

Every change of identity is one ``identity_event`` row with its cause; the change feed of
the golden-record API reads them in id order. A retired golden id keeps ``merged_into``,
so a system that stored it can follow it to the survivor (``follow``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from integration.store import GoldenCustomer, IdentityEvent
from integration.store.models import Base, utcnow

__all__ = ["EventKind", "Cause", "event_row", "follow", "record_event", "record_events"]

EventKind = Literal["created", "changed", "joined", "left", "merged", "split", "retired"]
Cause = Literal["engine", "decision", "deletion", "source", "refit"]

#: a chain of merges longer than this is a cycle, i.e. a bug: say so instead of looping
_MAX_HOPS = 64


def record_event(
    session: Session,
    kind: EventKind,
    golden_id: str,
    *,
    cause: Cause,
    run_id: str | None = None,
    other_id: str | None = None,
    row_id: int | None = None,
    member_ref: str | None = None,
    decision_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> IdentityEvent:
    """Add one event to the session (committed with the change it describes)."""
    event = IdentityEvent(
        kind=kind,
        golden_id=golden_id,
        cause=cause,
        run_id=run_id,
        other_id=other_id,
        row_id=row_id,
        member_ref=member_ref,
        decision_id=decision_id,
        detail=detail or {},
    )
    session.add(event)
    return event


def event_row(
    kind: EventKind | str,
    golden_id: str,
    *,
    cause: Cause | str,
    run_id: str | None = None,
    other_id: str | None = None,
    row_id: int | None = None,
    member_ref: str | None = None,
    decision_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One event as the column values ``record_events`` inserts."""
    return {
        "kind": kind,
        "golden_id": golden_id,
        "cause": cause,
        "run_id": run_id,
        "other_id": other_id,
        "row_id": row_id,
        "member_ref": member_ref,
        "decision_id": decision_id,
        "detail": detail or {},
    }


def record_events(session: Session, events: Sequence[dict[str, Any]]) -> int:
    """Many events (``event_row`` values) in one executemany, in the order given: a
    first run on a large hub creates hundreds of thousands of golden records."""
    if not events:
        return 0
    at = utcnow()
    session.execute(
        insert(Base.metadata.tables[IdentityEvent.__tablename__]), [{"at": at, **e} for e in events]
    )
    return len(events)


def follow(session: Session, golden_id: str) -> str | None:
    """The golden id that ``golden_id`` lives on as: itself while active, its survivor
    (to the end of the chain) once merged; None if no such golden id was ever issued."""
    seen: list[str] = []
    current = golden_id
    for _ in range(_MAX_HOPS):
        row = session.execute(
            select(GoldenCustomer.golden_id, GoldenCustomer.merged_into).where(
                GoldenCustomer.golden_id == current
            )
        ).first()
        if row is None:
            return None if not seen else seen[-1]
        seen.append(current)
        if not row.merged_into:
            return current
        current = row.merged_into
    raise RuntimeError(f"merge chain from {golden_id} does not end: {' -> '.join(seen[:8])} ...")
