"""The one app of `chub serve`: the golden-record API under /api, /healthz, and the
review web app's pages.

``create_app(hub)`` builds it around a ``Hub`` (``app.state.hub``; ``app.state.engine``
is its engine). Refusals of the API are ``Problem`` bodies (detail, errors); a request
target or body beyond ``serve.limits`` is refused before any route runs.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from integration.errors import ChubError
from integration.hub import Hub
from integration.sections.serve import ServeSettings
from integration.store import HubStoreError, check_reachable
from integration.web.api import api_router
from integration.web.api.deps import PRINTABLE, ApiError
from integration.web.api.schemas import Health

__all__ = ["create_app"]

_API_PREFIXES = ("/api", "/healthz")
_DESCRIPTION = """\
What downstream CRMs and services pull from the customer hub: golden records by id, by
any source id and by search, and a change feed of what happened to them.

Every `/api` route wants `Authorization: Bearer <token>` (`chub token create NAME --scope
read [--scope pii]`); without the `pii` scope mobiles and e-mails come back masked
(`138****8000`, `z***@example.com`), and every answer that carries them unmasked is
written to the hub's audit log. `/healthz` needs no token.

Refusals have one shape (`Problem`): 401 no or a bad token, 404 no such record, 413 a
body over `serve.limits.body_bytes`, 414 a request target over `serve.limits.url_chars`,
422 a wrong parameter with `errors` naming it.
"""


def _problem(
    status: int,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {"detail": detail, "errors": errors or []}, status_code=status, headers=headers
    )


def _is_api(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in _API_PREFIXES)


class _Bounds:
    """Refuses an overlong request target (414) anywhere, and a request body over the
    limit (413) on the API, before the app reads it."""

    def __init__(self, app: ASGIApp, *, url_chars: int, body_bytes: int) -> None:
        self.app = app
        self.url_chars = url_chars
        self.body_bytes = body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        target = len(scope.get("raw_path") or scope["path"].encode()) + len(scope["query_string"])
        if target > self.url_chars:
            await _problem(
                414, f"the request target is {target} characters; at most {self.url_chars}"
            )(scope, receive, send)
            return
        if not _is_api(scope["path"]):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.body_bytes:
            await _problem(413, f"the request body is {declared} bytes; at most {self.body_bytes}")(
                scope, receive, send
            )
            return
        # a body without Content-Length (chunked) is read up to the limit before the route
        chunks: list[Message] = []
        size = 0
        if declared is None and _has_body(scope):
            while True:
                message = await receive()
                chunks.append(message)
                size += len(message.get("body", b""))
                if size > self.body_bytes:
                    await _problem(413, f"the request body is over {self.body_bytes} bytes")(
                        scope, receive, send
                    )
                    return
                if message["type"] != "http.request" or not message.get("more_body"):
                    break

        async def replay() -> Message:
            return chunks.pop(0) if chunks else await receive()

        await self.app(scope, replay if chunks else receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _has_body(scope: Scope) -> bool:
    return any(name == b"transfer-encoding" for name, _ in scope["headers"])


def _where(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(p) for p in loc) or "request"


def _problem_of(error: dict[str, Any]) -> str:
    """pydantic's message, said plainly where it would quote a regular expression."""
    pattern = (error.get("ctx") or {}).get("pattern")
    if error.get("type") == "string_pattern_mismatch" and pattern == PRINTABLE:
        return "must not hold control characters"
    if error.get("type") == "string_pattern_mismatch":
        return "is not a value this API hands out (wrong characters)"
    return str(error.get("msg", ""))


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        headers = dict(exc.headers) if exc.headers else None
        return _problem(exc.status_code, str(exc.detail), exc.errors, headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if not _is_api(request.url.path):
            return await request_validation_exception_handler(request, exc)
        errors = [
            {"where": _where(e.get("loc", ())), "problem": _problem_of(e)} for e in exc.errors()
        ]
        first = errors[0] if errors else {"where": "request", "problem": "is not valid"}
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return _problem(422, f"{first['where']}: {first['problem']}{more}", errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not _is_api(request.url.path):
            from fastapi.exception_handlers import http_exception_handler

            return await http_exception_handler(request, exc)
        headers = getattr(exc, "headers", None)
        return _problem(
            exc.status_code, str(exc.detail), headers=dict(headers) if headers else None
        )

    @app.exception_handler(ChubError)
    async def refused(request: Request, exc: ChubError) -> Response:
        return _problem(422, str(exc))

    @app.exception_handler(OperationalError)
    async def database_down(request: Request, exc: OperationalError) -> Response:
        return _problem(
            503,
            "the hub database cannot be reached now; try again shortly",
            headers={"Retry-After": "5"},
        )


def _health(app: FastAPI) -> JSONResponse:
    hub: Hub = app.state.hub
    try:
        check_reachable(hub.engine)
        current = hub.schema_is_current()
    except (HubStoreError, OperationalError) as exc:
        body = Health(status="unavailable", database=str(exc)[:300], schema_current=False)
        return JSONResponse(json.loads(body.model_dump_json()), status_code=503)
    body = Health(
        status="ok" if current else "unavailable", database="reachable", schema_current=current
    )
    return JSONResponse(body.model_dump(), status_code=200 if current else 503)


def _search_keeper(app: FastAPI, every: float) -> tuple[threading.Thread, threading.Event]:
    """A thread that keeps the search keys up with the change feed between searches (and
    builds them at start), so a search rarely has more than a few events to apply."""
    from integration.web.api import index

    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                index.refresh(app.state.engine, max_events=20_000)
            except Exception as exc:  # a failed round is retried next round; say why
                app.state.hub.say(f"search index refresh failed: {exc}")
            stop.wait(every)

    thread = threading.Thread(target=run, name="chub-search-index", daemon=True)
    return thread, stop


def create_app(hub: Hub, *, keep_search_index: bool = False) -> FastAPI:
    """The app of `chub serve` for ``hub``. ``keep_search_index``: run the thread that
    keeps the search keys current in the background (chub serve does; tests need not)."""
    serve: ServeSettings = hub.settings.serve or ServeSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        keeper = _search_keeper(app, serve.search_refresh_seconds) if keep_search_index else None
        if keeper:
            keeper[0].start()
        try:
            yield
        finally:
            if keeper:
                keeper[1].set()
                keeper[0].join(timeout=10)

    app = FastAPI(
        title="customer-hub",
        version="1",
        description=_DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.hub = hub
    app.state.engine = hub.engine
    app.state.api_limits = serve.limits
    _install_handlers(app)

    @app.get(
        "/healthz",
        response_model=Health,
        tags=["monitoring"],
        summary="Liveness and readiness (no token)",
        description="200 when the hub database answers and its schema is current, else 503"
        " with the reason. Needs no token and says nothing about customers.",
        responses={503: {"model": Health, "description": "the hub cannot serve"}},
    )
    def healthz() -> JSONResponse:
        return _health(app)

    app.include_router(api_router())

    # the review web app's pages (and its own CSS and script) under /review
    from integration.web.review import PREFIX as review_prefix
    from integration.web.review import router as review_router

    app.include_router(review_router)

    @app.get("/", include_in_schema=False)
    def root() -> Response:
        # a browser pointed at the server lands in the review app: its queue, which sends
        # a browser without a session to the login page and back. The session cookie is
        # scoped to /review (never sent to /api), so / cannot tell and need not.
        return RedirectResponse(f"{review_prefix}/", status_code=303)

    app.add_middleware(
        _Bounds, url_chars=serve.limits.url_chars, body_bytes=serve.limits.body_bytes
    )
    return app
