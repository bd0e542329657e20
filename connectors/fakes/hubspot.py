"""Stand-in for HubSpot's CRM v3 contacts API.

Seed shape (what ``records_from_demo`` returns)::

    {"contacts": [{"id": "101", "properties": {"firstname": "伟", "lastname": "张",
                   "email": ..., "phone": ..., "mobilephone": ..., "company": ...,
                   "city": ..., "state": ..., "createdate": ISO, "lastmodifieddate": ISO},
                   "createdAt": ISO, "updatedAt": ISO, "archived": false}, ...]}

Faithful bits: Bearer auth; ``GET /crm/v3/objects/contacts`` with ``limit`` (max 100),
``after`` and ``properties`` (only requested properties come back); ``POST .../search``
with a ``lastmodifieddate`` GTE/GT/LTE/LT/EQ filter, ascending/descending sort, ``limit``
(max 200) and offset ``after``, and the result cap (10,000 in HubSpot; ``search_cap`` here
so tests stay small) past which paging answers 400. Faults: ``throttle`` -> 429 with
``policyName`` (SECONDLY on search, TEN_SECONDLY_ROLLING elsewhere), ``token_expired`` ->
401, ``duplicate_page`` -> the previous answer of that endpoint again.
``POST .../batch/upsert`` (at most 100 inputs, ``idProperty`` among ``unique_properties``,
``new`` flag, 207 with ``errors`` on partial failure; ``fail_ids`` forces failures).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from connectors.fakes._server import FakeServer, Request, Response

__all__ = ["FakeHubSpot", "records_from_demo"]

DEFAULT_PROPERTIES = (
    "createdate",
    "email",
    "firstname",
    "hs_object_id",
    "lastmodifieddate",
    "lastname",
)
_ALWAYS = ("hs_object_id", "createdate", "lastmodifieddate")
_COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "东方",
    "皇甫",
    "令狐",
    "慕容",
    "司徒",
    "夏侯",
)


def iso_ms(ms: int) -> str:
    return (
        datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
    )


def to_ms(value: str | int | None) -> int:
    if value is None or value == "":
        return 0
    text = str(value)
    if text.isdigit():
        return int(text)
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def _error(status: int, message: str, category: str, **extra: Any) -> Response:
    body = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
        **extra,
    }
    return Response.json(body, status=status)


class FakeHubSpot(FakeServer):
    def __init__(
        self,
        seed: dict[str, list[dict[str, Any]]] | None = None,
        *,
        token: str = "pat-na1-test-token",
        search_cap: int = 10_000,
        throttle_policy: str | None = None,
    ) -> None:
        super().__init__()
        self.token = token
        self.search_cap = search_cap
        #: force the policyName of the throttle fault (default: by endpoint, like HubSpot)
        self.throttle_policy = throttle_policy
        #: properties with unique values, usable as ``idProperty`` of a batch upsert
        self.unique_properties = {"email", "chub_golden_id"}
        #: id-property values whose upsert fails with VALIDATION_ERROR (dead-letter tests)
        self.fail_ids: set[str] = set()
        self.contacts: dict[str, dict[str, Any]] = {}
        for contact in (seed or {}).get("contacts", []):
            self.contacts[str(contact["id"])] = _copy(contact)
        self._last: dict[str, Response] = {}
        self._max_id = 100
        self._max_id_count = -1
        #: the newest lastmodifieddate handed out (each write moves past it), and for how
        #: many contacts it was computed
        self._latest_ms: int | None = None
        self._latest_count = -1

    # ------------------------------------------------------------------ test helpers
    def settings(self) -> dict[str, Any]:
        return {"base_url": self.url, "token": self.token}

    def upsert_contact(self, contact_id: str, **properties: str | None) -> dict[str, Any]:
        """Create or change a contact *now*: its lastmodifieddate moves past all others."""
        if self._latest_ms is None or len(self.contacts) != self._latest_count:
            # contacts were seeded or changed behind our back: read the newest time again
            self._latest_ms = max(
                (to_ms(c["properties"].get("lastmodifieddate")) for c in self.contacts.values()),
                default=0,
            )
        now = max(int(time.time() * 1000), self._latest_ms + 1)
        self._latest_ms = now
        contact = self.contacts.setdefault(
            contact_id,
            {
                "id": contact_id,
                "properties": {"createdate": iso_ms(now), "hs_object_id": contact_id},
                "createdAt": iso_ms(now),
                "archived": False,
            },
        )
        contact["properties"].update(properties)
        contact["properties"]["lastmodifieddate"] = iso_ms(now)
        contact["updatedAt"] = iso_ms(now)
        self._latest_count = len(self.contacts)
        return contact

    def archive(self, contact_id: str) -> None:
        """Archive (HubSpot's delete) a contact: lists show it only with archived=true."""
        contact = self.contacts[contact_id]
        contact["archived"] = True
        contact["archivedAt"] = iso_ms(int(time.time() * 1000))

    # ------------------------------------------------------------------ HTTP
    def handle(self, request: Request) -> Response:
        if (
            request.fault == "token_expired"
            or request.headers.get("Authorization") != f"Bearer {self.token}"
        ):
            return _error(
                401,
                "Authentication credentials not found. This API supports OAuth 2.0 "
                "authentication ...",
                "INVALID_AUTHENTICATION",
            )
        if request.fault == "throttle":
            policy = self.throttle_policy or (
                "SECONDLY" if request.path.endswith("/search") else "TEN_SECONDLY_ROLLING"
            )
            return _error(
                429,
                f"You have reached your {policy.lower()} limit.",
                "RATE_LIMITS",
                errorType="RATE_LIMIT",
                policyName=policy,
                groupName="api",
            )
        if request.fault == "duplicate_page" and request.path in self._last:
            return self._last[request.path]
        if request.method == "GET" and request.path == "/crm/v3/objects/contacts":
            response = self._list(request)
        elif request.method == "POST" and request.path == "/crm/v3/objects/contacts/search":
            response = self._search(request)
        elif request.method == "POST" and request.path == "/crm/v3/objects/contacts/batch/upsert":
            return self._batch_upsert(request)
        elif request.method == "POST" and request.path == "/crm/v3/objects/contacts/batch/archive":
            return self._batch_archive(request)
        else:
            return _error(
                404, f"Unable to route {request.method} {request.path}", "OBJECT_NOT_FOUND"
            )
        if response.status == 200:
            self._last[request.path] = response
        return response

    def _list(self, request: Request) -> Response:
        limit = int(request.query.get("limit") or 10)
        if limit > 100:
            limit = 100  # HubSpot clamps list pages silently
        wanted = _wanted(request.query.get("properties"))
        archived = request.query.get("archived", "false") == "true"
        rows = sorted(
            (c for c in self.contacts.values() if bool(c.get("archived")) == archived),
            key=lambda c: int(c["id"]),
        )
        after = int(request.query.get("after") or 0)
        rest = [c for c in rows if int(c["id"]) >= after]
        page = rest[:limit]
        body: dict[str, Any] = {"results": [_view(c, wanted) for c in page]}
        if len(rest) > limit:
            nxt = rest[limit]["id"]
            body["paging"] = {
                "next": {"after": nxt, "link": f"{self.url}{request.path}?after={nxt}"}
            }
        return Response.json(body)

    def _search(self, request: Request) -> Response:
        try:
            query = request.json() or {}
        except ValueError:
            return _error(400, "Invalid input JSON", "VALIDATION_ERROR")
        limit = int(query.get("limit") or 10)
        if limit > 200:
            return _error(400, "limit must be <= 200", "VALIDATION_ERROR")
        offset = int(query.get("after") or 0)
        if offset >= self.search_cap:
            return _error(
                400,
                f"There was a problem with the request: paging is limited to "
                f"{self.search_cap} results",
                "VALIDATION_ERROR",
            )
        rows = [c for c in self.contacts.values() if not c.get("archived")]
        for group in query.get("filterGroups") or []:  # one group suffices for our needs
            for flt in group.get("filters") or []:
                rows = [c for c in rows if _matches(c, flt)]
        sorts = query.get("sorts") or [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]
        sort = sorts[0]
        prop = sort.get("propertyName", "hs_object_id")
        rows.sort(
            key=lambda c: (_sort_value(c, prop), int(c["id"])),
            reverse=sort.get("direction") == "DESCENDING",
        )
        end = min(offset + limit, self.search_cap)
        wanted = _wanted(",".join(query.get("properties") or []) or None)
        body: dict[str, Any] = {
            "total": len(rows),
            "results": [_view(c, wanted) for c in rows[offset:end]],
        }
        if offset + limit < len(rows):
            body["paging"] = {"next": {"after": str(offset + limit)}}
        return Response.json(body)

    def _batch_upsert(self, request: Request) -> Response:
        try:
            inputs = (request.json() or {}).get("inputs")
        except ValueError:
            return _error(400, "Invalid input JSON", "VALIDATION_ERROR")
        if not isinstance(inputs, list) or not inputs:
            return _error(400, "inputs is required", "VALIDATION_ERROR")
        if len(inputs) > 100:
            return _error(400, "Batch input must contain at most 100 items", "VALIDATION_ERROR")
        results, errors = [], []
        # one index per request and id property, instead of a scan of every contact per input
        index: dict[tuple[str, str], str] = {}
        for item in inputs:
            prop, key = item.get("idProperty"), str(item.get("id") or "")
            if prop and (prop, "") not in index:
                index[(prop, "")] = ""
                for c in self.contacts.values():
                    value = str(c["properties"].get(prop) or "").lower()
                    if value:
                        index.setdefault((prop, value), c["id"])
            trace = item.get("objectWriteTraceId")
            problem = None
            if prop not in self.unique_properties:
                problem = f"{prop} is not a unique-value property"
            elif not key:
                problem = "id is required"
            elif key in self.fail_ids:
                problem = f"Property values were not valid for {key}"
            if problem:
                errors.append(
                    {
                        "status": "error",
                        "category": "VALIDATION_ERROR",
                        "message": problem,
                        "context": {"ids": [key]},
                        "objectWriteTraceId": trace,
                    }
                )
                continue
            found = index.get((str(prop), key.lower()))
            match = self.contacts.get(found) if found else None
            cid = match["id"] if match else str(self._next_id())
            index[(str(prop), key.lower())] = cid
            props = {k: (v if v != "" else None) for k, v in (item.get("properties") or {}).items()}
            contact = self.upsert_contact(cid, **{**props, prop: key})
            results.append(
                {
                    "id": cid,
                    "new": match is None,
                    "properties": dict(contact["properties"]),
                    "createdAt": contact["createdAt"],
                    "updatedAt": contact["updatedAt"],
                    "archived": False,
                }
            )
        body: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": iso_ms(int(time.time() * 1000)),
            "completedAt": iso_ms(int(time.time() * 1000)),
        }
        if errors:
            body.update(errors=errors, numErrors=len(errors))
        return Response.json(body, status=207 if errors else 200)

    def _next_id(self) -> int:
        if self._max_id_count != len(self.contacts):  # seeded or changed behind our back
            self._max_id = max(self._max_id, max((int(i) for i in self.contacts), default=100))
        self._max_id += 1
        self._max_id_count = len(self.contacts) + 1  # the contact about to be made
        return self._max_id

    def _batch_archive(self, request: Request) -> Response:
        """``POST .../contacts/batch/archive`` with ``inputs: [{"id": ...}]``: 204, also for
        ids already archived or unknown (HubSpot's archive is idempotent)."""
        try:
            inputs = (request.json() or {}).get("inputs")
        except ValueError:
            return _error(400, "Invalid input JSON", "VALIDATION_ERROR")
        if not isinstance(inputs, list) or not inputs or len(inputs) > 100:
            return _error(400, "inputs must hold 1 to 100 items", "VALIDATION_ERROR")
        for item in inputs:
            cid = str((item or {}).get("id") or "")
            if cid in self.contacts and not self.contacts[cid].get("archived"):
                self.archive(cid)
        return Response(204)


def _copy(contact: dict[str, Any]) -> dict[str, Any]:
    return {**contact, "properties": dict(contact.get("properties") or {})}


def _wanted(properties: str | None) -> tuple[str, ...]:
    if not properties:
        return DEFAULT_PROPERTIES
    return tuple(dict.fromkeys([*properties.split(","), *_ALWAYS]))


def _view(contact: dict[str, Any], wanted: tuple[str, ...]) -> dict[str, Any]:
    props = contact["properties"]
    shown = {name: props.get(name) for name in wanted}
    shown["hs_object_id"] = contact["id"]
    return {
        "id": contact["id"],
        "properties": shown,
        "createdAt": contact.get("createdAt"),
        "updatedAt": contact.get("updatedAt"),
        "archived": bool(contact.get("archived")),
    }


def _sort_value(contact: dict[str, Any], prop: str) -> Any:
    value = contact["properties"].get(prop)
    if prop in ("lastmodifieddate", "createdate"):
        return to_ms(value)
    if prop == "hs_object_id":
        return int(contact["id"])
    return str(value or "")


def _matches(contact: dict[str, Any], flt: dict[str, Any]) -> bool:
    prop, op, value = flt.get("propertyName"), flt.get("operator"), flt.get("value")
    mine = _sort_value(contact, str(prop))
    other: Any = to_ms(value) if prop in ("lastmodifieddate", "createdate") else value
    if prop == "hs_object_id":
        other = int(str(value))
    return {
        "GTE": mine >= other,
        "GT": mine > other,
        "LTE": mine <= other,
        "LT": mine < other,
        "EQ": mine == other,
        "NEQ": mine != other,
    }.get(str(op), False)


# ---------------------------------------------------------------------- demo seed


def split_name(name: str) -> tuple[str, str]:
    """(firstname, lastname) the way a HubSpot form would have stored it."""
    name = name.strip()
    if any("\u3400" <= ch <= "\u9fff" for ch in name):
        surname_len = 2 if name[:2] in _COMPOUND_SURNAMES and len(name) > 2 else 1
        return name[surname_len:], name[:surname_len]
    first, _, last = name.rpartition(" ")
    return (first, last) if first else (last, "")


def records_from_demo(people: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Neutral demo people -> HubSpot contacts (everyone given is a contact)."""
    contacts = []
    for n, person in enumerate(people, start=1):
        cid = str(100 + n)
        first, last = split_name(person["name"]) if person.get("name") else ("", "")
        created = iso_ms(to_ms(person.get("created_at")) or 1767225600000)
        updated = iso_ms(to_ms(person.get("updated_at")) or to_ms(created))
        phones = person.get("phones") or []
        props = {
            "firstname": first or None,
            "lastname": last or None,
            "email": person.get("email"),
            "mobilephone": person.get("mobile"),
            "phone": phones[0] if phones else None,
            "company": person.get("company_name"),
            "state": person.get("province"),
            "city": person.get("city"),
            "address": " ".join(p for p in (person.get("district"), person.get("address")) if p)
            or None,
            "hubspot_owner_id": person.get("owner"),
            "lifecyclestage": "lead",
            "createdate": created,
            "lastmodifieddate": updated,
            "hs_object_id": cid,
        }
        contacts.append(
            {
                "id": cid,
                "properties": props,
                "createdAt": created,
                "updatedAt": updated,
                "archived": False,
            }
        )
    return {"contacts": contacts}
