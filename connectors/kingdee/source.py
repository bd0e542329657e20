"""The Kingdee source: customers (BD_Customer) and sales orders (SAL_SaleOrder).

Paging is a keyset on (FModifyDate, internal id) rather than a growing ``StartRow``: an
offset drifts when a row already read is modified mid-sync (it jumps to the end and the
row after it slides into the read part, unseen). ``StartRow`` is only used to read the
rest of one document whose entry lines fill a whole page.

K3Cloud times are server-local without a zone and a long transaction can commit rows
stamped before our watermark, so every pull restarts ``overlap_seconds`` before the last
position and skips the (id, FModifyDate) pairs it already delivered in that window.
Re-delivering a record is harmless (the hub's payload hash makes it a no-op); missing
one is not, so every doubt resolves towards reading again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from connectors.contract import Mapped, Page, RawRecord, StreamKind, TransientError
from connectors.kingdee.client import KingdeeClient
from connectors.kingdee.mapping import (
    StreamSpec,
    customer_spec,
    filter_literal,
    fold_rows,
    map_customer,
    map_order,
    order_spec,
)

__all__ = ["KingdeeSource"]

log = logging.getLogger("connectors.kingdee")

_RECENT_CAP = 5000  # dedupe memory kept in the cursor; beyond it we re-deliver, never skip
_STALLS = 3  # pages in a row that bring nothing new before we call the server broken


def _when(value: Any) -> datetime:
    return datetime.fromisoformat(str(value).replace(" ", "T"))


def _id_order(value: Any) -> tuple[int, str]:
    try:
        return (int(value), "")
    except (TypeError, ValueError):
        return (0, str(value))


@dataclass
class _Cursor:
    """Last delivered (date, id) and the (id -> date) pairs delivered inside the overlap."""

    date: str | None = None
    id: Any = None
    recent: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, text: str | None) -> _Cursor:
        if not text:
            return cls()
        try:
            data = json.loads(text)
            return cls(data.get("date"), data.get("id"), dict(data.get("recent") or {}))
        except (ValueError, AttributeError, TypeError):
            log.warning("kingdee: unreadable cursor; starting a full pull")
            return cls()

    def dump(self) -> str:
        return json.dumps(
            {"v": 1, "date": self.date, "id": self.id, "recent": self.recent},
            ensure_ascii=False,
            sort_keys=True,
        )

    def prune(self, overlap: timedelta) -> None:
        """Forget deliveries older than the overlap window before the position."""
        if self.date is None:
            return
        floor = _when(self.date) - overlap
        kept = {k: d for k, d in self.recent.items() if _when(d) >= floor}
        if len(kept) > _RECENT_CAP:  # keep the newest; the rest may be re-delivered
            kept = dict(sorted(kept.items(), key=lambda kv: _when(kv[1]))[-_RECENT_CAP:])
        self.recent = kept


class KingdeeSource:
    streams: dict[str, StreamKind] = {"customers": "customer", "orders": "order"}

    def __init__(
        self,
        client: KingdeeClient,
        *,
        page_size: int = 2000,
        overlap_seconds: int = 300,
        timezone: str = "Asia/Shanghai",
        currency: str | None = "CNY",
        customer_type: Literal["company", "person"] = "company",
        customer_form: str = "BD_Customer",
        order_form: str = "SAL_SaleOrder",
        contact_entity: str | None = "FT_BD_CUSTCONTACT",
        filters: dict[str, str] | None = None,
    ) -> None:
        self.client = client
        self.page_size = page_size
        self.overlap = timedelta(seconds=overlap_seconds)
        self.timezone = timezone
        self.currency = currency
        self.customer_type = customer_type
        self.filters = dict(filters or {})
        self.specs: dict[str, StreamSpec] = {
            "customers": customer_spec(customer_form, contact_entity),
            "orders": order_spec(order_form),
        }

    # ------------------------------------------------------------------ pulling
    def pull(self, stream: str, cursor: str | None) -> Iterator[Page]:
        spec = self.specs.get(stream)
        if spec is None:
            raise ValueError(f"kingdee has no stream {stream!r} (known: {sorted(self.specs)})")
        state = _Cursor.load(cursor)
        position: tuple[str, Any] | None = None  # last (date, id) delivered in this pull
        lower = None if state.date is None else (_when(state.date) - self.overlap)
        stalls = 0
        flagged: set[str] = set()
        while True:
            rows = self.client.bill_query(self._query(spec, stream, position, lower))
            full = len(rows) >= self.page_size
            records, payloads = self._decode(spec, rows)
            # a bad row cannot move the keyset, so later pages may bring it again
            records = [r for r in records if r.key not in flagged]
            flagged.update(r.key for r in records)
            # drop anything not after our position: a repeated page or an overlap re-read
            if position is not None:
                here = (_when(position[0]), _id_order(position[1]))
                payloads = [p for p in payloads if self._order_key(spec, p) > here]
            if full and spec.line_keys and len(payloads) > 1:
                payloads.pop()  # the last document may continue on the next page
            elif full and spec.line_keys and len(payloads) == 1:
                doc = payloads[0][spec.id_key]
                self._complete(spec, payloads[0], sum(1 for r in rows if r[0] == doc))
            if not payloads and full:
                # a repeated page, or a page of rows we cannot read and so cannot page past
                stalls += 1
                if stalls >= _STALLS:
                    raise TransientError("kingdee keeps answering pages with nothing new")
                continue
            stalls = 0
            for payload in payloads:
                key, date = str(payload[spec.id_key]), str(payload[spec.date_key])
                position = (date, payload[spec.id_key])
                if state.recent.get(key) != date:
                    records.append(RawRecord(key, payload))
                state.date, state.id = position
                state.recent[key] = date
            state.prune(self.overlap)
            yield Page(records, state.dump() if state.date else None)
            if not full:
                return

    def _query(
        self,
        spec: StreamSpec,
        stream: str,
        position: tuple[str, Any] | None,
        lower: datetime | None,
    ) -> dict[str, Any]:
        parts = [f"({self.filters[stream]})"] if self.filters.get(stream) else []
        if position is not None:
            date, last_id = position
            parts.append(
                f"({spec.date_key} > {filter_literal(date)} OR ({spec.date_key} = "
                f"{filter_literal(date)} AND {spec.id_key} > {int(last_id)}))"
            )
        elif lower is not None:
            parts.append(f"{spec.date_key} >= {filter_literal(lower.isoformat(sep=' '))}")
        return {
            "FormId": spec.form_id,
            "FieldKeys": ",".join(spec.field_keys),
            "FilterString": " AND ".join(parts),
            "OrderString": spec.order_string,
            "TopRowCount": 0,
            "StartRow": 0,
            "Limit": self.page_size,
            "SubSystemId": "",
        }

    def _complete(self, spec: StreamSpec, payload: dict[str, Any], have: int) -> None:
        """One document filled a whole page: read the rest of its lines with StartRow."""
        doc_id = int(payload[spec.id_key])
        start = have
        while True:
            query = {
                "FormId": spec.form_id,
                "FieldKeys": ",".join(spec.field_keys),
                "FilterString": f"{spec.id_key} = {doc_id}",
                "OrderString": spec.order_string,
                "TopRowCount": 0,
                "StartRow": start,
                "Limit": self.page_size,
                "SubSystemId": "",
            }
            rows = self.client.bill_query(query)
            for more in fold_rows(spec, rows):
                payload[spec.lines_name].extend(more.get(spec.lines_name, []))
            start += len(rows)
            if len(rows) < self.page_size:
                return

    def _decode(
        self, spec: StreamSpec, rows: list[list[Any]]
    ) -> tuple[list[RawRecord], list[dict[str, Any]]]:
        """Split rows into well-formed payloads and flagged records for rows we cannot read."""
        good: list[list[Any]] = []
        bad: list[RawRecord] = []
        width = len(spec.field_keys)
        for row in rows:
            try:
                ok = (
                    len(row) == width
                    and row[0] not in (None, "")
                    and _when(row[spec.header_keys.index(spec.date_key)]) is not None
                )
            except (TypeError, ValueError):
                ok = False
            if ok:
                good.append(row)
            else:
                key = f"bad:{row[0] if row else '?'}"
                bad.append(
                    RawRecord(
                        key,
                        None,
                        problem=f"unreadable {spec.form_id} row",
                        raw_text=json.dumps(row, ensure_ascii=False)[:2000],
                    )
                )
        return bad, fold_rows(spec, good)

    @staticmethod
    def _order_key(spec: StreamSpec, payload: dict[str, Any]) -> tuple[datetime, tuple[int, str]]:
        return (_when(payload[spec.date_key]), _id_order(payload[spec.id_key]))

    # ------------------------------------------------------------------ mapping
    def map_record(self, stream: str, payload: dict[str, Any]) -> Mapped:
        if stream == "customers":
            return Mapped(
                customer=map_customer(payload, tz=self.timezone, customer_type=self.customer_type)
            )
        if stream == "orders":
            return Mapped(activity=map_order(payload, tz=self.timezone, currency=self.currency))
        raise ValueError(f"kingdee has no stream {stream!r}")

    def close(self) -> None:
        self.client.close()
