"""The golden record page (fields with lineage, members, facts, history; split a member
out, merge with another record), search, and the logged reveal of masked values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import Engine, or_, select

from integration.errors import ChubError
from integration.events import follow
from integration.store import (
    CustomerRow,
    GoldenCustomer,
    GoldenMember,
    IdentityEvent,
    session_scope,
)
from integration.web.audit import write_audit
from integration.web.auth import CurrentUser
from integration.web.i18n import pick_language, translator
from integration.web.masking import PERSONAL_FIELDS, mask_value_of
from integration.web.review.diff import display
from integration.web.review.search import search_golden
from integration.web.review.web import (
    PageRoute,
    chub_error_page,
    current_user,
    form_user,
    hub_of,
    redirect,
    render,
    require,
)

__all__ = ["mask_for", "router"]

router = APIRouter(route_class=PageRoute)
HISTORY_LIMIT = 200
#: list fields of a golden record that hold phones (the masking module names the singular)
_PHONE_LISTS = {"mobiles": "phones"}


def is_personal(field: str) -> bool:
    return field in PERSONAL_FIELDS or field in _PHONE_LISTS


def mask_for(user: CurrentUser, field: str, value: Any) -> Any:
    """``value`` as ``user`` may see it: masked for a viewer when it is personal."""
    if user.role != "viewer" or not is_personal(field):
        return value
    return mask_value_of(_PHONE_LISTS.get(field, field), value)


@dataclass(frozen=True)
class FieldView:
    name: str
    value: str
    personal: bool
    lineage: list[str]
    rule: str


@dataclass(frozen=True)
class MemberView:
    row_id: int
    ref: str
    source: str
    verdict: str
    name: str
    mobile: str
    email: str


def _lineage_of(entry: Any, user: CurrentUser, field: str) -> tuple[list[str], str]:
    """The source records a field came from, and the rule that chose it."""
    if not isinstance(entry, dict):
        return [], ""
    rule = str(entry.get("rule") or "")
    if isinstance(entry.get("values"), dict):
        return [
            f"{display(mask_for(user, field, value))} ← {', '.join(refs)}"
            for value, refs in entry["values"].items()
        ], rule
    if isinstance(entry.get("values"), list):
        return [str(v) for v in entry["values"]], rule
    source = entry.get("from")
    if isinstance(source, list):
        return [str(s) for s in source], rule
    return ([str(source)] if source else []), rule


def _load(engine: Engine, golden_id: str, user: CurrentUser) -> dict[str, Any] | None:
    with session_scope(engine) as session:
        golden = session.get(GoldenCustomer, golden_id)
        if golden is None:
            return None
        survivor = follow(session, golden_id) if golden.merged_into else None
        lineage = dict(golden.lineage or {})
        fields = []
        for name, value in (golden.fields or {}).items():
            sources, rule = _lineage_of(lineage.get(name), user, name)
            shown = (
                value
                if name != "source_ids"
                else [f"{s}: {', '.join(keys)}" for s, keys in (value or {}).items()]
            )
            fields.append(
                FieldView(
                    name, display(mask_for(user, name, shown)), is_personal(name), sources, rule
                )
            )
        members = []
        q = (
            select(GoldenMember, CustomerRow)
            .join(CustomerRow, CustomerRow.id == GoldenMember.row_id)
            .where(GoldenMember.golden_id == golden_id)
            .order_by(GoldenMember.source, GoldenMember.stream, GoldenMember.source_key)
        )
        for gm, row in session.execute(q):
            f = row.fields or {}
            members.append(
                MemberView(
                    row.id,
                    f"{gm.source}:{gm.stream}:{gm.source_key}",
                    gm.source,
                    row.verdict,
                    display(f.get("name") or f.get("company_name")),
                    display(mask_for(user, "mobile", f.get("mobile"))),
                    display(mask_for(user, "email", f.get("email"))),
                )
            )
        events = list(
            session.scalars(
                select(IdentityEvent)
                .where(
                    or_(IdentityEvent.golden_id == golden_id, IdentityEvent.other_id == golden_id)
                )
                .order_by(IdentityEvent.id.desc())
                .limit(HISTORY_LIMIT)
            )
        )
        history = [
            {
                "at": e.at,
                "kind": e.kind,
                "golden_id": e.golden_id,
                "other_id": e.other_id,
                "member": e.member_ref,
                "cause": e.cause,
                "decision_id": e.decision_id,
            }
            for e in events
            if e.kind != "changed"
        ]
        built_from = lineage.get("members")
        return {
            # a decision changes the members at once; the golden stage rebuilds the fields
            "stale": isinstance(built_from, list)
            and sorted(map(str, built_from)) != sorted(m.ref for m in members),
            "golden_id": golden.golden_id,
            "status": golden.status,
            "version": golden.version,
            "survivor": survivor if survivor != golden_id else None,
            "fields": fields,
            "members": members,
            "facts": dict(golden.facts or {}),
            "history": history,
            "updated_at": golden.updated_at,
        }


@router.get("/golden/{golden_id}", response_class=HTMLResponse)
def golden_page(
    request: Request,
    golden_id: str,
    user: Annotated[CurrentUser, Depends(current_user)],
    q: str = "",
) -> Response:
    hub = hub_of(request)
    record = _load(hub.engine, golden_id[:64], user)
    if record is None:
        t = translator(pick_language(request))
        return render(
            request,
            "message.html",
            user,
            title_key="not_found",
            message=t("golden_title", id=golden_id[:64]),
            status_code=404,
        )
    candidates = [h for h in search_golden(hub.engine, q) if h.golden_id != golden_id] if q else []
    return render(
        request,
        "golden.html",
        user,
        g=record,
        q=q,
        candidates=[_hit_view(h, user) for h in candidates],
    )


@router.post("/golden/{golden_id}/split")
def split_member_out(
    request: Request,
    golden_id: str,
    user: Annotated[CurrentUser, Depends(form_user)],
    member: Annotated[str, Form(max_length=400)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """A wrong merge: the member leaves the record and keeps apart from it."""
    require(user, "decide")
    from integration.identity import split_member

    hub = hub_of(request)
    t = translator(pick_language(request))
    try:
        new_id = split_member(
            hub.engine, golden_id, member, actor=user.username, reason=reason or None
        )
    except ChubError as exc:
        return chub_error_page(request, user, exc)
    with session_scope(hub.engine) as session:
        write_audit(
            session,
            actor_kind="user",
            actor=user.username,
            action="golden_split",
            target=f"golden:{golden_id}",
            detail={"member": member, "new_id": new_id, "reason": reason},
        )
    return redirect(f"/golden/{golden_id}", t("split_done", member=member, id=new_id))


@router.post("/golden/{golden_id}/merge")
def merge_with(
    request: Request,
    golden_id: str,
    user: Annotated[CurrentUser, Depends(form_user)],
    other: Annotated[str, Form(max_length=64)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Two golden records are one customer: merge them; the page moves to the survivor."""
    require(user, "decide")
    from integration.identity import merge_golden

    hub = hub_of(request)
    t = translator(pick_language(request))
    try:
        survivor = merge_golden(
            hub.engine, golden_id, other, actor=user.username, reason=reason or None
        )
    except ChubError as exc:
        return chub_error_page(request, user, exc)
    with session_scope(hub.engine) as session:
        write_audit(
            session,
            actor_kind="user",
            actor=user.username,
            action="golden_merge",
            target=f"golden:{golden_id}",
            detail={"other": other, "survivor": survivor, "reason": reason},
        )
    return redirect(f"/golden/{survivor}", t("merged_done", other=other, id=survivor))


def _hit_view(hit: Any, user: CurrentUser) -> dict[str, Any]:
    f = hit.fields
    return {
        "golden_id": hit.golden_id,
        "matched_by": hit.matched_by,
        "name": display(f.get("name") or f.get("company_name")),
        "mobile": display(mask_for(user, "mobile", f.get("mobile"))),
        "email": display(mask_for(user, "email", f.get("email"))),
        "city": display(f.get("city")),
        "members": hit.members,
        "status": hit.status,
    }


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    user: Annotated[CurrentUser, Depends(current_user)],
    q: str = "",
) -> Response:
    hub = hub_of(request)
    hits = search_golden(hub.engine, q) if q.strip() else []
    return render(request, "search.html", user, q=q, hits=[_hit_view(h, user) for h in hits])


@router.post("/reveal")
def reveal(
    request: Request,
    user: Annotated[CurrentUser, Depends(form_user)],
    field: Annotated[str, Form(max_length=64)],
    golden_id: Annotated[str, Form(max_length=64)] = "",
    row_id: Annotated[int | None, Form()] = None,
) -> Response:
    """A masked value shown in full, once, and the audit log says who saw what."""
    require(user, "reveal")
    if not is_personal(field):
        return JSONResponse({"detail": f"{field} is not masked"}, status_code=400)
    hub = hub_of(request)
    with session_scope(hub.engine) as session:
        if row_id is not None:
            row = session.get(CustomerRow, row_id)
            value, target = (row.fields or {}).get(field) if row else None, f"row:{row_id}"
            found = row is not None
        else:
            golden = session.get(GoldenCustomer, golden_id)
            value, target = (
                (golden.fields or {}).get(field) if golden else None,
                f"golden:{golden_id}",
            )
            found = golden is not None
        if not found:
            return JSONResponse({"detail": "not found"}, status_code=404)
        write_audit(
            session,
            actor_kind="user",
            actor=user.username,
            action="reveal",
            target=target,
            detail={"field": field},
        )
    return JSONResponse({"value": display(value)}, headers={"Cache-Control": "no-store"})
