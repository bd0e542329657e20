"""Golden records -> rows of the three BI tables (pure: no database here).

``<prefix>golden_customer``: one row per golden id ever published, with its status
(``active`` / ``merged`` / ``retired``) and ``merged_into``; ``<prefix>golden_crosswalk``:
one row per member record (source, stream, source key -> golden id);
``<prefix>golden_facts``: one row per active golden customer with its 360° facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "CUSTOMER_COLUMNS",
    "FACT_COLUMNS",
    "LIST_COLUMNS",
    "crosswalk_rows",
    "customer_row",
    "facts_row",
]

#: single-valued golden fields, one text column each
CUSTOMER_COLUMNS: tuple[str, ...] = (
    "name",
    "customer_type",
    "mobile",
    "email",
    "company_name",
    "uscc",
    "province",
    "city",
    "district",
    "address",
    "wecom_external_userid",
    "wechat_unionid",
    "owner",
)
#: multi-valued golden fields, one JSON column each
LIST_COLUMNS: tuple[str, ...] = (
    "mobiles",
    "emails",
    "phones",
    "wecom_external_userids",
    "follow_staff",
    "tags",
)
#: facts -> (column, kind); kind picks the SQL type
FACT_COLUMNS: dict[str, str] = {
    "orders": "int",
    "revenue": "float",
    "revenue_currency": "text",
    "first_order_at": "text",
    "last_order_at": "text",
    "avg_interval_days": "float",
    "usual_interval_days": "float",
    "days_since_last_order": "float",
    "last_touch_at": "text",
    "lifecycle_stage": "text",
    "value_tier": "text",
    "churn_risk": "bool",
    "churn_reason": "text",
    "revenue_by_currency": "json",
    "last_touch": "json",
    "wecom_follow": "json",
}


def customer_row(golden_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    status = str(fields.get("status") or "active")
    row: dict[str, Any] = {
        "golden_id": golden_id,
        "status": status,
        "merged_into": fields.get("merged_into"),
    }
    for name in (*CUSTOMER_COLUMNS, *LIST_COLUMNS):
        value = fields.get(name) if status == "active" else None
        row[name] = None if value in ("", []) else value
    return row


def crosswalk_rows(golden_id: str, fields: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for source, refs in sorted((fields.get("source_ids") or {}).items()):
        for ref in refs:
            stream, _, key = str(ref).partition(":")
            rows.append(
                {"source": source, "stream": stream, "source_key": key, "golden_id": golden_id}
            )
    return rows


def facts_row(golden_id: str, fields: Mapping[str, Any]) -> dict[str, Any] | None:
    if fields.get("status") not in (None, "active"):
        return None
    facts = fields.get("facts") or {}
    return {"golden_id": golden_id, **{name: facts.get(name) for name in FACT_COLUMNS}}
