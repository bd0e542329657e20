"""GET /api/status: figures about the hub for monitoring (no personal data)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from integration.event_feed import feed_head
from integration.store import (
    CustomerRow,
    GoldenCustomer,
    GoldenMember,
    IdentityEvent,
    MatchPair,
    Outbound,
)
from integration.web.api.deps import PROBLEM_RESPONSES, CallerDep, SessionDep, json_of
from integration.web.api.index import index_status
from integration.web.api.records import aware
from integration.web.api.schemas import Status

__all__ = ["hub_figures", "router"]

router = APIRouter(tags=["monitoring"], responses=PROBLEM_RESPONSES)


def hub_figures(session: Session) -> Status:
    """Counts by status, the feed's head and the search index's place in it."""
    golden = dict(
        session.execute(
            select(GoldenCustomer.status, func.count()).group_by(GoldenCustomer.status)
        ).all()
    )
    members = session.scalar(select(func.count()).select_from(GoldenMember)) or 0
    pending = session.scalar(
        select(func.count()).select_from(MatchPair).where(MatchPair.status == "pending")
    )
    quarantined = session.scalar(
        select(func.count()).select_from(CustomerRow).where(CustomerRow.verdict == "quarantined")
    )
    events = session.scalar(select(func.count()).select_from(IdentityEvent)) or 0
    last_at = session.scalar(select(func.max(IdentityEvent.at)))
    outbound: dict[str, dict[str, int]] = {}
    for sink, status, n in session.execute(
        select(Outbound.sink, Outbound.status, func.count()).group_by(
            Outbound.sink, Outbound.status
        )
    ):
        outbound.setdefault(sink, {})[status] = n
    head = str(feed_head(session))
    indexed = index_status(session)
    return Status(
        golden_active=golden.get("active", 0),
        golden_retired=golden.get("retired", 0),
        members=members,
        review_pending=pending or 0,
        rows_quarantined=quarantined or 0,
        events=events,
        last_event_at=aware(last_at) if last_at else None,
        feed_head=head,
        search_index_cursor=indexed.cursor,
        search_index_current=indexed.cursor == head,
        outbound=outbound,
    )


@router.get(
    "/status",
    response_model=Status,
    summary="Hub figures for monitoring",
    description="Golden records active and retired, crosswalk members, pending review"
    " pairs, quarantined rows, identity events and the feed's head, whether the search"
    " keys are current, and push results per sink. Counts only: no personal data.",
)
def status(session: SessionDep, caller: CallerDep) -> Response:
    return json_of(hub_figures(session))
