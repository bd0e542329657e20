"""GET /api/golden/{golden_id} and its history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy import select

from integration.store import GoldenHistory
from integration.web.api.deps import PRINTABLE, PROBLEM_RESPONSES, CallerDep, SessionDep, json_of
from integration.web.api.records import aware, golden_answer, survivor_of
from integration.web.api.schemas import GoldenAnswer, HistoryPage, Problem

__all__ = ["router"]

router = APIRouter(tags=["golden records"], responses=PROBLEM_RESPONSES)

GoldenId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=32,
        pattern=PRINTABLE,
        description="a golden id, active or retired",
    ),
]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "no such golden id was ever issued"},
    409: {"model": Problem, "description": "the id's merge chain does not end (a hub fault)"},
}


@router.get(
    "/golden/{golden_id}",
    response_model=GoldenAnswer,
    responses=_NOT_FOUND,
    summary="A golden record by id",
    description=(
        "The golden record: fields (mobiles and e-mails masked without the `pii` scope),"
        " lineage, members (the source ids in it), 360° facts, version and status.\n\n"
        "**A retired id answers with its survivor, not with a redirect**: when the id was"
        " merged into another, the answer is 200 with `merged_into` set to the surviving id"
        " (followed to the end of the chain) and `record` the survivor's record, so a client"
        " that stored the old id gets the customer in one request and can store the new id."
        " A record retired without a survivor (all its members left or were deleted) is"
        " answered as it is, with status `retired`."
    ),
)
def get_golden(
    golden_id: GoldenId, request: Request, session: SessionDep, caller: CallerDep
) -> Response:
    answer = golden_answer(session, golden_id, caller)
    record = answer["record"]
    caller.audit_if_personal(
        session, request, f"golden {golden_id}", [answer["golden_id"]], [record["fields"]]
    )
    return json_of(GoldenAnswer.model_validate(answer))


@router.get(
    "/golden/{golden_id}/history",
    response_model=HistoryPage,
    responses=_NOT_FOUND,
    summary="Earlier versions of a golden record",
    description="Earlier versions of the record the id lives on as (its survivor once"
    " merged), newest first, `limit` at most 100.",
)
def get_history(
    golden_id: GoldenId,
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    survivor = survivor_of(session, golden_id)
    rows = session.scalars(
        select(GoldenHistory)
        .where(GoldenHistory.golden_id == survivor)
        .order_by(GoldenHistory.version.desc())
        .limit(limit)
    ).all()
    versions: list[dict[str, Any]] = [
        {
            "version": h.version,
            "status": h.status,
            "fields": caller.shown(h.fields or {}),
            # a version's lineage names the values it kept as a record's does: masked alike
            "lineage": caller.shown_deep(h.lineage or {}),
            "facts": caller.shown_deep(h.facts or {}),
            "run_id": h.run_id,
            "valid_from": aware(h.valid_from),
            "valid_to": aware(h.valid_to),
        }
        for h in rows
    ]
    caller.audit_if_personal(
        session,
        request,
        f"golden {golden_id} history",
        [survivor],
        [v["fields"] for v in versions],
    )
    return json_of(HistoryPage.model_validate({"golden_id": survivor, "versions": versions}))
