"""The append-only audit log: every decision, every reveal of personal data, every API
response that carried unmasked personal data. Rows are only ever added."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy.orm import Session

from integration.store import AuditLog

__all__ = ["ActorKind", "write_audit"]

ActorKind = Literal["user", "token", "cli", "system"]


def write_audit(
    session: Session,
    *,
    actor_kind: ActorKind,
    actor: str,
    action: str,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Add one entry to the session; it commits with the action it records."""
    entry = AuditLog(
        actor_kind=actor_kind, actor=actor, action=action, target=target, detail=detail or {}
    )
    session.add(entry)
    return entry
