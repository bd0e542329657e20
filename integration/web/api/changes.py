"""GET /api/changes: the change feed of golden records (its rule: integration/event_feed.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from integration.event_feed import START, Position, feed_head, read_feed
from integration.web.api.deps import (
    PROBLEM_RESPONSES,
    ApiError,
    CallerDep,
    LimitsDep,
    SessionDep,
    json_of,
)
from integration.web.api.records import aware
from integration.web.api.schemas import ChangePage, FeedHead
from integration.web.masking import mask_deep, personal_fields_in

__all__ = ["router"]

router = APIRouter(tags=["change feed"], responses=PROBLEM_RESPONSES)


@router.get(
    "/changes",
    response_model=ChangePage,
    summary="Identity events since a cursor",
    description=(
        "Golden records created, changed, joined or left by a member, merged (with the"
        " survivor in `other_id`), split (the new record in `other_id`) or retired, since"
        " `cursor` (omit it to start from the beginning, or take `/api/changes/head` to"
        " start from now), `limit` at most `serve.limits.feed_page` (1000 by default).\n\n"
        "**Order and completeness**: events come in the order they became final, each"
        " exactly once to a consumer that passes back each page's `next_cursor`, and none is"
        " skipped while pipeline runs write: on PostgreSQL a page holds only events whose"
        " writing transaction has ended, ordered by (transaction, id), so an event that"
        " commits late is handed out when it commits, after the cursor, never behind it;"
        " on SQLite writers take turns and ids are final in order. An empty page returns"
        " the cursor it was given; poll again later."
    ),
)
def changes(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    limits: LimitsDep,
    cursor: Annotated[str | None, Query(min_length=1, max_length=40, pattern=r"^[0-9-]+$")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000, description="page size")] = 100,
) -> Response:
    if limit > limits.feed_page:
        raise ApiError(
            422,
            f"limit: must be at most {limits.feed_page} (serve.limits.feed_page)",
            errors=[{"where": "query.limit", "problem": f"at most {limits.feed_page}"}],
        )
    try:
        after = Position.parse(cursor) if cursor is not None else START
    except ValueError as exc:
        raise ApiError(
            422, f"cursor: {exc}", errors=[{"where": "query.cursor", "problem": str(exc)}]
        ) from None
    page = read_feed(session, after, limit)
    events = []
    for event, position in zip(page.events, page.positions, strict=True):
        detail = dict(event.detail or {})
        events.append(
            {
                "id": event.id,
                "cursor": str(position),
                "at": aware(event.at),
                "kind": event.kind,
                "golden_id": event.golden_id,
                "other_id": event.other_id,
                "member_ref": event.member_ref,
                "cause": event.cause,
                "run_id": event.run_id,
                "decision_id": event.decision_id,
                "detail": detail if caller.pii else mask_deep(detail),
            }
        )
    if caller.pii:
        carrying = [(str(e["golden_id"]), _flat_personal(e["detail"])) for e in events]
        carrying = [(gid, found) for gid, found in carrying if found]
        if carrying:
            caller.audit_if_personal(
                session,
                request,
                "changes",
                [gid for gid, _ in carrying],
                [found for _, found in carrying],
            )
    return json_of(
        ChangePage.model_validate(
            {"events": events, "next_cursor": str(page.next_cursor), "more": page.more}
        )
    )


def _flat_personal(detail: object, out: dict[str, Any] | None = None) -> dict[str, Any]:
    """The phone and e-mail keys anywhere in ``detail``, flattened (for the audit entry)."""
    out = {} if out is None else out
    if isinstance(detail, dict):
        for key, value in detail.items():
            if personal_fields_in({str(key): value}):
                out[str(key)] = value
            else:
                _flat_personal(value, out)
    elif isinstance(detail, list):
        for value in detail:
            _flat_personal(value, out)
    return out


@router.get(
    "/changes/head",
    response_model=FeedHead,
    summary="The cursor of now",
    description="The cursor after the newest final event: a new consumer that wants no"
    " history starts reading from here.",
)
def head(session: SessionDep, caller: CallerDep) -> Response:
    return json_of(FeedHead(cursor=str(feed_head(session))))
