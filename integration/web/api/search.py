"""GET /api/search: golden records by name (hanzi or pinyin), mobile, e-mail or company."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from dedupe.normalize import normalize_email, normalize_mobile, normalize_phone
from integration.store import GoldenCustomer
from integration.store.models import GoldenSearchKey
from integration.web.api import index
from integration.web.api.deps import (
    PRINTABLE,
    PROBLEM_RESPONSES,
    ApiError,
    CallerDep,
    LimitsDep,
    SessionDep,
    json_of,
)
from integration.web.api.schemas import Problem, SearchPage

__all__ = ["router"]

router = APIRouter(tags=["search"], responses=PROBLEM_RESPONSES)

#: above every code point: key + _TOP bounds the keys that start with key
_TOP = "\U0010ffff"
_SEP = "\x1f"
_PRINTABLE = re.compile(PRINTABLE)

Text = Annotated[str | None, Query(min_length=1, max_length=100, pattern=PRINTABLE)]


def _encode(key: str, golden_id: str) -> str:
    return base64.urlsafe_b64encode(f"{key}{_SEP}{golden_id}".encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    key, sep, golden_id = raw.partition(_SEP)
    if not sep or not golden_id or not _PRINTABLE.fullmatch(key + golden_id):
        raise ApiError(
            422,
            "cursor is not one this search handed out",
            errors=[{"where": "query.cursor", "problem": "pass next_cursor of the page before"}],
        )
    return key, golden_id


def _bad(where: str, problem: str) -> ApiError:
    return ApiError(
        422, f"{where}: {problem}", errors=[{"where": f"query.{where}", "problem": problem}]
    )


def _criterion(
    name: str | None, mobile: str | None, email: str | None, company: str | None
) -> tuple[str, str, str, bool]:
    """(by, kind, key, prefix?) of the one criterion given."""
    given = {
        k: v
        for k, v in (("name", name), ("mobile", mobile), ("email", email), ("company", company))
        if v is not None
    }
    if len(given) != 1:
        raise ApiError(
            422,
            "give exactly one of name, mobile, email, company"
            + (f" (got {', '.join(given)})" if given else ""),
            errors=[{"where": "query", "problem": "exactly one of name, mobile, email, company"}],
        )
    by, value = next(iter(given.items()))
    if by == "mobile":
        phone = normalize_mobile(value) or normalize_phone(value)
        if not phone:
            raise _bad("mobile", f"{value!r} is not a phone number")
        return by, "phone", phone, False
    if by == "email":
        address = normalize_email(value)
        if not address:
            raise _bad("email", f"{value!r} is not an e-mail address")
        return by, "email", address, False
    if by == "name":
        key = index.name_query_key(value)
        if not key:
            raise _bad("name", f"{value!r} holds no name to search for")
        return by, "name", key, True
    key = index.text_query_key(value)
    if not key:
        raise _bad("company", f"{value!r} holds no letters or digits to search for")
    return by, "company", key, True


def _ensure_index(session: Session, request: Request) -> None:
    engine = request.app.state.engine
    index.refresh(engine)
    if index.index_status(session).cursor is None:
        raise ApiError(
            503,
            "the search index is being built; try again shortly",
            headers={"Retry-After": "10"},
        )


@router.get(
    "/search",
    response_model=SearchPage,
    responses={503: {"model": Problem, "description": "the search index is being built"}},
    summary="Search golden records",
    description=(
        "Active golden records by exactly one of: `name` (hanzi or pinyin, with or without"
        " tone marks and spaces: 张伟, zhang wei, Zhāng Wěi; matched as a prefix of the name"
        " normalized as the matcher does), `mobile` (any format: +86 138-0013-8000,"
        " 13800138000; matched exactly after normalizing to E.164, any of the record's"
        " phones), `email` (exactly, after normalizing), `company` (a prefix of the company"
        " name as written or without its place and legal form: 上海新元 or 新元科技).\n\n"
        "Pages are in (key, golden id) order; `limit` is at most `serve.limits.search_page`"
        " (100 by default); follow `next_cursor`. Mobiles and e-mails are masked without the"
        " `pii` scope."
    ),
)
def search(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    limits: LimitsDep,
    name: Text = None,
    mobile: Text = None,
    email: Text = None,
    company: Text = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="page size")] = 20,
    cursor: Annotated[
        str | None, Query(min_length=1, max_length=600, pattern=r"^[A-Za-z0-9_-]+$")
    ] = None,
) -> Response:
    if limit > limits.search_page:
        raise _bad("limit", f"must be at most {limits.search_page} (serve.limits.search_page)")
    by, kind, key, prefix = _criterion(name, mobile, email, company)
    _ensure_index(session, request)
    q = select(GoldenSearchKey.key, GoldenSearchKey.golden_id).where(GoldenSearchKey.kind == kind)
    if prefix:
        q = q.where(GoldenSearchKey.key >= key, GoldenSearchKey.key < key + _TOP)
    else:
        q = q.where(GoldenSearchKey.key == key)
    if cursor is not None:
        after_key, after_id = _decode(cursor)
        q = q.where(
            tuple_(GoldenSearchKey.key, GoldenSearchKey.golden_id) > tuple_(after_key, after_id)
        )
    hits = session.execute(
        q.order_by(GoldenSearchKey.key, GoldenSearchKey.golden_id).limit(limit + 1)
    ).all()
    more = len(hits) > limit
    hits = hits[:limit]
    matched: dict[str, str] = {}
    for hit_key, golden_id in hits:
        matched.setdefault(golden_id, hit_key)
    records = {
        g.golden_id: g
        for g in session.scalars(
            select(GoldenCustomer).where(
                GoldenCustomer.golden_id.in_(list(matched)), GoldenCustomer.status == "active"
            )
        )
    }
    results: list[dict[str, Any]] = []
    for golden_id, hit_key in matched.items():
        golden = records.get(golden_id)
        if golden is None:  # retired since its keys were made; the next refresh drops them
            continue
        fields = caller.shown(golden.fields or {})
        results.append(
            {
                "golden_id": golden_id,
                "status": golden.status,
                "version": golden.version,
                "name": _text(fields.get("name")),
                "company_name": _text(fields.get("company_name")),
                "mobile": _text(fields.get("mobile")),
                "email": _text(fields.get("email")),
                "matched": hit_key,
            }
        )
    caller.audit_if_personal(
        session,
        request,
        f"search {by}",
        [r["golden_id"] for r in results],
        [{"mobile": r["mobile"], "email": r["email"]} for r in results],
    )
    next_cursor = _encode(*hits[-1]) if more and hits else None
    return json_of(
        SearchPage.model_validate(
            {"by": by, "key": key, "results": results, "next_cursor": next_cursor}
        )
    )


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return str(value[0]) if value else None
    return str(value)
