"""Pure functions: Tryton party / sale payloads -> canonical customer / order activity.

Payloads are ``search_read`` rows with dotted x2many fields inlined under keys ending in
``.`` (``"contact_mechanisms."``), values already turned into plain JSON by the client.
Tryton timestamps are naive UTC; sale dates are calendar dates in the company's zone.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from zoneinfo import ZoneInfo

from connectors.contract import Activity, CustomerFields

__all__ = ["PARTY_FIELDS", "SALE_FIELDS", "map_party", "map_sale", "utc_iso"]

PARTY_FIELDS = (
    "name",
    "code",
    "active",
    "last_modified_at",
    "create_date",
    "contact_mechanisms.type",
    "contact_mechanisms.value",
    "contact_mechanisms.active",
    "addresses.street",
    "addresses.city",
    "addresses.postal_code",
    "addresses.active",
    "addresses.subdivision.name",
    "addresses.country.code",
    "identifiers.type",
    "identifiers.code",
    "categories.name",
)
SALE_FIELDS = (
    "number",
    "reference",
    "description",
    "party",
    "party.code",
    "sale_date",
    "state",
    "total_amount",
    "currency.code",
    "create_date",
    "last_modified_at",
)

# 统一社会信用代码: 18 characters, no I/O/S/V/Z
_USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def utc_iso(value: Any) -> str | None:
    """A naive-UTC Tryton timestamp string -> ISO-8601 with +00:00."""
    if not value:
        return None
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


def _text(value: Any) -> str | None:
    text = str(value).strip() if value not in (None, False) else ""
    return text or None


def _active(items: Any) -> list[dict[str, Any]]:
    # SQLite answers booleans as 1/0, PostgreSQL as true/false: use truthiness
    return [i for i in items or [] if isinstance(i, dict) and i.get("active", True)]


def map_party(
    payload: dict[str, Any], *, customer_type: Literal["person", "company"] | None = None
) -> CustomerFields:
    name = _text(payload.get("name"))
    if not name:
        raise ValueError("Tryton party without a name")
    out: CustomerFields = {"name": name}
    if customer_type:
        out["customer_type"] = customer_type
        if customer_type == "company":
            out["company_name"] = name
    mobiles: list[str] = []
    phones: list[str] = []
    emails: list[str] = []
    for mech in _active(payload.get("contact_mechanisms.")):
        value = _text(mech.get("value"))
        kind = mech.get("type")
        if value and kind == "mobile":
            mobiles.append(value)
        elif value and kind == "phone":
            phones.append(value)
        elif value and kind == "email":
            emails.append(value)
    if mobiles:
        out["mobile"] = mobiles[0]
    if mobiles[1:] or phones:
        out["phones"] = list(dict.fromkeys(phones + mobiles[1:]))
    if emails:
        out["email"] = emails[0]
    addresses = _active(payload.get("addresses."))
    if addresses:
        first = addresses[0]
        subdivision = first.get("subdivision.") or {}
        for field, value in (
            ("address", first.get("street")),
            ("city", first.get("city")),
            ("province", subdivision.get("name")),
        ):
            text = _text(value)
            if text:
                out[field] = text  # type: ignore[literal-required]
    for ident in payload.get("identifiers.") or []:
        code = (_text(ident.get("code")) or "").upper()
        if ident.get("type") in ("cn_uscc", None, "") and _USCC.match(code):
            out["uscc"] = code
            break
    tags = [t for t in (_text(c.get("name")) for c in payload.get("categories.") or []) if t]
    if tags:
        out["tags"] = tags
    updated = utc_iso(payload.get("last_modified_at"))
    if updated:
        out["source_updated_at"] = updated
    return out


def map_sale(payload: dict[str, Any], *, tz: str = "Asia/Shanghai") -> Activity:
    party = payload.get("party")
    if not party:
        raise ValueError(f"Tryton sale {payload.get('id')} has no party")
    at: str | None = None
    if payload.get("sale_date"):
        day = date.fromisoformat(str(payload["sale_date"]))
        at = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz)).isoformat()
    at = at or utc_iso(payload.get("create_date"))
    if not at:
        raise ValueError(f"Tryton sale {payload.get('id')} has neither sale_date nor create_date")
    try:
        amount = float(Decimal(str(payload.get("total_amount") or 0)))
    except InvalidOperation as exc:
        raise ValueError(
            f"Tryton sale total {payload.get('total_amount')!r} is not a number"
        ) from exc
    currency = (payload.get("currency.") or {}).get("code")
    return Activity(
        kind="order",
        at=at,
        channel="tryton",
        customer_key=str(party),
        customer_stream="parties",
        amount=amount,
        currency=currency,
        detail={
            "number": payload.get("number"),
            "reference": payload.get("reference"),
            "state": payload.get("state"),
            # Tryton sale states: draft, quotation, confirmed, processing, done, cancelled
            "order_status": {"cancelled": "cancelled", "done": "done"}.get(
                str(payload.get("state") or ""), "open"
            ),
        },
    )
