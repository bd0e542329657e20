"""Finding golden records for a person at a desk: by name (hanzi or pinyin), mobile in
any format, e-mail, a source id (``erp:C-10023``, ``erp:customers:C-10023`` or just
``C-10023``) or a golden id.

Names, phones and e-mails are looked up in the API's search keys (``golden_search_key``,
kept by ``integration.web.api.index``), normalized as the matcher normalizes them, so
``zhang wei``, ``Zhang Wei`` and ``张伟`` find the same record and ``138 0013 8000``,
``+86-138-0013-8000`` and ``13800138000`` the same mobile. Source ids go through the
crosswalk, golden ids straight to the record; a retired id leads to its survivor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Engine, func, or_, select

from dedupe.normalize import has_cjk, normalize_email, normalize_mobile, normalize_phone
from integration.events import follow
from integration.store import GoldenCustomer, GoldenMember, session_scope
from integration.store.models import GoldenSearchKey
from integration.web.api.index import name_query_key, refresh

__all__ = ["Hit", "search_golden"]

MAX_QUERY = 200
MAX_HITS = 50
_PHONE_LIKE = re.compile(r"^[\d\s+()\-.]{7,}$")


@dataclass(frozen=True)
class Hit:
    golden_id: str
    matched_by: str
    fields: dict[str, Any]
    members: int
    status: str


def _by_key(session: Any, kind: str, key: str, *, prefix: bool) -> list[str]:
    cond = (
        GoldenSearchKey.key.startswith(key, autoescape=True)
        if prefix
        else GoldenSearchKey.key == key
    )
    q = (
        select(GoldenSearchKey.golden_id)
        .where(GoldenSearchKey.kind == kind, cond)
        .distinct()
        .order_by(GoldenSearchKey.golden_id)
        .limit(MAX_HITS)
    )
    return list(session.scalars(q))


def _by_source_id(session: Any, text: str) -> list[str]:
    parts = text.split(":")
    member = GoldenMember
    cond: ColumnElement[bool]
    if len(parts) >= 3:
        cond = (
            (member.source == parts[0])
            & (member.stream == parts[1])
            & (member.source_key == ":".join(parts[2:]))
        )
    elif len(parts) == 2:
        cond = or_(
            (member.source == parts[0]) & (member.source_key == parts[1]),
            member.source_key == text,
        )
    else:
        cond = member.source_key == text
    q = select(member.golden_id).where(cond).distinct().limit(MAX_HITS)
    return list(session.scalars(q))


def search_golden(engine: Engine, query: str) -> list[Hit]:
    """Golden records the query names, each once, with how it was found."""
    text = query.strip()[:MAX_QUERY]
    if not text:
        return []
    refresh(engine)  # apply what the change feed has said since the last search
    found: dict[str, str] = {}
    with session_scope(engine) as session:

        def add(ids: list[str], how: str) -> None:
            for gid in ids:
                alive = follow(session, gid) or gid
                found.setdefault(alive, how)

        if "@" in text:
            email = normalize_email(text)
            if email:
                add(_by_key(session, "email", email, prefix=False), "by_email")
        elif _PHONE_LIKE.match(text):
            phone = normalize_mobile(text) or normalize_phone(text)
            if phone:
                add(_by_key(session, "phone", phone, prefix=False), "by_mobile")
        if session.get(GoldenCustomer, text) is not None:
            add([text], "by_golden_id")
        add(_by_source_id(session, text), "by_source_id")
        key = name_query_key(text)
        if key and "@" not in text and not _PHONE_LIKE.match(text):
            add(_by_key(session, "name", key, prefix=True), "by_name")
        if not found:
            return []
        ids = list(found)[:MAX_HITS]
        sizes = dict(
            session.execute(
                select(GoldenMember.golden_id, func.count())
                .where(GoldenMember.golden_id.in_(ids))
                .group_by(GoldenMember.golden_id)
            ).all()
        )
        records = {
            g.golden_id: g
            for g in session.scalars(
                select(GoldenCustomer).where(GoldenCustomer.golden_id.in_(ids))
            )
        }
        return [
            Hit(
                gid,
                _how(found[gid], text, records[gid].fields),
                dict(records[gid].fields),
                sizes.get(gid, 0),
                records[gid].status,
            )
            for gid in ids
            if gid in records
        ]


def _how(how: str, text: str, fields: dict[str, Any]) -> str:
    """A name in letters that found a name in hanzi found it by its pinyin."""
    if how == "by_name" and text.isascii() and has_cjk(str(fields.get("name") or "")):
        return "by_pinyin"
    return how
