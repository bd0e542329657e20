"""Pure functions between WeCom's shapes and ours.

The payload we store per customer (one per ``external_userid``) is::

    {"external_contact": {...},           # as WeCom sent it
     "follow_info": [{...}, ...],         # one row per following member, batch shape,
                                          # sorted by (createtime, userid)
     "tags": {"et...": {"name": "VIP", "group": "客户等级"}}}  # the corp tags referenced

Both the batch endpoint and the single ``externalcontact/get`` are folded into this one
shape, so a record refreshed by a callback hashes the same as one from a full scan.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from connectors.contract import CustomerFields

__all__ = [
    "DESCRIPTION_MAX",
    "TAG_NAME_MAX",
    "build_payload",
    "follow_rows_from_single",
    "merge_description",
    "remark_mobiles",
    "to_customer",
]

CHINA_TZ = timezone(timedelta(hours=8))  # no DST; WeCom timestamps are epoch seconds
DESCRIPTION_MAX = 150
TAG_NAME_MAX = 30
_GOLDEN_TOKEN = re.compile(r"\s*golden:\S+")


def _createtime(row: Mapping[str, Any]) -> int:
    value = row.get("createtime")
    return value if isinstance(value, int) else 2**62  # unknown sorts last


def build_payload(
    external_contact: Mapping[str, Any],
    follow_rows: Iterable[Mapping[str, Any]],
    tags: Mapping[str, Mapping[str, str]],
) -> dict[str, Any]:
    rows = sorted(follow_rows, key=lambda r: (_createtime(r), str(r.get("userid", ""))))
    used = {t for r in rows for t in r.get("tag_id") or [] if t in tags}
    # keys sorted so the batch and the single-get paths serialise (and hash) identically
    return {
        "external_contact": dict(sorted(external_contact.items())),
        "follow_info": [dict(sorted(r.items())) for r in rows],
        "tags": {t: dict(sorted(tags[t].items())) for t in sorted(used)},
    }


def follow_rows_from_single(
    follow_user: Sequence[Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], dict[str, dict[str, str]]]:
    """``externalcontact/get``'s ``follow_user`` (tags as objects) -> batch rows + tag info.

    Personal tags (type 2) carry no tag_id and do not appear in the batch shape; they are
    dropped so both paths give the same payload.
    """
    rows: list[dict[str, Any]] = []
    names: dict[str, dict[str, str]] = {}
    for follow in follow_user:
        row = {k: v for k, v in follow.items() if k != "tags"}
        ids = []
        for tag in follow.get("tags") or []:
            tag_id = tag.get("tag_id")
            if tag_id:
                ids.append(tag_id)
                if tag.get("tag_name"):
                    names[tag_id] = {"name": tag["tag_name"], "group": tag.get("group_name", "")}
        row["tag_id"] = ids
        rows.append(row)
    return rows, names


def _unique(values: Iterable[Any]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if isinstance(value, str) and value.strip():
            seen.setdefault(value.strip(), None)
    return list(seen)


def to_customer(payload: Mapping[str, Any], skip_groups: Collection[str] = ()) -> CustomerFields:
    """Map a stored payload (see module doc) onto canonical customer fields."""
    contact = payload.get("external_contact")
    if not isinstance(contact, Mapping) or not contact.get("external_userid"):
        raise ValueError("WeCom payload has no external_contact.external_userid")
    rows = payload.get("follow_info") or []
    if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
        raise ValueError("WeCom payload follow_info is not a list of objects")
    tag_info = payload.get("tags") or {}

    out: CustomerFields = {
        "customer_type": "person",  # an external contact is always a person ...
        "wecom_external_userid": str(contact["external_userid"]),
    }
    if contact.get("name"):
        out["name"] = str(contact["name"])
    # ... who may work somewhere: WeCom users (type 2) carry their corp, WeChat users
    # only the member-entered remark_corp_name
    company = (
        (contact.get("corp_full_name") or contact.get("corp_name"))
        if contact.get("type") == 2
        else None
    )
    company = company or next(
        (r["remark_corp_name"] for r in rows if r.get("remark_corp_name")), None
    )
    if company:
        out["company_name"] = str(company)
    if contact.get("unionid"):
        out["wechat_unionid"] = str(contact["unionid"])
    # rows are sorted by createtime: the earliest follower owns the relation
    if rows and rows[0].get("userid"):
        out["owner"] = str(rows[0]["userid"])
    phones = _unique(m for r in rows for m in r.get("remark_mobiles") or [])
    if phones:
        out["mobile"] = phones[0]
        if phones[1:]:
            out["phones"] = phones[1:]
    # tags of skipped groups (the sink's own "customer-hub" tags) are our output, not input
    tags = _unique(
        (tag_info.get(t) or {}).get("name", t)
        for r in rows
        for t in r.get("tag_id") or []
        if (tag_info.get(t) or {}).get("group") not in skip_groups
    )
    if tags:
        out["tags"] = tags
    times = [r["createtime"] for r in rows if isinstance(r.get("createtime"), int)]
    if times:
        # no modification time exists; the latest add is the best "last changed" we have
        out["source_updated_at"] = datetime.fromtimestamp(max(times), CHINA_TZ).isoformat()
    return out


# ---------------------------------------------------------------- write side


def remark_mobiles(fields: Mapping[str, Any]) -> list[str]:
    """The golden mobile first, then the other phones; WeCom replaces the whole list."""
    phones = fields.get("phones") or []
    return _unique([fields.get("mobile"), *(phones if isinstance(phones, list) else [])])


def merge_description(current: str, golden_id: str) -> str:
    """Keep the member's own description and (re)place one ``golden:<id>`` token at its end.

    The member's text is shortened, never the token, to stay within 150 characters.
    """
    token = f"golden:{golden_id}"
    own = _GOLDEN_TOKEN.sub("", current or "").strip()
    room = DESCRIPTION_MAX - len(token) - 1
    if room <= 0:
        return token[:DESCRIPTION_MAX]
    own = own[:room].rstrip()
    return f"{own} {token}" if own else token
