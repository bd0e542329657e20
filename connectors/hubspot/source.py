"""The HubSpot ``Source``: one stream, ``contacts`` (customers).

A full pull (cursor None) walks the contact list, then the archived contacts (landed as
deletes: search never returns archived contacts, so only a full pull sees them); its last
page says ``scan_complete`` so the hub tombstones contacts purged outright. Later
pulls search for contacts with ``lastmodifieddate >= floor``, oldest first, and **restart
the search after every page** with the floor raised to the newest ``lastmodifieddate``
landed (skipping the ids already landed at exactly that instant, which GTE returns
again). Two reasons:

* a search can page through at most 10,000 results (400 beyond); a search that is never
  paged past its first page cannot hit that cap, however many contacts changed;
* offset paging over a result set that is being modified skips records (a contact edited
  mid-pull moves to the end and everything behind it shifts one place forward); a search
  restarted at the floor is not affected.

When a whole page shares the floor instant (bulk imports stamp thousands of contacts with
one ``lastmodifieddate``) raising the floor cannot make progress, so that instant is
walked by id instead: ``lastmodifieddate EQ floor AND hs_object_id GT <last id>``, sorted
by id, until it is exhausted; then the floor moves one millisecond on.

Cursor JSON::

    {"list_after": "...", "archived": false,     # while a full list read runs (active
     "hi_ms": ..., "hi_ids": [...]}              # contacts, then archived ones as deletes)
    {"floor_ms": 1790000000000,          # every contact modified before this was landed
     "seen_ids_at_floor": ["51", ...],   # landed ids modified exactly at floor_ms
     "tie_after_id": null}               # walking floor_ms by id: ids up to this are done
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from connectors.contract import (
    ConnectorConfigError,
    Mapped,
    Page,
    RawRecord,
    StreamKind,
    TransientError,
)
from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.mapping import lastmodified_ms, map_contact

if TYPE_CHECKING:
    from connectors.hubspot import Settings

__all__ = ["HubSpotSource"]

log = logging.getLogger("connectors.hubspot")

#: tie-walk pages in a row that do not advance (a repeated page is tolerated) before giving up
MAX_STALLED_PAGES = 3


@dataclass
class _State:
    floor_ms: int = 0
    seen: set[str] = field(default_factory=set)
    tie_after_id: int | None = None

    def note(self, contact_id: str, ms: int) -> None:
        """Raise the floor to ``ms`` (a newer instant landed) or remember another id at it."""
        if self.tie_after_id is not None:
            return  # walking one instant by id: tie_after_id alone tracks progress
        if ms > self.floor_ms:
            self.floor_ms, self.seen = ms, {contact_id}
        elif ms == self.floor_ms:
            self.seen.add(contact_id)

    def dump(self) -> str:
        return json.dumps(
            {
                "floor_ms": self.floor_ms,
                "seen_ids_at_floor": sorted(self.seen),
                "tie_after_id": self.tie_after_id,
            }
        )


class HubSpotSource:
    streams: dict[str, StreamKind] = {"contacts": "customer"}

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.client = HubSpotClient(
            settings.base_url,
            token=settings.token,
            timeout=settings.timeout,
            max_attempts=settings.max_attempts,
            transport=transport,
            sleep=sleep,
        )

    def close(self) -> None:
        self.client.close()

    def map_record(self, stream: str, payload: dict[str, Any]) -> Mapped:
        self._check_stream(stream)
        return map_contact(payload)

    def pull(self, stream: str, cursor: str | None) -> Iterator[Page]:
        self._check_stream(stream)
        saved = _load(cursor)
        if saved is None or "list_after" in saved:
            hi = (
                _State(int(saved.get("hi_ms", 0)), set(saved.get("hi_ids", [])))
                if saved
                else _State()
            )
            after = (saved.get("list_after") or None) if saved else None
            # only a listing this very pull began can vouch that unlisted contacts are gone
            yield from self._full(after, bool(saved and saved.get("archived")), hi, saved is None)
            return
        tie = saved.get("tie_after_id")
        state = _State(
            int(saved.get("floor_ms", 0)),
            set(map(str, saved.get("seen_ids_at_floor", []))),
            int(tie) if tie is not None else None,
        )
        yield from self._incremental(state)

    # ------------------------------------------------------------------ full list read
    def _full(
        self, after: str | None, archived: bool, hi: _State, from_start: bool
    ) -> Iterator[Page]:
        """Active contacts, then (``read_archived``) archived ones as deletes."""
        s = self.settings
        phases = [False, True] if s.read_archived else [False]
        for phase in phases[phases.index(archived) if archived in phases else 0 :]:
            while True:
                results, after = self.client.list_contacts(
                    after=after, limit=s.page_size, properties=s.properties, archived=phase
                )
                # an archived contact's timestamp must not move the search floor
                records = [self._raw(c, _State() if phase else hi) for c in results]
                if after is None and phase == phases[-1]:
                    # the newest change seen becomes the floor of the first search
                    yield Page(records, hi.dump(), scan_complete=from_start)
                    return
                resume = {"list_after": after or "", "archived": phase if after else True}
                yield Page(
                    records, json.dumps({**resume, "hi_ms": hi.floor_ms, "hi_ids": sorted(hi.seen)})
                )
                if after is None:
                    break

    # ------------------------------------------------------------------ search
    def _incremental(self, state: _State) -> Iterator[Page]:
        s = self.settings
        stalled = 0
        while True:
            floor = state.floor_ms
            if state.tie_after_id is None:
                filters = [
                    {"propertyName": "lastmodifieddate", "operator": "GTE", "value": str(floor)}
                ]
                sort_by = "lastmodifieddate"
            else:
                filters = [
                    {"propertyName": "lastmodifieddate", "operator": "EQ", "value": str(floor)},
                    {
                        "propertyName": "hs_object_id",
                        "operator": "GT",
                        "value": str(state.tie_after_id),
                    },
                ]
                sort_by = "hs_object_id"
            results, has_more, _total = self.client.search_contacts(
                filters=filters, sort_by=sort_by, limit=s.search_limit, properties=s.properties
            )
            before = (state.floor_ms, len(state.seen))
            tie_before = state.tie_after_id
            records = []
            for contact in results:
                cid = str(contact.get("id")) if isinstance(contact, dict) else ""
                if state.tie_after_id is not None and cid.isdigit():
                    state.tie_after_id = max(state.tie_after_id, int(cid))
                ms = _ms(contact, floor)
                if ms < floor or (ms == floor and cid in state.seen):
                    continue  # landed already: GTE floor returns the boundary again
                records.append(self._raw(contact, state))
            if state.tie_after_id is not None:
                stalled = stalled + 1 if state.tie_after_id == tie_before else 0
                if has_more is not None and stalled >= MAX_STALLED_PAGES:
                    raise TransientError(
                        f"hubspot: cannot walk contacts modified at {floor} ms by id "
                        "(ids not numeric or not advancing)"
                    )
                if has_more is None:  # the tied instant is exhausted: move past it
                    state.floor_ms, state.seen, state.tie_after_id = floor + 1, set(), None
            elif has_more is None:
                yield Page(records, state.dump())
                return
            elif (state.floor_ms, len(state.seen)) == before:
                # a full page at the floor instant and nothing new: walk that instant by id
                log.info(
                    "hubspot: over %d contacts modified at %d ms; walking them by id",
                    s.search_limit,
                    floor,
                )
                state.tie_after_id = 0
            yield Page(records, state.dump())

    def _raw(self, contact: Any, state: _State) -> RawRecord:
        if not isinstance(contact, dict) or contact.get("id") in (None, ""):
            text = json.dumps(contact, ensure_ascii=False)[:2000]
            return RawRecord(
                key="unkeyed", payload=None, problem="contact without id", raw_text=text
            )
        cid = str(contact["id"])
        try:
            state.note(cid, lastmodified_ms(contact))
        except (ValueError, TypeError) as exc:
            return RawRecord(
                key=cid,
                payload=None,
                problem=str(exc),
                raw_text=json.dumps(contact, ensure_ascii=False)[:2000],
            )
        return RawRecord(key=cid, payload=contact, deleted=bool(contact.get("archived")))

    def _check_stream(self, stream: str) -> None:
        if stream not in self.streams:
            raise ConnectorConfigError(f"hubspot has no stream {stream!r} (known: contacts)")


def _ms(contact: Any, default: int) -> int:
    try:
        return lastmodified_ms(contact)
    except (ValueError, TypeError, AttributeError):
        return default


def _load(cursor: str | None) -> dict[str, Any] | None:
    if cursor is None:
        return None
    try:
        state = json.loads(cursor)
    except ValueError as exc:
        raise ConnectorConfigError(f"hubspot: stored cursor is not JSON: {cursor[:80]!r}") from exc
    if not isinstance(state, dict):
        raise ConnectorConfigError(f"hubspot: stored cursor is not an object: {cursor[:80]!r}")
    return state
