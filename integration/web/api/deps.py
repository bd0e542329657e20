"""What every API route depends on: a hub session per request, the caller's token, the
limits of ``serve:``, and refusals in the shape of ``Problem``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from integration.sections.serve import ApiLimits
from integration.web.api.schemas import Problem
from integration.web.audit import write_audit
from integration.web.masking import mask_deep, mask_fields, personal_fields_in
from integration.web.tokens import TokenInfo, authenticate

__all__ = [
    "PRINTABLE",
    "json_of",
    "ApiError",
    "Caller",
    "CallerDep",
    "LimitsDep",
    "PROBLEM_RESPONSES",
    "SessionDep",
    "api_limits",
    "current_caller",
    "hub_session",
]

#: every text parameter: no control characters (PostgreSQL cannot even compare a NUL)
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"

#: the OpenAPI document's bearer scheme (auto_error off: the 401 is ours, with words)
bearer = HTTPBearer(
    auto_error=False,
    description="an API token from `chub token create NAME --scope read [--scope pii]`",
)


def json_of(model: BaseModel) -> Response:
    """The validated model as the response, serialized once (returning the model would have
    FastAPI dump and validate it again: for a feed page of 1000 events, real time)."""
    return Response(model.model_dump_json(), media_type="application/json")


class ApiError(HTTPException):
    """A refusal with a Problem body (see app.py's handler)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status, detail=detail, headers=headers)
        self.errors = errors or []


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def hub_session(request: Request) -> Iterator[Session]:
    """One session per request; whatever a route wrote (the audit entry) it commits."""
    factory: sessionmaker[Session] | None = getattr(request.app.state, "api_sessions", None)
    if factory is None:
        factory = sessionmaker(_engine(request), expire_on_commit=False)
        request.app.state.api_sessions = factory
    session = factory()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


SessionDep = Annotated[Session, Depends(hub_session)]


def api_limits(request: Request) -> ApiLimits:
    limits: ApiLimits = request.app.state.api_limits
    return limits


LimitsDep = Annotated[ApiLimits, Depends(api_limits)]


@dataclass(frozen=True)
class Caller:
    """The token a request came with, and what it may see."""

    token: TokenInfo

    @property
    def name(self) -> str:
        return self.token.name

    @property
    def pii(self) -> bool:
        return self.token.pii

    def shown(self, fields: dict[str, Any]) -> dict[str, Any]:
        """``fields`` as this caller may see them: masked without the pii scope."""
        return dict(fields) if self.pii else mask_fields(fields)

    def shown_deep(self, value: dict[str, Any]) -> dict[str, Any]:
        """A record's lineage or facts (or an event's detail) as this caller may see them:
        every phone and e-mail at any depth masked without the pii scope."""
        if self.pii:
            return dict(value)
        masked: dict[str, Any] = mask_deep(value)
        return masked

    def audit_if_personal(
        self,
        session: Session,
        request: Request,
        what: str,
        golden_ids: list[str],
        shown: list[dict[str, Any]],
    ) -> None:
        """With the pii scope, a response that carries phones or e-mails is written to the
        audit log (which token, what, when) before it leaves."""
        if not self.pii:
            return
        carried = sorted({f for fields in shown for f in personal_fields_in(fields)})
        if not carried:
            return
        write_audit(
            session,
            actor_kind="token",
            actor=self.name,
            action="api_pii",
            target=what[:400],
            detail={
                "path": request.url.path,
                "query": str(request.url.query)[:500],
                "golden_ids": golden_ids[:200],
                "records": len(golden_ids),
                "fields": carried,
            },
        )
        session.commit()


_UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


def current_caller(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    """The caller's active token with the read scope; otherwise 401 and no data."""
    if credentials is None:
        raise ApiError(
            401,
            "an API token is required: send `Authorization: Bearer <token>`",
            headers=_UNAUTHORIZED,
        )
    info = authenticate(session, credentials.credentials)
    if info is None:
        raise ApiError(401, "the API token is unknown, revoked or expired", headers=_UNAUTHORIZED)
    if "read" not in info.scopes:
        raise ApiError(403, f"token {info.name!r} lacks the read scope")
    return Caller(info)


CallerDep = Annotated[Caller, Depends(current_caller)]

#: refusals every API route may answer, in the OpenAPI document
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "no token, or an unknown, revoked or expired one"},
    403: {"model": Problem, "description": "the token lacks the scope"},
    413: {"model": Problem, "description": "the request body is too large"},
    414: {"model": Problem, "description": "the request target is too long"},
    422: {"model": Problem, "description": "a parameter is wrong; `errors` says which and why"},
}
