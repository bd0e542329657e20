"""Pure mapping of call-centre payloads (Zendesk-style) onto the canonical customer.

Calls are touchpoints only: a CDR names a number, not a person, and a caller id is often
a switchboard or a relative's phone, so turning it into a customer record would seed the
matcher with false identities. Tickets carry the requester (name/phone/email from the
sideloaded user), so they yield a customer *and* a ticket activity.
"""

from __future__ import annotations

import re
from typing import Any

from connectors.contract import Activity, CustomerFields, Mapped

__all__ = ["looks_like_mobile", "map_call", "map_ticket"]

_MOBILE = re.compile(r"^(?:\+?0{0,2}86)?1[3-9]\d{9}$")
_VIA_TO_CHANNEL = {
    "voice": "phone",
    "phone": "phone",
    "email": "email",
    "web": "web",
    "chat": "chat",
    "api": "api",
    "mobile": "app",
}


def looks_like_mobile(number: str) -> bool:
    """True for a mainland mobile in any usual spelling (+86 138-0013-8000, 13800138000)."""
    return bool(_MOBILE.match(re.sub(r"[\s\-()]", "", number)))


def _text(payload: dict[str, Any], key: str) -> str | None:
    value = payload.get(key)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def map_call(payload: dict[str, Any]) -> Mapped:
    call_id = _text(payload, "call_id")
    at = _text(payload, "start_at")
    if call_id is None or at is None:
        raise ValueError("CDR without call_id or start_at")
    direction = _text(payload, "direction") or "in"
    if direction not in ("in", "out"):
        raise ValueError(f"CDR {call_id}: unknown direction {direction!r}")
    # the customer's number is the far end: who called us, or whom we called
    phone = _text(payload, "caller_number" if direction == "in" else "called_number")
    detail = {
        key: payload[key]
        for key in (
            "call_id",
            "direction",
            "duration_s",
            "talk_s",
            "disposition",
            "queue",
            "agent_name",
            "recording_ref",
            "end_at",
        )
        if payload.get(key) not in (None, "")
    }
    activity = Activity(
        kind="call",
        at=at,
        channel="phone",
        phone=phone,
        agent=_text(payload, "agent_id"),
        detail=detail,
    )
    return Mapped(activity=activity)


def map_ticket(payload: dict[str, Any], *, key: str | None = None) -> Mapped:
    ticket_id = payload.get("id")
    at = _text(payload, "created_at")
    if ticket_id is None or at is None:
        raise ValueError("ticket without id or created_at")
    requester = payload.get("requester") or {}
    if not isinstance(requester, dict):
        raise ValueError(f"ticket {ticket_id}: requester is not an object")
    customer: CustomerFields = {"customer_type": "person"}
    name, email, phone = (_text(requester, k) for k in ("name", "email", "phone"))
    if name:
        customer["name"] = name
    if email:
        customer["email"] = email
    if phone:
        if looks_like_mobile(phone):
            customer["mobile"] = phone
        else:
            customer["phones"] = [phone]
    updated = _text(payload, "updated_at")
    if updated:
        customer["source_updated_at"] = updated
    tags = payload.get("tags")
    if isinstance(tags, list) and tags:
        customer["tags"] = [str(t) for t in tags]
    via = payload.get("via") or {}
    channel = _VIA_TO_CHANNEL.get(
        str(via.get("channel", "")) if isinstance(via, dict) else "", "ticket"
    )
    detail = {
        k: payload[k]
        for k in ("id", "subject", "status", "priority", "type")
        if payload.get(k) not in (None, "")
    }
    activity = Activity(
        kind="ticket",
        at=at,
        channel=channel,
        customer_key=key if key is not None else str(ticket_id),
        customer_stream="tickets",
        phone=phone,
        email=email,
        agent=_text(payload, "assignee_id"),
        detail=detail,
    )
    has_identity = any(k in customer for k in ("name", "email", "mobile", "phones"))
    return Mapped(customer=customer if has_identity else None, activity=activity)
