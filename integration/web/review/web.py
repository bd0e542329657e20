"""What every review page shares: the hub behind the app, the logged-in user, CSRF, the
templates, and the route class that turns refusals and user mistakes into pages.

The app (``integration/web/app.py``) keeps the hub in ``app.state.hub`` (a ``Hub``:
engine, quality rules, matching thresholds) or, in tests, just ``app.state.engine``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

import dedupe
import quality
from integration.errors import ChubError
from integration.store import session_scope
from integration.web.auth import CurrentUser, check_csrf, session_user
from integration.web.i18n import pick_language, translator

__all__ = [
    "PREFIX",
    "SESSION_COOKIE",
    "LoginRequired",
    "PageRoute",
    "Refused",
    "ReviewHub",
    "StaleForm",
    "current_user",
    "form_user",
    "hub_of",
    "render",
]

PREFIX = "/review"
SESSION_COOKIE = "chub_session"
FLASH_COOKIE = "chub_flash"
HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))


@dataclass(frozen=True)
class ReviewHub:
    """What the pages need of the hub."""

    engine: Engine
    rules: quality.RuleSet
    lower: float
    upper: float

    @property
    def threshold(self) -> float:
        """Where the matcher is least sure: the middle of the review band."""
        return (self.lower + self.upper) / 2


def hub_of(request: Request) -> ReviewHub:
    state = request.app.state
    hub = getattr(state, "hub", None)
    if hub is not None:
        m = hub.match_settings
        return ReviewHub(hub.engine, hub.rules, m.lower, m.upper)
    defaults = dedupe.MatchSettings()
    return ReviewHub(
        state.engine,
        getattr(state, "rules", None) or quality.default_rules(),
        defaults.lower,
        defaults.upper,
    )


class LoginRequired(Exception):
    """No live session: the browser is sent to the login page."""


class Refused(Exception):
    """The user's role may not do this (HTTP 403)."""

    def __init__(self, user: CurrentUser, permission: str) -> None:
        super().__init__(permission)
        self.user = user
        self.permission = permission


class StaleForm(Exception):
    """A form without this session's CSRF token (HTTP 403)."""


def _login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        target = f"{PREFIX}/"
    return RedirectResponse(f"{PREFIX}/login?next={quote(target)}", status_code=303)


class PageRoute(APIRoute):
    """Routes of the review app: a missing session redirects to the login page, a refusal
    or a user's mistake (``ChubError``) is a page that says so, not a traceback."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                if _wants_json(request):
                    return Response(
                        '{"detail": "log in first"}', 401, media_type="application/json"
                    )
                return _login_redirect(request)
            except Refused as exc:
                return render(
                    request,
                    "message.html",
                    exc.user,
                    title_key="refused",
                    message=translator(pick_language(request))(
                        "refused_detail", role=exc.user.role
                    ),
                    status_code=403,
                )
            except StaleForm:
                return render(
                    request,
                    "message.html",
                    None,
                    title_key="refused",
                    message_key="csrf_failed",
                    status_code=403,
                )
            except RequestValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg')}"
                    for e in exc.errors()
                )
                return render(
                    request,
                    "message.html",
                    None,
                    title_key="problem",
                    message=problems,
                    status_code=422,
                )

        return page_handler


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def current_user(request: Request) -> CurrentUser:
    """Dependency of every page: the session's user, or off to the login page."""
    hub = hub_of(request)
    with session_scope(hub.engine) as session:
        user = session_user(session, request.cookies.get(SESSION_COOKIE))
    if user is None:
        raise LoginRequired()
    request.state.user = user
    return user


async def form_user(request: Request) -> CurrentUser:
    """Dependency of every form post: a live session AND its CSRF token, from a hidden
    field or the ``X-CSRF-Token`` header (the page's script). A cross-site post also
    fails the Origin check, before the token is even looked at."""
    user = current_user(request)
    origin = request.headers.get("origin")
    if origin and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise StaleForm()
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not check_csrf(user.csrf_token, sent):
        raise StaleForm()
    return user


def require(user: CurrentUser, permission: str) -> None:
    """The server-side role check every action makes before it does anything."""
    if not user.may(permission):
        raise Refused(user, permission)


def render(
    request: Request,
    template: str,
    user: CurrentUser | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    lang = pick_language(request)
    page = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "user": user,
            "lang": lang,
            "t": translator(lang),
            "prefix": PREFIX,
            "masked": user is not None and user.role == "viewer",
            "flash": unquote(request.cookies.get(FLASH_COOKIE, ""))[:300],
            **context,
        },
        status_code=status_code,
    )
    # pages carry personal data: not kept by shared caches or the back button's disk cache
    page.headers["Cache-Control"] = "no-store"
    page.headers["X-Frame-Options"] = "DENY"
    page.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'"
    )
    page.headers["Referrer-Policy"] = "same-origin"
    if FLASH_COOKIE in request.cookies:
        page.delete_cookie(FLASH_COOKIE, path=PREFIX)
    return page


def redirect(path: str, flash: str = "") -> RedirectResponse:
    """After a post, back to a page (303: the browser follows with a GET)."""
    target = path if path.startswith(PREFIX) else f"{PREFIX}{path}"
    response = RedirectResponse(target, status_code=303)
    if flash:
        # a cookie, not a query parameter: a link from elsewhere cannot put words on a page
        response.set_cookie(
            FLASH_COOKIE,
            quote(flash),
            max_age=60,
            path=PREFIX,
            httponly=True,
            secure=True,
            samesite="strict",
        )
    return response


def chub_error_page(
    request: Request, user: CurrentUser, exc: ChubError | Exception
) -> HTMLResponse:
    return render(
        request, "message.html", user, title_key="problem", message=str(exc), status_code=409
    )
