"""Users, roles, login sessions and CSRF for the review web app.

Passwords are hashed with argon2id (argon2-cffi). A login opens a row in ``app_session``;
the browser's cookie carries only a random token whose SHA-256 is stored, so a copy of
the database opens no session. Each session has its own CSRF token, sent back by every
form (hidden field) and every script request (``X-CSRF-Token``). Failed logins are
written to the audit log, and the count of recent failures for a name (kept in the hub,
so it holds across workers and restarts) and for a client address (in memory) limits
how fast passwords can be guessed.

Roles: ``admin`` may do everything (users too), ``steward`` decides pairs and fixes
quarantined rows, ``viewer`` reads, with personal data masked until revealed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from integration.errors import ChubError
from integration.store import AppSession, AppUser, AuditLog, session_scope
from integration.store.models import utcnow
from integration.web.audit import write_audit

__all__ = [
    "ROLES",
    "AuthError",
    "CurrentUser",
    "LoginLimiter",
    "Role",
    "UserInfo",
    "add_user",
    "authenticate",
    "can",
    "check_csrf",
    "close_session",
    "list_users",
    "open_session",
    "session_user",
    "set_role",
]

Role = Literal["admin", "steward", "viewer"]
ROLES: tuple[Role, ...] = ("admin", "steward", "viewer")
#: what each role may do; every action route names the permission it needs
PERMISSIONS: dict[str, frozenset[Role]] = {
    "read": frozenset(ROLES),
    "decide": frozenset({"admin", "steward"}),
    "correct": frozenset({"admin", "steward"}),
    "reveal": frozenset(ROLES),
    "users": frozenset({"admin"}),
}
SESSION_LIFETIME = timedelta(hours=8)
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
_HASHER = PasswordHasher()
# verified against when the name is unknown, so that a wrong name takes as long as a
# wrong password and the timing does not tell which names exist
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


class AuthError(ChubError):
    """A user or login action cannot be done; the message says why."""


@dataclass(frozen=True)
class UserInfo:
    username: str
    role: str
    created_at: datetime


@dataclass(frozen=True)
class CurrentUser:
    """The user behind a request's session cookie."""

    user_id: int
    username: str
    role: str
    csrf_token: str
    session_id: int

    def may(self, permission: str) -> bool:
        return can(self.role, permission)


def can(role: str, permission: str) -> bool:
    return role in PERMISSIONS.get(permission, frozenset())


def _check_role(role: str) -> Role:
    if role not in ROLES:
        raise AuthError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    return role  # type: ignore[return-value]


def _check_name(username: str) -> str:
    name = username.strip()
    if not name or len(name) > 128 or any(c.isspace() for c in name):
        raise AuthError("a user name is 1 to 128 characters without spaces")
    return name


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AuthError(f"a password has at most {MAX_PASSWORD_LENGTH} characters")


def add_user(engine: Engine, username: str, password: str, role: str) -> UserInfo:
    """Create a user with an argon2 hash of ``password``."""
    name = _check_name(username)
    checked_role = _check_role(role)
    _check_password(password)
    with session_scope(engine) as session:
        if session.scalar(select(AppUser.id).where(AppUser.username == name)) is not None:
            raise AuthError(f"there is already a user {name!r} (change the role with set-role)")
        user = AppUser(username=name, password_hash=_HASHER.hash(password), role=checked_role)
        session.add(user)
        session.flush()
        return UserInfo(user.username, user.role, user.created_at)


def set_role(engine: Engine, username: str, role: str) -> str:
    """Give ``username`` another role; returns the role it had. Open sessions keep working
    and see the new role on their next request (the role is read per request)."""
    checked_role = _check_role(role)
    with session_scope(engine) as session:
        user = session.scalar(select(AppUser).where(AppUser.username == username))
        if user is None:
            raise AuthError(f"there is no user {username!r} (see `chub user list`)")
        before, user.role = user.role, checked_role
        return before


def list_users(engine: Engine) -> list[UserInfo]:
    with session_scope(engine) as session:
        return [
            UserInfo(u.username, u.role, u.created_at)
            for u in session.scalars(select(AppUser).order_by(AppUser.username))
        ]


def authenticate(session: Session, username: str, password: str) -> AppUser | None:
    """The user if ``password`` is theirs, else None (same work either way)."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return None
    user = session.scalar(select(AppUser).where(AppUser.username == username.strip()))
    try:
        _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(
    session: Session, user: AppUser, *, lifetime: timedelta = SESSION_LIFETIME
) -> tuple[str, AppSession]:
    """A new login session; returns the cookie's token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    row = AppSession(
        token_hash=_digest(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=utcnow() + lifetime,
    )
    session.add(row)
    session.flush()
    return token, row


def _aware(moment: datetime) -> datetime:
    # SQLite hands timezone-aware columns back naive (in UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def session_user(session: Session, token: str | None) -> CurrentUser | None:
    """The user of a live session token: None when unknown, expired or logged out."""
    if not token or len(token) > 256:
        return None
    found = session.execute(
        select(AppSession, AppUser)
        .join(AppUser, AppUser.id == AppSession.user_id)
        .where(AppSession.token_hash == _digest(token))
    ).first()
    if found is None:
        return None
    row, user = found
    if row.revoked or _aware(row.expires_at) <= utcnow():
        return None
    return CurrentUser(user.id, user.username, user.role, row.csrf_token, row.id)


def close_session(session: Session, token: str | None) -> None:
    """Log out: the session cannot be used again, even with a copied cookie."""
    if not token:
        return
    row = session.scalar(select(AppSession).where(AppSession.token_hash == _digest(token)))
    if row is not None:
        row.revoked = True


def check_csrf(expected: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(expected.encode(), (sent or "").encode())


class LoginLimiter:
    """How many wrong passwords are allowed before logins wait.

    Per name: failures in the audit log within ``window`` since that name's last good
    login (shared by every worker of the hub). Per client address: a sliding window in
    this process, so that one client cannot walk through many names.
    """

    def __init__(
        self,
        *,
        per_name: int = 5,
        per_address: int = 20,
        window: timedelta = timedelta(minutes=15),
    ) -> None:
        self.per_name = per_name
        self.per_address = per_address
        self.window = window
        self._by_address: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        times = self._by_address.setdefault(address, deque())
        while times and times[0] <= now - self.window.total_seconds():
            times.popleft()
        return times

    def refused(self, session: Session, username: str, address: str) -> bool:
        """Whether a login attempt for ``username`` from ``address`` must wait."""
        with self._lock:
            if len(self._recent(address, time.monotonic())) >= self.per_address:
                return True
        since = utcnow() - self.window
        last_ok = session.scalar(
            select(func.max(AuditLog.at)).where(
                AuditLog.action == "login", AuditLog.target == username
            )
        )
        if last_ok is not None and _aware(last_ok) > since:
            since = _aware(last_ok)
        failures = session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(
                AuditLog.action == "login_failed",
                AuditLog.target == username,
                AuditLog.at > since,
            )
        )
        return (failures or 0) >= self.per_name

    def failed(self, session: Session, username: str, address: str) -> None:
        with self._lock:
            self._recent(address, time.monotonic()).append(time.monotonic())
        write_audit(
            session,
            actor_kind="user",
            actor=username[:128] or "?",
            action="login_failed",
            target=username[:400],
            detail={"address": address},
        )

    def succeeded(self, session: Session, username: str, address: str) -> None:
        write_audit(
            session,
            actor_kind="user",
            actor=username,
            action="login",
            target=username,
            detail={"address": address},
        )
