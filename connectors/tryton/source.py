"""The Tryton source: parties (with contacts, addresses, identifiers) and sale orders.

Incremental on ``last_modified_at`` (= coalesce(write_date, create_date)); ``write_date``
alone is NULL until a record's first write, so a fresh sale would never be seen.
Every record of one transaction shares one timestamp, so pages are a keyset on
(last_modified_at, id). The timestamp is the transaction's *start*: a long transaction
can commit rows stamped before our watermark, hence the overlap window and the dedupe
on (id, timestamp). Writing a contact mechanism or an address does not touch its party,
so child models keep their own watermarks and their parents are read again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from connectors.contract import Mapped, Page, RawRecord, StreamKind
from connectors.tryton.client import TrytonClient
from connectors.tryton.mapping import PARTY_FIELDS, SALE_FIELDS, map_party, map_sale

__all__ = ["TrytonSource"]

log = logging.getLogger("connectors.tryton")

_RECENT_CAP = 5000
_ORDER = [["last_modified_at", "ASC"], ["id", "ASC"]]


@dataclass(frozen=True)
class _Stream:
    model: str
    fields: tuple[str, ...]
    #: child model -> its field pointing at the parent
    children: dict[str, str]


_STREAMS = {
    "parties": _Stream(
        "party.party",
        PARTY_FIELDS,
        {
            "party.contact_mechanism": "party",
            "party.address": "party",
            # categories are set through party.write, which stamps the party itself
            "party.identifier": "party",
        },
    ),
    "sales": _Stream("sale.sale", SALE_FIELDS, {"sale.line": "sale"}),
}


@dataclass
class _Cursor:
    ts: str | None = None
    id: int = 0
    recent: dict[str, str] = field(default_factory=dict)
    children: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, text: str | None) -> _Cursor:
        if not text:
            return cls()
        try:
            d = json.loads(text)
            return cls(
                d.get("ts"),
                int(d.get("id") or 0),
                dict(d.get("recent") or {}),
                dict(d.get("children") or {}),
            )
        except (ValueError, TypeError, AttributeError):
            log.warning("tryton: unreadable cursor; starting a full pull")
            return cls()

    def dump(self, children: dict[str, Any]) -> str | None:
        if self.ts is None:
            return None
        return json.dumps(
            {"v": 1, "ts": self.ts, "id": self.id, "recent": self.recent, "children": children},
            sort_keys=True,
        )

    def prune(self, overlap: timedelta) -> None:
        if self.ts is None:
            return
        floor = datetime.fromisoformat(self.ts) - overlap
        kept = {k: t for k, t in self.recent.items() if datetime.fromisoformat(t) >= floor}
        if len(kept) > _RECENT_CAP:  # beyond the cap we re-deliver, never skip
            kept = dict(sorted(kept.items(), key=lambda kv: kv[1])[-_RECENT_CAP:])
        self.recent = kept


class TrytonSource:
    streams: dict[str, StreamKind] = {"parties": "customer", "sales": "order"}

    def __init__(
        self,
        client: TrytonClient,
        *,
        page_size: int = 500,
        overlap_seconds: int = 60,
        timezone: str = "Asia/Shanghai",
        customer_type: Literal["person", "company"] | None = None,
        golden_id_prefix: str = "chub:",
    ) -> None:
        self.client = client
        self.page_size = page_size
        self.overlap = timedelta(seconds=overlap_seconds)
        self.timezone = timezone
        self.customer_type = customer_type
        self.golden_id_prefix = golden_id_prefix

    def pull(self, stream: str, cursor: str | None) -> Iterator[Page]:
        spec = _STREAMS.get(stream)
        if spec is None:
            raise ValueError(f"tryton has no stream {stream!r} (known: {sorted(_STREAMS)})")
        state = _Cursor.load(cursor)
        incremental = state.ts is not None
        # parents of children changed since the children's watermarks. In an incremental
        # pull the new child marks go into the *final* cursor only, so a crash before the
        # touched parents are sent recomputes them; a full pull sends every parent read
        # after the marks were taken, so its page cursors may carry the new marks at once
        touched, children = self._touched_parents(spec, state.children, incremental)
        if not incremental:
            state.children = children
        delivered: set[int] = set()
        position: tuple[str, int] | None = None
        lower = datetime.fromisoformat(state.ts) - self.overlap if state.ts else None
        while True:
            if position is not None:
                ts = datetime.fromisoformat(position[0])
                domain: list[Any] = [
                    "OR",
                    ["last_modified_at", ">", ts],
                    [["last_modified_at", "=", ts], ["id", ">", position[1]]],
                ]
            elif lower is not None:
                domain = [["last_modified_at", ">=", lower]]
            else:
                domain = []
            rows = self._read(spec, domain)
            records: list[RawRecord] = []
            for row in rows:
                key, ts_text = str(row["id"]), str(row["last_modified_at"])
                position = (ts_text, int(row["id"]))
                if state.recent.get(key) != ts_text:
                    records.append(self._record(stream, row))
                    delivered.add(int(row["id"]))
                state.ts, state.id = position
                state.recent[key] = ts_text
            state.prune(self.overlap)
            last = len(rows) < self.page_size
            pending = sorted(touched - delivered)
            yield Page(records, state.dump(state.children if not last or pending else children))
            if last:
                break
        for start in range(0, len(pending), self.page_size):
            chunk = pending[start : start + self.page_size]
            rows = self._read(spec, [["id", "in", chunk]], limit=None)
            done = start + self.page_size >= len(pending)
            yield Page(
                [self._record(stream, r) for r in rows],
                state.dump(children if done else state.children),
            )

    def _read(
        self, spec: _Stream, domain: list[Any], limit: int | None = -1
    ) -> list[dict[str, Any]]:
        rows = self.client.call(
            spec.model,
            "search_read",
            domain,
            0,
            self.page_size if limit == -1 else limit,
            _ORDER,
            list(spec.fields),
            context={"active_test": False},
        )
        return list(rows or [])

    def _record(self, stream: str, row: dict[str, Any]) -> RawRecord:
        payload = dict(row)
        payload.pop("_timestamp", None)
        if stream == "parties":
            # our own write-back marker is not source data: keep payloads stable across it
            payload["identifiers."] = [
                i
                for i in payload.get("identifiers.") or []
                if not str(i.get("code") or "").startswith(self.golden_id_prefix)
            ]
            deleted = not payload.get("active", True)
        else:
            deleted = payload.get("state") == "cancelled"  # a cancelled sale no longer counts
        return RawRecord(str(row["id"]), payload, deleted=deleted)

    def _touched_parents(
        self, spec: _Stream, marks: dict[str, Any], incremental: bool
    ) -> tuple[set[int], dict[str, Any]]:
        """Parents of children changed since each child model's mark, and the new marks.

        A mark is ``{"ts": newest child stamp, "recent": {child id: stamp}}``: the same
        overlap-and-dedupe as the parents, so an unchanged child never re-sends its parent.
        """
        touched: set[int] = set()
        new_marks: dict[str, Any] = {}
        order = [["last_modified_at", "DESC"], ["id", "DESC"]]
        for model, parent in spec.children.items():
            mark = marks.get(model) if isinstance(marks.get(model), dict) else None
            newest: str | None = None
            if incremental and mark:
                newest = mark["ts"]
            else:  # full pull (every parent is read anyway) or no mark: find the newest
                top = self._call(model, [], 1, order, ["last_modified_at"])
                newest = str(top[0]["last_modified_at"]) if top else None
                if incremental and newest:  # children appeared since a mark-less pull
                    mark, newest = {"ts": "1970-01-01T00:00:00", "recent": {}}, newest
            if newest is None:
                continue
            floor = datetime.fromisoformat((mark or {"ts": newest})["ts"]) - self.overlap
            rows = self._call(
                model,
                [["last_modified_at", ">=", floor]],
                None,
                order,
                [parent, "last_modified_at"],
            )
            seen = (mark or {}).get("recent") or {}
            stamps = {str(r["id"]): str(r["last_modified_at"]) for r in rows}
            for row in rows:
                if mark and row.get(parent) and seen.get(str(row["id"])) != stamps[str(row["id"])]:
                    touched.add(int(row[parent]))
            newest = max([newest, *stamps.values()], key=datetime.fromisoformat)
            keep = datetime.fromisoformat(newest) - self.overlap
            recent = {k: t for k, t in stamps.items() if datetime.fromisoformat(t) >= keep}
            if len(recent) > _RECENT_CAP:
                recent = dict(sorted(recent.items(), key=lambda kv: kv[1])[-_RECENT_CAP:])
            new_marks[model] = {"ts": newest, "recent": recent}
        return touched, new_marks

    def _call(
        self, model: str, domain: list[Any], limit: int | None, order: list[Any], fields: list[str]
    ) -> list[dict[str, Any]]:
        rows = self.client.call(
            model, "search_read", domain, 0, limit, order, fields, context={"active_test": False}
        )
        return list(rows or [])

    def map_record(self, stream: str, payload: dict[str, Any]) -> Mapped:
        if stream == "parties":
            return Mapped(customer=map_party(payload, customer_type=self.customer_type))
        if stream == "sales":
            return Mapped(activity=map_sale(payload, tz=self.timezone))
        raise ValueError(f"tryton has no stream {stream!r}")

    def close(self) -> None:
        self.client.close()
