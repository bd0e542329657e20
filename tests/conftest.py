"""Shared fixtures. The hub-store fixtures run on SQLite, or on the PostgreSQL named by
CHUB_TEST_DATABASE_URL; every test that uses them is marked ``hub`` so CI can run just
those a second time on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")

HUB_FIXTURES = {"hub_url", "engine"}
#: the only databases the fixtures may wipe (DROP SCHEMA public CASCADE)
TEST_DATABASE_PREFIX = "chub_test"


def _refuse_unless_test_database(url: str) -> None:
    """The hub fixtures drop the whole public schema: only ever of a database made for tests."""
    from sqlalchemy.engine import make_url

    database = make_url(url).database or ""
    if not database.startswith(TEST_DATABASE_PREFIX):
        raise pytest.UsageError(
            f"CHUB_TEST_DATABASE_URL names database {database!r}, whose public schema the "
            f"hub fixtures would drop: use a database whose name starts with "
            f"{TEST_DATABASE_PREFIX!r}"
        )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "hub: uses the hub store (runs on SQLite and PostgreSQL)")
    url = os.environ.get("CHUB_TEST_DATABASE_URL")
    if url:
        _refuse_unless_test_database(url)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HUB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.hub)


@pytest.fixture
def hub_url(tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """An empty hub database: a fresh SQLite file, or a wiped PostgreSQL schema."""
    url = os.environ.get("CHUB_TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'hub.db'}"
        return
    from sqlalchemy import create_engine, text

    _refuse_unless_test_database(url)  # checked at start-up too; this is the last line
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield url


@pytest.fixture
def engine(hub_url: str):  # type: ignore[no-untyped-def]
    from integration.store import make_engine, upgrade

    eng = make_engine(hub_url)
    upgrade(eng)
    yield eng
    eng.dispose()
