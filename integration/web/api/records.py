"""Golden records as the API shows them: read through the models, merges followed,
contact points masked for a caller without the pii scope."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from integration.events import follow
from integration.store import GoldenCustomer, GoldenMember
from integration.web.api.deps import ApiError, Caller

__all__ = ["aware", "golden_answer", "record_of", "survivor_of"]


def aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone columns; they were written in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def survivor_of(session: Session, golden_id: str) -> str:
    """The golden id ``golden_id`` lives on as; 404 if it was never issued."""
    try:
        survivor = follow(session, golden_id)
    except RuntimeError as exc:  # a cycle of merges is a hub bug: say so, do not loop
        raise ApiError(409, f"golden id {golden_id!r} cannot be followed: {exc}") from None
    if survivor is None:
        raise ApiError(404, f"no golden record {golden_id!r}")
    return survivor


def record_of(session: Session, golden: GoldenCustomer, caller: Caller) -> dict[str, Any]:
    """The GoldenRecord body of ``golden``: members from the crosswalk, fields as the
    caller may see them (lineage and facts are walked too: a contact point in them is
    masked alike)."""
    members = session.execute(
        select(GoldenMember.source, GoldenMember.stream, GoldenMember.source_key)
        .where(GoldenMember.golden_id == golden.golden_id)
        .order_by(GoldenMember.source, GoldenMember.stream, GoldenMember.source_key)
    ).all()
    lineage = caller.shown_deep(golden.lineage or {})
    facts = caller.shown_deep(golden.facts or {})
    return {
        "golden_id": golden.golden_id,
        "status": golden.status,
        "merged_into": golden.merged_into,
        "version": golden.version,
        "verdict": golden.verdict,
        "fields": caller.shown(golden.fields or {}),
        "lineage": lineage,
        "facts": facts,
        "members": [{"source": s, "stream": st, "id": k} for s, st, k in members],
        "created_at": aware(golden.created_at),
        "updated_at": aware(golden.updated_at),
    }


def _golden(session: Session, golden_id: str) -> GoldenCustomer | None:
    return session.scalar(select(GoldenCustomer).where(GoldenCustomer.golden_id == golden_id))


def golden_answer(session: Session, requested_id: str, caller: Caller) -> dict[str, Any]:
    """The GoldenAnswer for ``requested_id``: its own record, or its survivor's."""
    golden = _golden(session, requested_id)
    if golden is not None and golden.merged_into:
        golden = _golden(session, survivor_of(session, golden.merged_into))
    if golden is None:
        raise ApiError(404, f"no golden record {requested_id!r}")
    survivor = golden.golden_id
    return {
        "requested_id": requested_id,
        "golden_id": survivor,
        "merged_into": survivor if survivor != requested_id else None,
        "record": record_of(session, golden, caller),
    }
