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
