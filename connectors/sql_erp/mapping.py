"""Pure functions: a row of a configured ERP table -> canonical customer / order activity.

The column mapping comes from chub.yaml (``columns: {canonical field: column}``); list
fields (``phones``, ``tags``) may name several columns, or one column whose text is a
comma-separated list.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from connectors.contract import CANONICAL_FIELDS, Activity, CustomerFields

__all__ = ["LIST_FIELDS", "map_customer", "map_order", "to_iso"]

LIST_FIELDS = ("phones", "tags")


def to_iso(value: Any, tz: str) -> str | None:
    """A DB datetime/date (naive means the ERP's zone) as ISO-8601 with an offset."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace(" ", "T"))
        except ValueError:
            return None
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return str(value.isoformat())


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _columns(spec: str | list[str]) -> list[str]:
    return [spec] if isinstance(spec, str) else list(spec)


def map_customer(
    payload: dict[str, Any],
    columns: dict[str, str | list[str]],
    *,
    tz: str,
    customer_type: str | None = None,
    watermark: str | None = None,
) -> CustomerFields:
    out: dict[str, Any] = {}
    for field, spec in columns.items():
        if field not in CANONICAL_FIELDS:
            raise ValueError(f"{field!r} is not a canonical customer field")
        values = [payload.get(c) for c in _columns(spec)]
        if field in LIST_FIELDS:
            items: list[str] = []
            for value in values:
                parts = value.split(",") if isinstance(value, str) else [value]
                items.extend(t for t in (_text(p) for p in parts) if t)
            if items:
                out[field] = list(dict.fromkeys(items))
        elif field == "source_updated_at":
            stamp = to_iso(values[0], tz)
            if stamp:
                out[field] = stamp
        else:
            text = _text(values[0])
            if text:
                out[field] = text
    if not out.get("name") and not out.get("company_name"):
        raise ValueError("row has neither a name nor a company name")
    if customer_type and "customer_type" not in out:
        out["customer_type"] = customer_type
    if out.get("customer_type") not in (None, "person", "company"):
        raise ValueError(f"customer_type {out['customer_type']!r} is neither person nor company")
    if out.get("customer_type") == "company" and "company_name" not in out and out.get("name"):
        out["company_name"] = out["name"]
    out.setdefault("name", out.get("company_name"))
    if "source_updated_at" not in out and watermark:
        stamp = to_iso(payload.get(watermark), tz)
        if stamp:
            out["source_updated_at"] = stamp
    return out  # type: ignore[return-value]


def map_order(
    payload: dict[str, Any],
    *,
    customer_key: str,
    customer_stream: str,
    amount: str | None,
    at: str,
    tz: str,
    currency: str | None,
    currency_column: str | None,
) -> Activity:
    customer = payload.get(customer_key)
    if customer in (None, ""):
        raise ValueError(f"order has no customer ({customer_key} is empty)")
    when = to_iso(payload.get(at), tz)
    if not when:
        raise ValueError(f"order has no usable date in {at!r}")
    total: float | None = None
    if amount and payload.get(amount) not in (None, ""):
        try:
            total = float(Decimal(str(payload[amount])))
        except InvalidOperation as exc:
            raise ValueError(f"order amount {payload[amount]!r} is not a number") from exc
    money = _text(payload.get(currency_column)) if currency_column else None
    return Activity(
        kind="order",
        at=when,
        channel="sql",
        customer_key=str(customer),
        customer_stream=customer_stream,
        amount=total,
        currency=money or currency,
    )
