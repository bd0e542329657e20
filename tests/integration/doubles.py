"""Test doubles that speak the connector contract for real, from in-memory data."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from connectors.contract import (
    Activity,
    Mapped,
    OutboundRecord,
    Page,
    PushResult,
    RawRecord,
    StreamKind,
)


class ListSource:
    """A source over a list of records per stream, paged, with an integer offset cursor.

    Payloads of "customer" streams are canonical fields already; "order" payloads carry
    ``customer``, ``amount`` and ``at``. ``fail_after_pages`` raises after that many pages
    of a pull, as a crash would.
    """

    def __init__(
        self,
        streams: dict[str, list[RawRecord]],
        *,
        page_size: int = 3,
        kinds: dict[str, StreamKind] | None = None,
    ) -> None:
        self.data = streams
        self.streams: dict[str, StreamKind] = kinds or {name: "customer" for name in streams}
        self.page_size = page_size
        self.fail_after_pages: int | None = None
        self.pulls: list[tuple[str, str | None]] = []

    def pull(self, stream: str, cursor: str | None) -> Iterator[Page]:
        self.pulls.append((stream, cursor))
        start = json.loads(cursor)["offset"] if cursor else 0
        records = self.data[stream]
        served = 0
        for i in range(start, len(records), self.page_size):
            if self.fail_after_pages is not None and served >= self.fail_after_pages:
                raise ConnectionError("the source went away")
            chunk = records[i : i + self.page_size]
            served += 1
            yield Page(chunk, json.dumps({"offset": i + len(chunk)}))

    def map_record(self, stream: str, payload: dict[str, Any]) -> Mapped:
        if self.streams[stream] == "order":
            return Mapped(
                activity=Activity(
                    kind="order",
                    at=payload["at"],
                    channel="erp",
                    customer_key=payload["customer"],
                    customer_stream="customers",
                    amount=float(payload["amount"]),
                )
            )
        if not isinstance(payload.get("name", ""), str):
            raise ValueError("name is not text")
        return Mapped(customer=dict(payload))  # type: ignore[arg-type]

    def close(self) -> None:
        pass


class RecordingSink:
    """A sink that keeps what it was given, upserting by golden id like a real CRM."""

    def __init__(self, batch_size: int = 2, refuse: Sequence[str] = ()) -> None:
        self.batch_size = batch_size
        self.store: dict[str, dict[str, Any]] = {}
        self.calls: list[list[str]] = []
        self.refuse = set(refuse)

    def push(self, records: Sequence[OutboundRecord]) -> list[PushResult]:
        assert len(records) <= self.batch_size
        self.calls.append([r.golden_id for r in records])
        out = []
        for r in records:
            if r.golden_id in self.refuse:
                out.append(PushResult(r.golden_id, ok=False, error="REQUIRED_FIELD_MISSING: Name"))
                continue
            created = r.golden_id not in self.store
            self.store[r.golden_id] = dict(r.fields)
            out.append(
                PushResult(r.golden_id, ok=True, target_id=f"T-{r.golden_id}", created=created)
            )
        return out

    def close(self) -> None:
        pass


def rec(key: str, **payload: Any) -> RawRecord:
    return RawRecord(key=key, payload=payload)
