"""The "wire" of a SQL ERP: one SQLAlchemy engine, reflected tables, keyset page queries.

Identifiers come from chub.yaml, never from data, and go through SQLAlchemy's quoting;
values are bound parameters. Driver errors become our exceptions: a lost connection is
transient (retried a few times), a missing table/column or a refused login is config.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from connectors.contract import ConnectorConfigError, TransientError

__all__ = ["SqlClient", "plain"]

log = logging.getLogger("connectors.sql_erp")


def plain(value: Any) -> Any:
    """A driver value -> JSON-friendly (datetimes/dates ISO, Decimal as str, bytes hex)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return value


class SqlClient:
    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        engine: sa.Engine | None = None,
    ) -> None:
        try:
            self.engine = engine or sa.create_engine(url, pool_pre_ping=True)
        except (sa_exc.ArgumentError, ImportError) as exc:
            raise ConnectorConfigError(f"sql: cannot use database url: {exc}") from exc
        self.schema = schema
        self.attempts = attempts
        self._sleep = sleep
        self._tables: dict[str, sa.Table] = {}
        log.debug("sql client for %s", self.engine.url.render_as_string(hide_password=True))

    def close(self) -> None:
        self.engine.dispose()

    def table(self, name: str, needed: Sequence[str]) -> sa.Table:
        """The reflected table; every configured column must exist (checked once)."""
        if name not in self._tables:
            try:
                table = self._retry(
                    lambda: sa.Table(
                        name, sa.MetaData(), schema=self.schema, autoload_with=self.engine
                    )
                )
            except sa_exc.NoSuchTableError as exc:
                raise ConnectorConfigError(f"sql: no table {name!r}") from exc
            self._tables[name] = table
        table = self._tables[name]
        missing = sorted(set(needed) - set(table.c.keys()))
        if missing:
            raise ConnectorConfigError(f"sql: table {name!r} has no column(s) {missing}")
        return table

    def rows(self, query: sa.Select[Any]) -> list[dict[str, Any]]:
        def run() -> list[dict[str, Any]]:
            with self.engine.connect() as conn:
                return [dict(row._mapping) for row in conn.execute(query)]

        return self._retry(run)

    def _retry(self, work: Callable[[], Any]) -> Any:
        for attempt in range(self.attempts):
            try:
                return work()
            except sa_exc.NoSuchTableError:
                raise
            except (sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
                # a refused login is configuration; a dropped connection is worth a retry
                text = str(exc.orig) if exc.orig is not None else str(exc)
                if "Access denied" in text or "password authentication failed" in text:
                    raise ConnectorConfigError(f"sql: login refused: {text[:200]}") from exc
                if attempt + 1 >= self.attempts:
                    raise TransientError(f"sql: {type(exc.orig).__name__}: {text[:200]}") from exc
                log.info("sql: %s; retry %d", type(exc.orig).__name__, attempt + 1)
                self._sleep(0.5 * 2**attempt)
            except sa_exc.ProgrammingError as exc:
                raise ConnectorConfigError(f"sql: query refused: {str(exc.orig)[:200]}") from exc
        raise AssertionError("unreachable")
