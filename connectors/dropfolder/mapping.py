"""Pure mapping of a drop-folder row onto the canonical customer (and a form-lead touch).

``columns`` maps canonical field -> the file's header. Besides the canonical fields a lead
export may name ``submitted_at`` (with optional ``channel`` and ``campaign``): the row
then also becomes a campaign activity, the lead's first touch.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connectors.contract import CANONICAL_FIELDS, Activity, CustomerFields, Mapped

__all__ = ["ACTIVITY_COLUMNS", "ALLOWED_COLUMNS", "map_row", "parse_when"]

ACTIVITY_COLUMNS = ("submitted_at", "channel", "campaign")
ALLOWED_COLUMNS = frozenset(CANONICAL_FIELDS) | frozenset(ACTIVITY_COLUMNS)
_LIST_FIELDS = {"phones", "tags"}
_SPLIT = re.compile(r"[,;/、，；|]+")
_TYPES = {
    "person": "person",
    "个人": "person",
    "individual": "person",
    "company": "company",
    "企业": "company",
    "公司": "company",
    "organization": "company",
}
_WHEN_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
)


def parse_when(text: str) -> str | None:
    """A timestamp as people type it in exports -> ISO-8601, or None if unreadable."""
    text = text.strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
    except ValueError:
        pass
    for fmt in _WHEN_FORMATS:
        try:
            return datetime.strptime(text, fmt).isoformat()
        except ValueError:
            continue
    return None


def _lookup(fields: Mapping[str, Any], header: str) -> str | None:
    value = fields.get(header)
    if value is None:  # headers differ in case/whitespace between exports of one form
        wanted = header.strip().casefold()
        value = next((v for k, v in fields.items() if k.strip().casefold() == wanted), None)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def map_row(
    payload: dict[str, Any], columns: Mapping[str, str], default_type: str | None = None
) -> Mapped:
    fields = payload.get("fields")
    if not isinstance(fields, dict):
        raise ValueError("drop-folder row without fields")
    # no mapping configured: the headers are expected to be the canonical names
    mapping = dict(columns) or {name: name for name in ALLOWED_COLUMNS}
    values = {canonical: _lookup(fields, header) for canonical, header in mapping.items()}
    customer: CustomerFields = {}
    for canonical, value in values.items():
        if value is None or canonical in ACTIVITY_COLUMNS:
            continue
        if canonical in _LIST_FIELDS:
            customer[canonical] = [p.strip() for p in _SPLIT.split(value) if p.strip()]  # type: ignore[literal-required]
        elif canonical == "customer_type":
            kind = _TYPES.get(value.casefold())
            if kind:
                customer["customer_type"] = kind  # type: ignore[typeddict-item]
        else:
            customer[canonical] = value  # type: ignore[literal-required]
    if "customer_type" not in customer and default_type:
        customer["customer_type"] = default_type  # type: ignore[typeddict-item]
    activity = None
    submitted = values.get("submitted_at")
    at = parse_when(submitted) if submitted else None
    if at is not None:  # an unreadable date loses the touch, never the lead itself
        detail = {
            k: v
            for k, v in (
                ("campaign", values.get("campaign")),
                ("file", payload.get("file")),
                ("row", payload.get("row")),
            )
            if v is not None
        }
        activity = Activity(
            kind="campaign",
            at=at,
            channel=values.get("channel") or "form",
            customer_key=payload.get("key"),
            customer_stream="leads",
            phone=customer.get("mobile"),
            email=customer.get("email"),
            detail=detail,
        )
    return Mapped(customer=customer or None, activity=activity)
