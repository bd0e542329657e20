"""Stand-in for the call centre: a Zendesk-style cursor-based incremental export.

Seed shape (what ``records_from_demo`` returns)::

    {"calls":   [CDR, ...],      # normalised CDR (source-systems.md 3.6) + updated_at
     "tickets": [ticket, ...],   # Zendesk ticket: id, subject, status, requester_id, via, ...
     "users":   [user, ...]}     # Zendesk user: id, name, email, phone

Faithful bits: Basic ``email/token:api_token`` auth, ``start_time`` then opaque
``after_cursor`` paging with ``end_of_stream``, ``include=users`` sideloading of ticket
requesters, a per-minute request budget on the export (10 by default, like Zendesk) that
answers 429 + ``Retry-After``. Faults: ``throttle`` -> 429 + Retry-After, ``token_expired``
-> 401, ``duplicate_page`` -> the previous page of that stream again.
"""

from __future__ import annotations

import base64
import json
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from connectors.fakes._server import FakeServer, Request, Response

__all__ = ["FakeCallCenter", "records_from_demo"]

HOTLINE = "400-800-1234"
#: creation time for demo people who carry no timestamp at all
DEFAULT_CREATED = "2026-01-01T00:00:00Z"
_STREAMS = ("calls", "tickets")


def _ts(iso: str | None) -> int:
    if not iso:
        return 0
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _encode(position: tuple[int, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[int, str]:
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    ts, ident = json.loads(raw)
    return int(ts), str(ident)


class FakeCallCenter(FakeServer):
    def __init__(
        self,
        seed: dict[str, list[dict[str, Any]]] | None = None,
        *,
        email: str = "agent@example.cn",
        api_token: str = "cc-test-token",
        rate_per_minute: int | None = 10,
        max_page_size: int = 1000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        seed = seed or {}
        self.email = email
        self.api_token = api_token
        self.rate_per_minute = rate_per_minute
        self.max_page_size = max_page_size
        self.clock = clock
        self.calls: dict[str, dict[str, Any]] = {}
        self.tickets: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {
            str(u["id"]): dict(u) for u in seed.get("users", [])
        }
        for call in seed.get("calls", []):
            self.calls[str(call["call_id"])] = dict(call)
        for ticket in seed.get("tickets", []):
            self.tickets[str(ticket["id"])] = dict(ticket)
        self._hits: deque[float] = deque()
        self._last_page: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------------ test helpers
    def settings(self) -> dict[str, Any]:
        """The chub.yaml section that points the connector at this fake."""
        return {"base_url": self.url, "email": self.email, "api_token": self.api_token}

    def upsert_call(self, call: dict[str, Any]) -> None:
        """Add or change a CDR *now* (it sorts after everything exported so far)."""
        self.calls[str(call["call_id"])] = {**call, "updated_at": self._now_iso("calls")}

    def upsert_ticket(self, ticket: dict[str, Any]) -> None:
        self.tickets[str(ticket["id"])] = {**ticket, "updated_at": self._now_iso("tickets")}

    def _now_iso(self, stream: str) -> str:
        latest = max((_ts(r.get("updated_at")) for r in self._table(stream).values()), default=0)
        return _iso(max(time.time(), latest + 1))

    def _table(self, stream: str) -> dict[str, dict[str, Any]]:
        return self.calls if stream == "calls" else self.tickets

    # ------------------------------------------------------------------ HTTP
    def _authorized(self, request: Request) -> bool:
        expected = base64.b64encode(f"{self.email}/token:{self.api_token}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    def _over_budget(self) -> int | None:
        """Seconds until the next request fits the per-minute budget, or None if it fits now."""
        if self.rate_per_minute is None:
            return None
        now = self.clock()
        while self._hits and now - self._hits[0] >= 60:
            self._hits.popleft()
        if len(self._hits) >= self.rate_per_minute:
            return max(1, int(60 - (now - self._hits[0]) + 0.999))
        self._hits.append(now)
        return None

    def handle(self, request: Request) -> Response:
        if request.fault == "token_expired" or not self._authorized(request):
            return Response.json({"error": "Couldn't authenticate you"}, status=401)
        parts = request.path.strip("/").split("/")
        # api/v2/incremental/<stream>/cursor.json
        if (
            len(parts) != 5
            or parts[:3] != ["api", "v2", "incremental"]
            or parts[4] != "cursor.json"
        ):
            return Response.json(
                {"error": "InvalidEndpoint", "description": "Not found"}, status=404
            )
        stream = parts[3]
        if stream not in _STREAMS:
            return Response.json(
                {"error": "InvalidEndpoint", "description": "Not found"}, status=404
            )
        wait = 60 if request.fault == "throttle" else self._over_budget()
        if wait is not None:
            return Response.json(
                {
                    "error": "APIRateLimitExceeded",
                    "description": "Number of allowed incremental export API requests "
                    "per minute exceeded",
                },
                status=429,
                **{"Retry-After": str(wait)},
            )
        if request.fault == "duplicate_page" and stream in self._last_page:
            return Response.json(self._last_page[stream])
        try:
            body = self._page(stream, request)
        except ValueError as exc:
            return Response.json({"error": "InvalidValue", "description": str(exc)}, status=400)
        self._last_page[stream] = body
        return Response.json(body)

    def _page(self, stream: str, request: Request) -> dict[str, Any]:
        size = min(int(request.query.get("per_page") or self.max_page_size), self.max_page_size)
        rows = sorted(
            self._table(stream).values(),
            key=lambda r: (_ts(r.get("updated_at")), str(r[self._id(stream)])),
        )
        if "cursor" in request.query:
            position = _decode(request.query["cursor"])
        elif "start_time" in request.query:
            position = (int(request.query["start_time"]) - 1, "\uffff")
        else:
            raise ValueError("start_time or cursor is required")
        rest = [r for r in rows if (_ts(r.get("updated_at")), str(r[self._id(stream)])) > position]
        page = rest[:size]
        last = page[-1] if page else None
        after = (
            _encode((_ts(last.get("updated_at")), str(last[self._id(stream)])))
            if last
            else _encode(position)
        )
        body: dict[str, Any] = {
            stream: page,
            "after_cursor": after,
            "after_url": f"{self.url}{request.path}?cursor={after}",
            "before_cursor": None,
            "before_url": None,
            "end_of_stream": len(rest) <= size,
        }
        if stream == "tickets" and "users" in request.query.get("include", ""):
            wanted = {str(t.get("requester_id")) for t in page}
            body["users"] = [u for uid, u in self.users.items() if uid in wanted]
        return body

    @staticmethod
    def _id(stream: str) -> str:
        return "call_id" if stream == "calls" else "id"


# ---------------------------------------------------------------------- demo seed


def records_from_demo(people: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Neutral demo people -> the call centre's seed.

    Each person becomes a Zendesk user and one ticket (the call centre's view of the
    customer); each of their ``calls`` becomes a CDR whose far end is their mobile as this
    silo writes it. Ids are derived from positions, so the seed is deterministic.
    """
    seed: dict[str, list[dict[str, Any]]] = {"calls": [], "tickets": [], "users": []}
    used_ids: set[str] = set()
    for n, person in enumerate(people, start=1):
        user_id = 360000000 + n
        number = person.get("mobile") or next(iter(person.get("phones") or []), None)
        calls = person.get("calls") or []
        for m, call in enumerate(calls, start=1):
            cdr = _cdr(call, number, f"{n}-{m}")
            if cdr["call_id"] in used_ids:  # demo call ids need only be unique per person
                cdr["call_id"] = f"{cdr['call_id']}-{n}"
            used_ids.add(cdr["call_id"])
            seed["calls"].append(cdr)
        if not (person.get("name") or person.get("email") or number):
            continue
        seed["users"].append(
            {
                "id": user_id,
                "name": person.get("name") or person.get("email") or number,
                "email": person.get("email"),
                "phone": number,
                "role": "end-user",
                "external_id": None,
                "created_at": _utc(person.get("created_at")),
                "updated_at": _utc(person.get("updated_at")),
            }
        )
        first_call = calls[0]["at"] if calls else None
        created = (
            _utc(first_call or person.get("created_at") or person.get("updated_at"))
            or DEFAULT_CREATED
        )
        seed["tickets"].append(
            {
                "id": 10000 + n,
                "external_id": None,
                "subject": "来电咨询" if calls else "客户咨询",
                "description": "",
                "status": "solved" if calls else "open",
                "priority": "normal",
                "type": "question",
                "requester_id": user_id,
                "submitter_id": user_id,
                "assignee_id": int(calls[0]["agent"])
                if calls and str(calls[0].get("agent", "")).isdigit()
                else None,
                "tags": list(person.get("tags") or []),
                "via": {"channel": "voice" if calls else "web"},
                "created_at": created,
                "updated_at": _utc(person.get("updated_at")) or created,
            }
        )
    return seed


def _cdr(call: dict[str, Any], number: str | None, seq: str) -> dict[str, Any]:
    start = _ts(call["at"]) if call.get("at") else 0
    duration = int(call.get("duration") or 0)
    inbound = call.get("direction", "in") == "in"
    return {
        "call_id": str(call.get("id") or f"call-{seq}"),
        "direction": "in" if inbound else "out",
        "caller_number": number if inbound else HOTLINE,
        "called_number": HOTLINE if inbound else number,
        "agent_id": str(call.get("agent") or ""),
        "agent_name": None,
        "queue": "default",
        "start_at": _iso(start),
        "answer_at": _iso(start + 5) if duration else None,
        "end_at": _iso(start + 5 + duration),
        "duration_s": duration + 5,
        "talk_s": duration,
        "disposition": "answered" if duration else "no_answer",
        "recording_ref": None,
        "customer_ref": None,
        "updated_at": _iso(start + 5 + duration),
    }


def _utc(iso: str | None) -> str | None:
    return _iso(_ts(iso)) if iso else None
