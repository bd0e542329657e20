"""GET /api/lookup?source=erp&id=C-10023: the golden record a source record is in."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from integration.store import GoldenMember
from integration.web.api.deps import (
    PRINTABLE,
    PROBLEM_RESPONSES,
    ApiError,
    CallerDep,
    SessionDep,
    json_of,
)
from integration.web.api.records import golden_answer
from integration.web.api.schemas import LookupAnswer, Problem

__all__ = ["router"]

router = APIRouter(tags=["golden records"], responses=PROBLEM_RESPONSES)


@router.get(
    "/lookup",
    response_model=LookupAnswer,
    responses={
        404: {"model": Problem, "description": "no record with this id in this source"},
        409: {
            "model": Problem,
            "description": "the id is in several streams of the source, in different golden"
            " records: name the stream",
        },
    },
    summary="The golden record of a source id",
    description=(
        "The surviving golden record a source record belongs to, by the source's name (as"
        " in chub.yaml) and the record's id there: an ERP customer number, a CRM id, or a"
        " WeCom `external_userid` (`source=wecom&id=wm...`). Merges are followed: the answer"
        " is always the survivor. `stream` narrows the search when a source keeps several"
        " kinds of record."
    ),
)
def lookup(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    source: Annotated[
        str, Query(min_length=1, max_length=64, pattern=PRINTABLE, description="e.g. erp, wecom")
    ],
    id: Annotated[
        str,
        Query(min_length=1, max_length=255, pattern=PRINTABLE, description="the id in that source"),
    ],
    stream: Annotated[str | None, Query(min_length=1, max_length=64, pattern=PRINTABLE)] = None,
) -> Response:
    q = select(GoldenMember.stream, GoldenMember.golden_id).where(
        GoldenMember.source == source, GoldenMember.source_key == id
    )
    if stream is not None:
        q = q.where(GoldenMember.stream == stream)
    found = session.execute(q.order_by(GoldenMember.stream).limit(20)).all()
    if not found:
        where = f"{source}/{stream}" if stream else source
        raise ApiError(404, f"no record {id!r} in {where} belongs to a golden record")
    answers: dict[str, dict[str, Any]] = {}
    for member_stream, golden_id in found:
        answers.setdefault(member_stream, golden_answer(session, golden_id, caller))
    survivors = {a["golden_id"] for a in answers.values()}
    if len(survivors) > 1:
        raise ApiError(
            409,
            f"{source} id {id!r} is in streams {', '.join(sorted(answers))} with different"
            " golden records: add stream=",
        )
    member_stream, answer = next(iter(answers.items()))
    caller.audit_if_personal(
        session,
        request,
        f"lookup {source}:{id}",
        [answer["golden_id"]],
        [answer["record"]["fields"]],
    )
    return json_of(
        LookupAnswer.model_validate(
            {
                "source": source,
                "stream": member_stream,
                "id": id,
                "golden_id": answer["golden_id"],
                "record": answer["record"],
            }
        )
    )
