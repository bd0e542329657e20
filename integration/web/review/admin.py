"""Logging in and out, the language switch, the static files, the quarantine, the audit
log and (for admins) the users."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from connectors.contract import CANONICAL_FIELDS
from integration.quality_ops import QuarantineError, correct_row, list_quarantine, override_row
from integration.store import AuditLog, CustomerRow, session_scope
from integration.web.audit import write_audit
from integration.web.auth import (
    ROLES,
    AuthError,
    CurrentUser,
    LoginLimiter,
    authenticate,
    check_csrf,
    close_session,
    list_users,
    open_session,
    session_user,
    set_role,
)
from integration.web.i18n import LANG_COOKIE, LANGUAGES, pick_language, translator
from integration.web.review.diff import display
from integration.web.review.golden import mask_for
from integration.web.review.web import (
    PREFIX,
    SESSION_COOKIE,
    PageRoute,
    chub_error_page,
    current_user,
    form_user,
    hub_of,
    redirect,
    render,
    require,
)

__all__ = ["LIMITER", "router"]

router = APIRouter(route_class=PageRoute)
STATIC = Path(__file__).parent / "static"
LOGIN_CSRF_COOKIE = "chub_login_csrf"
#: one per process; the per-name count lives in the hub's audit log
LIMITER = LoginLimiter()
AUDIT_PAGE = 100


def _safe_next(target: str) -> str:
    """Only a page of this app: never an address elsewhere (no open redirect)."""
    if target.startswith(f"{PREFIX}/") and not target.startswith("//") and "\\" not in target:
        return target
    return f"{PREFIX}/"


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "") -> Response:
    if _session_or_none(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_form(request, next_=next)


def _login_form(
    request: Request, *, next_: str = "", error: str = "", username: str = "", status: int = 200
) -> Response:
    # no session yet, so the form's CSRF token is a random cookie it must echo back
    token = secrets.token_urlsafe(32)
    page = render(
        request,
        "login.html",
        None,
        login_csrf=token,
        next=_safe_next(next_),
        error=error,
        username=username,
        status_code=status,
    )
    page.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        path=PREFIX,
        httponly=True,
        secure=True,
        samesite="strict",
    )
    return page


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=128)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    if not check_csrf(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token):
        return _login_form(request, next_=next, error="csrf_failed", username=username, status=403)
    hub = hub_of(request)
    address = _client(request)
    with session_scope(hub.engine) as session:
        if LIMITER.refused(session, username, address):
            return _login_form(
                request, next_=next, error="login_limited", username=username, status=429
            )
        user = authenticate(session, username, password)
        if user is None:
            LIMITER.failed(session, username, address)
            refused = True
        else:
            LIMITER.succeeded(session, user.username, address)
            token, row = open_session(session, user)
            expires = row.expires_at
            refused = False
    if refused:
        return _login_form(request, next_=next, error="login_failed", username=username, status=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        expires=expires,
        path=PREFIX,
        httponly=True,
        secure=True,
        samesite="lax",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=PREFIX)
    return response


@router.post("/logout")
def logout(request: Request, user: Annotated[CurrentUser, Depends(form_user)]) -> Response:
    hub = hub_of(request)
    with session_scope(hub.engine) as session:
        close_session(session, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(f"{PREFIX}/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    del user
    return response


@router.get("/lang")
def switch_language(to: str, back: str = "") -> Response:
    response = RedirectResponse(_safe_next(back), status_code=303)
    if to in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, to, max_age=365 * 86400, path=PREFIX, samesite="lax", secure=True
        )
    return response


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    """The app's own CSS and script (a fixed list: no path leads out of the folder)."""
    files = {p.name: p for p in STATIC.iterdir() if p.is_file()}
    if name not in files:
        return Response(status_code=404)
    return FileResponse(files[name], headers={"Cache-Control": "public, max-age=300"})


@router.get("/quarantine", response_class=HTMLResponse)
def quarantine_page(
    request: Request, user: Annotated[CurrentUser, Depends(current_user)], source: str = ""
) -> Response:
    hub = hub_of(request)
    rows = list_quarantine(hub.engine, source or None, limit=200)
    with session_scope(hub.engine) as session:
        fields = {
            r.id: dict(r.fields or {})
            for r in session.scalars(
                select(CustomerRow).where(CustomerRow.id.in_([q.row_id for q in rows]))
            )
        }
    shown = [
        {
            "row_id": q.row_id,
            "source": q.source,
            "key": q.key,
            "reasons": q.reasons,
            "fields": {
                k: display(mask_for(user, k, v))
                for k, v in fields.get(q.row_id, {}).items()
                if v not in (None, "", [])
            },
        }
        for q in rows
    ]
    editable = [f for f in CANONICAL_FIELDS if f not in ("phones", "tags", "source_updated_at")]
    return render(request, "quarantine.html", user, rows=shown, source=source, editable=editable)


@router.post("/quarantine/{row_id}/correct")
def quarantine_correct(
    request: Request,
    row_id: int,
    user: Annotated[CurrentUser, Depends(form_user)],
    field: Annotated[str, Form(max_length=64)],
    value: Annotated[str, Form(max_length=1000)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    require(user, "correct")
    hub = hub_of(request)
    t = translator(pick_language(request))
    try:
        verdict = correct_row(
            hub.engine,
            hub.rules,
            row_id,
            {field: value},
            actor=user.username,
            reason=reason or None,
        )
    except QuarantineError as exc:
        return chub_error_page(request, user, exc)
    with session_scope(hub.engine) as session:
        write_audit(
            session,
            actor_kind="user",
            actor=user.username,
            action="quarantine_correct",
            target=f"row:{row_id}",
            detail={"field": field, "verdict": verdict, "reason": reason},
        )
    return redirect("/quarantine", t("corrected", id=row_id, verdict=verdict))


@router.post("/quarantine/{row_id}/override")
def quarantine_override(
    request: Request,
    row_id: int,
    user: Annotated[CurrentUser, Depends(form_user)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    require(user, "correct")
    hub = hub_of(request)
    t = translator(pick_language(request))
    try:
        override_row(hub.engine, row_id, actor=user.username, reason=reason)
    except QuarantineError as exc:
        return chub_error_page(request, user, exc)
    with session_scope(hub.engine) as session:
        write_audit(
            session,
            actor_kind="user",
            actor=user.username,
            action="quarantine_override",
            target=f"row:{row_id}",
            detail={"reason": reason},
        )
    return redirect("/quarantine", t("overridden", id=row_id))


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    user: Annotated[CurrentUser, Depends(current_user)],
    actor: str = "",
    action: str = "",
    target: str = "",
    since: str = "",
    before: int | None = None,
) -> Response:
    """Newest first, filtered; pages go back by id. Nothing here changes an entry."""
    hub = hub_of(request)
    q = select(AuditLog).order_by(AuditLog.id.desc()).limit(AUDIT_PAGE + 1)
    if actor:
        q = q.where(AuditLog.actor == actor[:128])
    if action:
        q = q.where(AuditLog.action == action[:32])
    if target:
        q = q.where(AuditLog.target.contains(target[:200], autoescape=True))
    if since:
        try:
            q = q.where(AuditLog.at >= datetime.fromisoformat(since[:32]))
        except ValueError:
            since = ""
    if before is not None:
        q = q.where(AuditLog.id < before)
    with session_scope(hub.engine) as session:
        entries = [
            {
                "id": e.id,
                "at": e.at,
                "kind": e.actor_kind,
                "actor": e.actor,
                "action": e.action,
                "target": e.target,
                "detail": e.detail,
            }
            for e in session.scalars(q)
        ]
        actions = sorted(set(session.scalars(select(AuditLog.action).distinct())))
    more = len(entries) > AUDIT_PAGE
    entries = entries[:AUDIT_PAGE]
    return render(
        request,
        "audit.html",
        user,
        entries=entries,
        more=more,
        actor=actor,
        action=action,
        target=target,
        since=since,
        actions=actions,
        older=entries[-1]["id"] if more and entries else None,
    )


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, user: Annotated[CurrentUser, Depends(current_user)]) -> Response:
    require(user, "users")
    return render(
        request, "users.html", user, users=list_users(hub_of(request).engine), roles=ROLES
    )


@router.post("/users/{username}/role")
def users_set_role(
    request: Request,
    username: str,
    user: Annotated[CurrentUser, Depends(form_user)],
    role: Annotated[str, Form(max_length=16)],
) -> Response:
    require(user, "users")
    hub = hub_of(request)
    try:
        before = set_role(hub.engine, username, role)
    except AuthError as exc:
        return chub_error_page(request, user, exc)
    with session_scope(hub.engine) as session:
        write_audit(
            session,
            actor_kind="user",
            actor=user.username,
            action="user_role",
            target=f"user:{username}",
            detail={"from": before, "to": role},
        )
    return redirect("/users", f"{username}: {before} → {role}")


def _session_or_none(request: Request) -> CurrentUser | None:
    with session_scope(hub_of(request).engine) as session:
        return session_user(session, request.cookies.get(SESSION_COOKIE))
