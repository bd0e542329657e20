"""Pure mapping of HubSpot contacts onto the canonical customer.

HubSpot returns every property as a string (or null). Chinese names are stored split
into ``lastname`` (surname) and ``firstname``; written together they take no space
(张 + 伟 -> 张伟), Latin names read "first last".
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from connectors.contract import CustomerFields, Mapped

__all__ = ["CONTACT_PROPERTIES", "full_name", "lastmodified_ms", "map_contact"]

#: what we ask HubSpot for (only requested properties come back)
CONTACT_PROPERTIES: tuple[str, ...] = (
    "firstname",
    "lastname",
    "email",
    "phone",
    "mobilephone",
    "company",
    "city",
    "state",
    "address",
    "hubspot_owner_id",
    "lifecyclestage",
    "createdate",
    "lastmodifieddate",
)

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_MOBILE = re.compile(r"^(?:\+?0{0,2}86)?1[3-9]\d{9}$")


def _prop(props: dict[str, Any], key: str) -> str | None:
    value = props.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def full_name(first: str | None, last: str | None) -> str | None:
    if not first and not last:
        return None
    if _CJK.search((last or "") + (first or "")):
        return f"{last or ''}{first or ''}"
    return " ".join(part for part in (first, last) if part)


def lastmodified_ms(contact: dict[str, Any]) -> int:
    """A contact's ``lastmodifieddate`` in epoch ms (ISO string, or ms as a string)."""
    props = contact.get("properties") or {}
    value = props.get("lastmodifieddate") or contact.get("updatedAt")
    if value is None:
        raise ValueError(f"contact {contact.get('id')} has no lastmodifieddate")
    text = str(value)
    if text.isdigit():
        return int(text)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


def map_contact(payload: dict[str, Any]) -> Mapped:
    props = payload.get("properties")
    if not isinstance(props, dict):
        raise ValueError(f"contact {payload.get('id')!r} has no properties object")
    customer: CustomerFields = {"customer_type": "person"}
    name = full_name(_prop(props, "firstname"), _prop(props, "lastname"))
    if name:
        customer["name"] = name
    email = _prop(props, "email")
    if email:
        customer["email"] = email
    mobile = _prop(props, "mobilephone")
    phone = _prop(props, "phone")
    others: list[str] = []
    if phone and not mobile and _MOBILE.match(re.sub(r"[\s\-()]", "", phone)):
        # many forms only have "phone"; in China that is nearly always the mobile
        mobile = phone
    elif phone and phone != mobile:
        others.append(phone)
    if mobile:
        customer["mobile"] = mobile
    if others:
        customer["phones"] = others
    for prop, canonical in (
        ("company", "company_name"),
        ("state", "province"),
        ("city", "city"),
        ("address", "address"),
        ("hubspot_owner_id", "owner"),
    ):
        value = _prop(props, prop)
        if value:
            customer[canonical] = value  # type: ignore[literal-required]
    updated = _prop(props, "lastmodifieddate") or payload.get("updatedAt")
    if updated:
        customer["source_updated_at"] = str(updated)
    return Mapped(customer=customer)


# ---------------------------------------------------------------------- writing

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

#: golden field -> contact property, for the one-to-one part of the write shape
DEFAULT_PROPERTY_MAP: dict[str, str] = {
    "email": "email",
    "mobile": "mobilephone",
    "company_name": "company",
    "province": "state",
    "city": "city",
    "address": "address",
    "lifecycle_stage": "chub_lifecycle_stage",
    "value_tier": "chub_value_tier",
    "orders_count": "chub_orders_count",
    "revenue": "chub_revenue",
    # "active", or "merged" with the surviving golden id (a merge reaching the sink)
    "status": "chub_status",
    "merged_into": "chub_merged_into",
    "absorbed_ids": "chub_merged_ids",
}


def split_name(name: str) -> tuple[str, str]:
    """(firstname, lastname): 张伟 -> (伟, 张), 欧阳娜娜 -> (娜娜, 欧阳)."""
    name = name.strip()
    if _CJK.search(name) and " " not in name:
        surname = 2 if name[:2] in _COMPOUND_SURNAMES and len(name) > 2 else 1
        return name[surname:], name[:surname]
    first, _, last = name.rpartition(" ")
    return (first, last) if first else (last, "")


def to_properties(
    fields: dict[str, Any], property_map: dict[str, str] | None = None
) -> dict[str, str]:
    """Golden fields -> HubSpot contact properties (all strings; "" clears a property)."""
    mapping = {**DEFAULT_PROPERTY_MAP, **(property_map or {})}
    props: dict[str, str] = {}
    if "name" in fields:
        first, last = split_name(str(fields.get("name") or ""))
        props["firstname"], props["lastname"] = first, last
    if "phones" in fields:
        phones = fields.get("phones") or []
        props["phone"] = str(phones[0]) if phones else ""
    for golden, prop in mapping.items():
        if prop and golden in fields:
            value = fields[golden]
            if isinstance(value, list):
                value = ";".join(str(v) for v in value)  # multiple checkboxes take a;b
            props[prop] = "" if value is None else str(value)
    return props
