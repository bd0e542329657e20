"""The BI ``Sink``: golden customers, the crosswalk and the facts as tables in a database.

One transaction per batch. Portable upserts (delete the batch's keys, insert the rows)
so any SQLAlchemy database works and a batch sent again (after a crash, a lost answer)
leaves exactly one row per key. A merged golden id keeps its customer row with status
``merged`` and ``merged_into`` (or loses it with ``on_merge: delete``); its crosswalk and
fact rows go, since its members now belong to the survivor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, delete, insert, tuple_
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from connectors.contract import ConnectorConfigError, OutboundRecord, PushResult
from connectors.sql_sink.client import BiTables
from connectors.sql_sink.mapping import crosswalk_rows, customer_row, facts_row

__all__ = ["SqlSink"]


class SqlSink:
    batch_size = 1000

    def __init__(
        self,
        engine: Engine,
        *,
        prefix: str = "chub_",
        schema: str | None = None,
        on_merge: str = "flag",
        batch_size: int = 1000,
    ) -> None:
        self.engine = engine
        self.tables = BiTables(prefix, schema)
        self.on_merge = on_merge
        self.batch_size = batch_size
        self._created = False

    def close(self) -> None:
        self.engine.dispose()

    def wire(self, record: OutboundRecord) -> dict[str, Any]:
        """What reaches the BI tables for ``record``."""
        fields = record.fields
        if fields.get("status") not in (None, "active") and self.on_merge == "delete":
            return {"delete": record.golden_id}
        return {
            "customer": customer_row(record.golden_id, fields),
            "crosswalk": crosswalk_rows(record.golden_id, fields),
            "facts": facts_row(record.golden_id, fields),
        }

    def _ensure_tables(self) -> None:
        if not self._created:
            self.tables.metadata.create_all(self.engine, checkfirst=True)
            self._created = True

    def push(self, records: Sequence[OutboundRecord]) -> list[PushResult]:
        if not records:
            return []
        t = self.tables
        ids = [r.golden_id for r in records]
        customers, crosswalk, facts = [], [], []
        for record in records:
            wire = self.wire(record)
            if "delete" in wire:
                continue
            customers.append(wire["customer"])
            crosswalk.extend(wire["crosswalk"])
            if wire["facts"] is not None:
                facts.append(wire["facts"])
        try:
            self._ensure_tables()
            with self.engine.begin() as conn:
                conn.execute(delete(t.customers).where(t.customers.c.golden_id.in_(ids)))
                conn.execute(delete(t.facts).where(t.facts.c.golden_id.in_(ids)))
                conn.execute(delete(t.crosswalk).where(t.crosswalk.c.golden_id.in_(ids)))
                keys = [(r["source"], r["stream"], r["source_key"]) for r in crosswalk]
                for i in range(0, len(keys), 500):
                    # a member that moved here from a golden id outside this batch
                    cols = (t.crosswalk.c.source, t.crosswalk.c.stream, t.crosswalk.c.source_key)
                    conn.execute(delete(t.crosswalk).where(tuple_(*cols).in_(keys[i : i + 500])))
                for table, rows in (
                    (t.customers, customers),
                    (t.facts, facts),
                    (t.crosswalk, crosswalk),
                ):
                    if rows:
                        conn.execute(insert(table), rows)
        except OperationalError as exc:
            error = f"sql_sink: the database is unavailable: {str(exc.orig)[:200]}"
            return [PushResult(g, ok=False, error=error, retryable=True) for g in ids]
        except DBAPIError as exc:
            if exc.connection_invalidated:
                return [
                    PushResult(
                        g, ok=False, error=f"sql_sink: {str(exc.orig)[:200]}", retryable=True
                    )
                    for g in ids
                ]
            raise ConnectorConfigError(
                f"sql_sink: the database refused the write: {str(exc.orig)[:300]}"
            ) from None
        except SQLAlchemyError as exc:
            raise ConnectorConfigError(f"sql_sink: {exc}") from None
        return [PushResult(g, ok=True, target_id=g) for g in ids]
