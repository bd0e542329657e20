"""The audit log is append-only in the database itself (migration 0008): an UPDATE, DELETE or
(PostgreSQL) TRUNCATE through plain SQL is refused, appends keep working."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from integration.store import AuditLog, session_scope, upgrade
from integration.store.db import _alembic_config
from integration.web.audit import write_audit

REFUSED = "audit_log is append-only"


def _append(engine, action: str = "pair_merge") -> int:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        entry = write_audit(s, actor_kind="user", actor="sam", action=action, target="pair:1")
        s.flush()
        return entry.id


def _count(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(AuditLog)) or 0)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor = 'mallory'",
        "UPDATE audit_log SET detail = '{}' WHERE id = :id",
        "DELETE FROM audit_log WHERE id = :id",
        "DELETE FROM audit_log",
    ],
)
def test_plain_sql_cannot_change_or_remove_an_entry(engine, statement: str) -> None:  # type: ignore[no-untyped-def]
    entry = _append(engine)
    with pytest.raises(DBAPIError, match=REFUSED):
        with engine.begin() as conn:
            conn.execute(text(statement), {"id": entry})
    with engine.connect() as conn:
        row = conn.execute(select(AuditLog.actor, AuditLog.action).where(AuditLog.id == entry))
        assert row.one() == ("sam", "pair_merge")


def test_orm_update_and_delete_are_refused_too(engine) -> None:  # type: ignore[no-untyped-def]
    entry = _append(engine)
    with pytest.raises(DBAPIError, match=REFUSED):
        with session_scope(engine) as s:
            s.execute(update(AuditLog).where(AuditLog.id == entry).values(target="x"))
    with pytest.raises(DBAPIError, match=REFUSED):
        with session_scope(engine) as s:
            s.delete(s.get(AuditLog, entry))
    with pytest.raises(DBAPIError, match=REFUSED):
        with session_scope(engine) as s:
            s.execute(delete(AuditLog))
    assert _count(engine) == 1


def test_truncate_is_refused_on_postgresql(engine) -> None:  # type: ignore[no-untyped-def]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    _append(engine)
    with pytest.raises(DBAPIError, match=REFUSED):
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_log"))
    assert _count(engine) == 1


def test_appends_keep_working_and_a_refusal_rolls_back_only_its_own_transaction(engine) -> None:  # type: ignore[no-untyped-def]
    first = _append(engine, "login")
    with pytest.raises(DBAPIError, match=REFUSED):
        with session_scope(engine) as s:
            write_audit(s, actor_kind="cli", actor="ops", action="user_add")
            s.flush()
            s.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": first})
    second = _append(engine, "reveal")
    with engine.connect() as conn:
        actions = conn.execute(select(AuditLog.id, AuditLog.action).order_by(AuditLog.id)).all()
    # the entry added in the refused transaction went with it; the others are there in order
    assert [a for _, a in actions] == ["login", "reveal"] and second > first


def test_downgrade_lifts_the_triggers_and_upgrade_restores_them(engine) -> None:  # type: ignore[no-untyped-def]
    entry = _append(engine)
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007")
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'ops' WHERE id = :id"), {"id": entry})
    upgrade(engine)
    with pytest.raises(DBAPIError, match=REFUSED):
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": entry})
    assert _count(engine) == 1
