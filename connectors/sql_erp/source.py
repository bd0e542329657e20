"""The SQL ERP source: any table with a key and a watermark column, read incrementally.

Pages are a keyset on (watermark, key): ``wm > :w OR (wm = :w AND key > :k)``, so rows
sharing one watermark (a batch update stamps many rows with one second) are neither lost
nor repeated at page boundaries, and nothing drifts when rows change mid-sync. With
``overlap_seconds`` the next pull re-reads that window before the watermark (a long
transaction commits rows stamped at its start) and skips the (key, watermark) pairs it
already delivered. Rows whose watermark is NULL are invisible to an incremental query;
a full pull reads them first, ordered by key.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from connectors.contract import Mapped, Page, RawRecord, StreamKind
from connectors.sql_erp.client import SqlClient, plain
from connectors.sql_erp.mapping import map_customer, map_order

if TYPE_CHECKING:
    from connectors.sql_erp import Settings, StreamSettings

__all__ = ["SqlSource"]

log = logging.getLogger("connectors.sql_erp")

_RECENT_CAP = 5000


def _kind(value: Any) -> str:
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, int | float | Decimal):
        return "number"
    return "text"


def _restore(value: Any, kind: str) -> Any:
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "number":
        return Decimal(str(value))
    return value


@dataclass
class _Cursor:
    phase: str = "nulls"  # "nulls": NULL-watermark rows by key; "main": the keyset
    wm: Any = None
    kind: str = "text"
    key: Any = None
    recent: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, text: str | None) -> _Cursor:
        if not text:
            return cls()
        try:
            d = json.loads(text)
            return cls(
                d["phase"],
                d.get("wm"),
                d.get("kind", "text"),
                d.get("key"),
                dict(d.get("recent") or {}),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("sql: unreadable cursor; starting a full pull")
            return cls()

    def dump(self) -> str:
        return json.dumps(
            {
                "v": 1,
                "phase": self.phase,
                "wm": self.wm,
                "kind": self.kind,
                "key": self.key,
                "recent": self.recent,
            },
            sort_keys=True,
        )


class SqlSource:
    def __init__(self, settings: Settings, client: SqlClient) -> None:
        self.settings = settings
        self.client = client
        self.streams: dict[str, StreamKind] = {n: s.kind for n, s in settings.streams.items()}

    def _spec(self, stream: str) -> StreamSettings:
        spec = self.settings.streams.get(stream)
        if spec is None:
            raise ValueError(f"sql source has no stream {stream!r} (known: {sorted(self.streams)})")
        return spec

    # ------------------------------------------------------------------ pulling
    def pull(self, stream: str, cursor: str | None) -> Iterator[Page]:
        spec = self._spec(stream)
        table = self.client.table(spec.table, spec.needed_columns())
        key, wm = table.c[spec.key], table.c[spec.watermark]
        state = _Cursor.load(cursor)
        size = self.settings.page_size
        while state.phase == "nulls":
            query = sa.select(table).where(wm.is_(None))
            if state.key is not None:
                query = query.where(key > state.key)
            rows = self.client.rows(query.order_by(key).limit(size))
            if rows:
                state.key = plain(rows[-1][spec.key])
            if len(rows) < size:
                state.phase, state.key = "main", None
            yield Page([self._record(spec, r) for r in rows], state.dump())
            if state.phase == "nulls":
                continue
        overlap = timedelta(seconds=self.settings.overlap_seconds)
        position: tuple[Any, Any] | None = None
        lower: Any = None
        if state.wm is not None:
            restored = _restore(state.wm, state.kind)
            if overlap and state.kind == "datetime":
                lower = restored - overlap
            else:
                position = (restored, state.key)
        while True:
            query = sa.select(table)
            if position is not None:
                query = query.where(
                    sa.or_(wm > position[0], sa.and_(wm == position[0], key > position[1]))
                )
            elif lower is not None:
                query = query.where(wm >= lower)
            else:
                query = query.where(wm.is_not(None))
            rows = self.client.rows(query.order_by(wm, key).limit(size))
            records: list[RawRecord] = []
            for row in rows:
                stamp, ident = row[spec.watermark], row[spec.key]
                position = (stamp, ident)
                state.wm, state.kind, state.key = plain(stamp), _kind(stamp), plain(ident)
                if state.recent.get(str(ident)) != state.wm:
                    records.append(self._record(spec, row))
                if overlap and state.kind == "datetime":
                    state.recent[str(ident)] = state.wm
            self._prune(state, overlap)
            yield Page(records, state.dump())
            if len(rows) < size:
                return

    @staticmethod
    def _prune(state: _Cursor, overlap: timedelta) -> None:
        if not state.recent or state.kind != "datetime" or state.wm is None:
            return
        floor = datetime.fromisoformat(state.wm) - overlap
        kept = {k: v for k, v in state.recent.items() if datetime.fromisoformat(v) >= floor}
        if len(kept) > _RECENT_CAP:  # beyond the cap we re-deliver, never skip
            kept = dict(sorted(kept.items(), key=lambda kv: kv[1])[-_RECENT_CAP:])
        state.recent = kept

    def _record(self, spec: StreamSettings, row: dict[str, Any]) -> RawRecord:
        payload = {name: plain(value) for name, value in row.items()}
        deleted = bool(spec.deleted_column and row.get(spec.deleted_column))
        return RawRecord(str(row[spec.key]), payload, deleted=deleted)

    # ------------------------------------------------------------------ mapping
    def map_record(self, stream: str, payload: dict[str, Any]) -> Mapped:
        spec = self._spec(stream)
        tz = self.settings.timezone
        if spec.kind == "customer":
            return Mapped(
                customer=map_customer(
                    payload,
                    spec.columns,
                    tz=tz,
                    customer_type=spec.customer_type,
                    watermark=spec.watermark,
                )
            )
        if spec.kind == "order":
            assert spec.customer_key and spec.at  # checked by StreamSettings
            return Mapped(
                activity=map_order(
                    payload,
                    customer_key=spec.customer_key,
                    customer_stream=spec.customer_stream or self._first_customer_stream(),
                    amount=spec.amount,
                    at=spec.at,
                    tz=tz,
                    currency=spec.currency,
                    currency_column=spec.currency_column,
                )
            )
        raise ValueError(f"sql stream {stream!r} has kind {spec.kind!r}, which maps to nothing")

    def _first_customer_stream(self) -> str:
        return next((n for n, k in self.streams.items() if k == "customer"), "customers")

    def close(self) -> None:
        self.client.close()
