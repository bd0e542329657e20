"""API tokens of the golden-record API: random, shown once, kept only as a hash.

A token is ``chub_`` + 32 random bytes (``secrets.token_urlsafe``); the hub keeps its
SHA-256, which is enough for a secret of that entropy (no dictionary to guess from, so
a slow password hash would only slow every request). Tokens are named, carry scopes
(``read``: golden records, lookups, search, the change feed and status; ``pii``: the
same with mobiles and e-mails unmasked), may expire, and are revoked by name; a revoked
name stays in the table (and cannot be reused), so the audit log's actor stays meaningful.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from integration.errors import ChubError
from integration.store import ApiToken

__all__ = [
    "SCOPES",
    "Scope",
    "TokenError",
    "TokenInfo",
    "authenticate",
    "create_token",
    "hash_token",
    "list_tokens",
    "parse_expiry",
    "revoke_token",
]

Scope = Literal["read", "pii"]
SCOPES: tuple[Scope, ...] = ("read", "pii")

_PREFIX = "chub_"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}")
_DURATION = re.compile(r"(\d+)\s*([dhm])")
#: last_used_at is written at most this often per token: a write per request would cost
#: every lookup a commit
_TOUCH_EVERY = timedelta(minutes=1)


class TokenError(ChubError):
    """A token command that cannot be done (bad name, unknown token, bad expiry...)."""


@dataclass(frozen=True)
class TokenInfo:
    """What a request or `chub token list` may know of a token (never the token)."""

    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def pii(self) -> bool:
        return "pii" in self.scopes

    def state(self, now: datetime | None = None) -> str:
        """ "active", "revoked" or "expired"."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and _aware(self.expires_at) <= (now or _now()):
            return "expired"
        return "active"


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone=True columns: they were written in UTC
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(
        name=row.name,
        scopes=tuple(str(s) for s in row.scopes or ()),
        created_at=_aware(row.created_at),
        expires_at=_aware(row.expires_at) if row.expires_at else None,
        revoked_at=_aware(row.revoked_at) if row.revoked_at else None,
        last_used_at=_aware(row.last_used_at) if row.last_used_at else None,
    )


def parse_expiry(text: str, *, now: datetime | None = None) -> datetime:
    """``30d``, ``12h``, ``90m`` (from now) or an ISO date / datetime (UTC unless it says)."""
    now = now or _now()
    value = text.strip()
    if m := _DURATION.fullmatch(value):
        amount, unit = int(m.group(1)), m.group(2)
        if amount <= 0:
            raise TokenError(f"--expires {text!r}: a duration must be more than zero")
        delta = {"d": timedelta(days=amount), "h": timedelta(hours=amount)}.get(
            unit, timedelta(minutes=amount)
        )
        return now + delta
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise TokenError(
            f"--expires {text!r}: give a duration (30d, 12h, 90m) or an ISO date (2027-01-31)"
        ) from None
    when = _aware(when)
    if when <= now:
        raise TokenError(f"--expires {text!r} is in the past")
    return when


def create_token(
    session: Session,
    name: str,
    scopes: list[str],
    *,
    expires_at: datetime | None = None,
) -> tuple[str, TokenInfo]:
    """Make token ``name``; returns the token itself (shown once, never stored) and its info."""
    if not _NAME.fullmatch(name):
        raise TokenError(
            f"token name {name!r}: use 1-128 letters, digits and _ . @ -, starting with a"
            " letter or digit"
        )
    wanted = list(dict.fromkeys(scopes or ["read"]))
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown:
        raise TokenError(f"unknown scope {unknown[0]!r} (scopes: {', '.join(SCOPES)})")
    if "pii" in wanted and "read" not in wanted:
        # pii widens what read returns; on its own it would grant nothing
        wanted.insert(0, "read")
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise TokenError(f"a token named {name!r} exists already (names are never reused)")
    token = _PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        name=name,
        token_hash=hash_token(token),
        scopes=wanted,
        created_at=_now(),
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return token, _info(row)


def list_tokens(session: Session) -> list[TokenInfo]:
    return [_info(row) for row in session.scalars(select(ApiToken).order_by(ApiToken.name))]


def revoke_token(session: Session, name: str) -> TokenInfo:
    row = session.scalar(select(ApiToken).where(ApiToken.name == name))
    if row is None:
        raise TokenError(f"no token named {name!r} (see `chub token list`)")
    if row.revoked_at is not None:
        raise TokenError(
            f"token {name!r} was revoked already, at {_aware(row.revoked_at):%Y-%m-%d %H:%M} UTC"
        )
    row.revoked_at = _now()
    session.flush()
    return _info(row)


def authenticate(session: Session, token: str, *, now: datetime | None = None) -> TokenInfo | None:
    """The active token ``token`` is, or None (unknown, revoked or expired: all alike to
    the caller, so a client cannot tell which). Notes the use, at most once a minute."""
    if not token.startswith(_PREFIX) or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None:
        return None
    info = _info(row)
    now = now or _now()
    if info.state(now) != "active":
        return None
    if info.last_used_at is None or now - info.last_used_at >= _TOUCH_EVERY:
        row.last_used_at = now
        session.commit()
    return info
