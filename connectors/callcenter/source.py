"""The call-centre ``Source``: streams ``calls`` (touchpoints) and ``tickets`` (customers).

Our cursor is JSON: ``{"cursor": "<after_cursor>"}`` once the export has been opened, or
``{"start_time": <unix s>}`` to (re)open it at a point in time. ``None`` starts at
``Settings.start_time``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import httpx

from connectors.callcenter.client import CallCenterClient
from connectors.callcenter.mapping import map_call, map_ticket
from connectors.contract import (
    ConnectorConfigError,
    Mapped,
    Page,
    RawRecord,
    StreamKind,
    TransientError,
)

if TYPE_CHECKING:
    from connectors.callcenter import Settings

__all__ = ["CallCenterSource"]

log = logging.getLogger("connectors.callcenter")

#: pages in a row that do not move the cursor before we assume the server is looping
MAX_STALLED_PAGES = 3
_KEY_FIELD = {"calls": "call_id", "tickets": "id"}


class CallCenterSource:
    streams: dict[str, StreamKind] = {"calls": "touch", "tickets": "customer"}

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.client = CallCenterClient(
            settings.base_url,
            email=settings.email,
            api_token=settings.api_token,
            page_size=settings.page_size,
            timeout=settings.timeout,
            max_attempts=settings.max_attempts,
            transport=transport,
            sleep=sleep,
        )

    def close(self) -> None:
        self.client.close()

    # ------------------------------------------------------------------ pulling
    def pull(self, stream: str, cursor: str | None) -> Iterator[Page]:
        self._check_stream(stream)
        after, start_time = _parse_cursor(cursor, self.settings.start_time)
        stalled = 0
        while True:
            data = self.client.export_page(stream, cursor=after, start_time=start_time)
            users = _users_by_id(data.get("users"))
            records = [self._raw(stream, item, users) for item in data[stream]]
            next_after = data.get("after_cursor") or after
            done = bool(data.get("end_of_stream"))
            stalled = stalled + 1 if (next_after == after and not done) else 0
            if stalled >= MAX_STALLED_PAGES:
                raise TransientError(
                    f"callcenter: {stream} export keeps answering the same cursor; stopping"
                )
            page_cursor = (
                json.dumps({"cursor": next_after})
                if next_after
                else json.dumps({"start_time": start_time})
            )
            yield Page(records, page_cursor)
            if done:
                return
            after, start_time = next_after, None

    def _raw(self, stream: str, item: Any, users: dict[str, dict[str, Any]]) -> RawRecord:
        key_field = _KEY_FIELD[stream]
        if not isinstance(item, dict) or item.get(key_field) in (None, ""):
            text = json.dumps(item, ensure_ascii=False)[:2000]
            digest = hashlib.sha1(text.encode()).hexdigest()[:12]
            return RawRecord(
                key=f"unkeyed:{digest}",
                payload=None,
                problem=f"{stream} item without {key_field}",
                raw_text=text,
            )
        key = str(item[key_field])
        if stream == "tickets":
            requester = users.get(str(item.get("requester_id")))
            if requester is not None:
                # land the requester with the ticket so map_record stays a pure function
                item = {**item, "requester": requester}
        deleted = stream == "tickets" and item.get("status") == "deleted"
        return RawRecord(key=key, payload=item, deleted=deleted)

    # ------------------------------------------------------------------ mapping
    def map_record(self, stream: str, payload: dict[str, Any]) -> Mapped:
        self._check_stream(stream)
        if stream == "calls":
            return map_call(payload)
        return map_ticket(payload)

    def _check_stream(self, stream: str) -> None:
        if stream not in self.streams:
            raise ConnectorConfigError(
                f"callcenter has no stream {stream!r} (known: {', '.join(self.streams)})"
            )


def _users_by_id(users: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(users, list):
        return {}
    return {str(u["id"]): u for u in users if isinstance(u, dict) and "id" in u}


def _parse_cursor(cursor: str | None, default_start: int) -> tuple[str | None, int | None]:
    """(after_cursor, start_time): exactly one is set."""
    if cursor is None:
        return None, default_start
    try:
        data = json.loads(cursor)
    except ValueError as exc:
        raise ConnectorConfigError(
            f"callcenter: stored cursor is not JSON: {cursor[:80]!r}"
        ) from exc
    if isinstance(data, dict) and data.get("cursor"):
        return str(data["cursor"]), None
    if isinstance(data, dict) and "start_time" in data:
        return None, int(data["start_time"] or 0)
    raise ConnectorConfigError(
        f"callcenter: stored cursor has neither cursor nor start_time: {cursor[:80]!r}"
    )
