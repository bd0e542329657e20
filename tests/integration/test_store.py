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
