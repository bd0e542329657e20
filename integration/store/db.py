"""Engine, sessions and migrations of the hub store."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

__all__ = [
    "HubStoreError",
    "chunks",
    "current_revision",
    "head_revision",
    "make_engine",
    "session_scope",
    "upgrade",
]

_MIGRATIONS = Path(__file__).with_name("migrations")

T = TypeVar("T")


def chunks(items: Iterable[T], size: int = 500) -> Iterator[list[T]]:
    """``items`` in lists of at most ``size``: the values of one ``IN (...)`` each, kept
    well under SQLite's and the drivers' parameter limits."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class HubStoreError(Exception):
    """The hub database cannot be used; the message says why in one sentence."""


def _redacted(url: str) -> str:
    """The URL with its password masked, even when SQLAlchemy cannot parse it."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # unparsable: mask by hand, without trusting any of its structure
        return _mask_userinfo(url)


def _mask_userinfo(url: str) -> str:
    # the credentials sit between "://" and the last "@" of the authority; a password may
    # itself hold "@", "/" or ":", so everything after the first ":" there is masked
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    if "@" not in rest:
        return url
    userinfo, _, host = rest.rpartition("@")
    user, colon, _password = userinfo.partition(":")
    return f"{scheme}{sep}{user}{':***' if colon else ''}@{host}"


def _password_of(url: str) -> str:
    rest = url.partition("://")[2] or url
    return rest.rpartition("@")[0].partition(":")[2] if "@" in rest else ""


def _scrubbed(text: str, url: str) -> str:
    """``text`` (a driver's error message) without the URL's password anywhere in it."""
    password = _password_of(url)
    text = text.replace(url, _redacted(url))
    return text.replace(password, "***") if password else text


def make_engine(url: str) -> Engine:
    """Create an engine; for SQLite make the folder and turn on WAL and foreign keys."""
    try:
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////:memory:"):
            path = Path(url.removeprefix("sqlite:///"))
            if str(path) not in ("", ":memory:"):
                path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, future=True, pool_pre_ping=True)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise HubStoreError(
            f"cannot use hub database {_redacted(url)}: {_scrubbed(str(exc), url)}"
        ) from None
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

    return engine


def check_reachable(engine: Engine) -> None:
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise HubStoreError(
            f"cannot reach the hub database {_redacted(str(engine.url))}: {reason}"
        ) from exc


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Bring the schema to ``revision``; returns the revision now in place."""
    check_reachable(engine)
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return current_revision(engine) or ""


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    factory = sessionmaker(engine, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
