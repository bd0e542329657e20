"""The hub store: migrations create the modelled schema on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from integration.store import (
    Base,
    HubStoreError,
    current_revision,
    head_revision,
    make_engine,
    upgrade,
)


def test_migrations_create_every_modelled_table_and_column(engine) -> None:  # type: ignore[no-untyped-def]
    insp = inspect(engine)
    tables = set(insp.get_table_names()) - {"alembic_version"}
    assert tables == set(Base.metadata.tables)
    for name, table in Base.metadata.tables.items():
        assert {c["name"] for c in insp.get_columns(name)} == {c.name for c in table.columns}
    assert current_revision(engine) == head_revision()


def test_upgrade_twice_is_a_no_op(engine) -> None:  # type: ignore[no-untyped-def]
    assert upgrade(engine) == head_revision()


def test_unreachable_database_is_one_clear_sentence() -> None:
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(HubStoreError) as err:
        upgrade(engine)
    message = str(err.value)
    assert message.startswith(
        "cannot reach the hub database postgresql+psycopg://nobody@127.0.0.1:1/none"
    )
    assert "\n" not in message


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://chub:s3cr3t-pw@db.example:notaport/hub",  # SQLAlchemy cannot parse it
        "not a url chub:s3cr3t-pw@db.example",
        "nosuchdialect://chub:s3cr3t-pw@db.example/hub",
        "postgresql+psycopg://chub:s3cr3t-pw@/@db.example/hub",  # "@" and "/" in the password
    ],
)
def test_a_bad_database_url_is_never_shown_with_its_password(url: str) -> None:
    try:
        upgrade(make_engine(url))
    except HubStoreError as err:
        message = str(err)
    else:  # pragma: no cover - each of these URLs is unusable
        pytest.fail(f"{url} was accepted")
    assert "s3cr3t" not in message and "chub:***@" in message, message
    assert "\n" not in message


def test_the_suite_refuses_to_wipe_a_database_not_named_for_tests() -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "CHUB_TEST_DATABASE_URL": "postgresql+psycopg://u@127.0.0.1:1/prod"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--co", __file__],
        cwd=Path(__file__).parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 4, done.stdout + done.stderr
    assert "names database 'prod'" in done.stderr and "'chub_test'" in done.stderr


def _indexes(engine) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    insp = inspect(engine)
    return {name: {ix["name"] for ix in insp.get_indexes(name)} for name in Base.metadata.tables}


def test_migrations_create_every_modelled_index(engine) -> None:  # type: ignore[no-untyped-def]
    modelled = {name: {ix.name for ix in t.indexes} for name, t in Base.metadata.tables.items()}
    made = _indexes(engine)
    # a column's unique=True / index=True or a unique constraint may make more indexes than
    # __table_args__ names; every named one must be there
    assert {n: modelled[n] - made[n] for n in modelled} == {n: set() for n in modelled}


def test_0009_down_drops_the_activity_contact_indexes_and_up_restores_them(engine) -> None:  # type: ignore[no-untyped-def]
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from integration.store import session_scope
    from integration.store.db import _alembic_config
    from integration.web.audit import write_audit

    wanted = {"ix_activity_phone", "ix_activity_email"}
    assert wanted <= _indexes(engine)["activity"]
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008")
    assert current_revision(engine) == "0008"
    assert not wanted & _indexes(engine)["activity"]
    assert upgrade(engine) == head_revision()
    assert wanted <= _indexes(engine)["activity"]
    # 0009 never went near audit_log: its append-only triggers (0008) still refuse
    with session_scope(engine) as s:
        write_audit(s, actor_kind="cli", actor="ops", action="login")
    with pytest.raises(DBAPIError, match="audit_log is append-only"):
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_log"))
