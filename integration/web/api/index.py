"""The search keys of golden records, kept current by following the change feed.

Searching a million golden records by a value inside their JSON ``fields`` cannot use an
index, so each active golden record has rows in ``golden_search_key`` (kind, key), normalized
the way the matcher normalizes (``dedupe``):

* ``name``: the person name as ``normalize_person_name`` has it (simplified hanzi, a form
  of address gone), spaces removed, and, for a Chinese name, its pinyin without tones
  (张伟 -> 张伟 and zhangwei); a Latin name case-folded without accents (José Li -> joseli);
* ``phone``: every mobile and phone in E.164 (``normalize_mobile`` / ``normalize_phone``);
* ``email``: ``normalize_email``;
* ``company``: the company name as written (simplified, case-folded, no spaces) and as
  ``normalize_company_name`` has it (no place, no legal form: 上海新元科技有限公司 -> 新元科技).

Names and companies are found by prefix, phones and e-mails exactly; all by one range
scan of the (kind, key, golden_id) index.

The keys follow the change feed (``integration/event_feed.py``): ``refresh`` re-keys every
golden record an event names since the cursor kept in ``search_index_state`` (each event names the
records whose identity or content it changed), so a search sees what the feed has
handed out. The first refresh, or ``chub search reindex``, keys every record afresh. A
writer that changes a golden record without recording an event leaves its keys behind
until the next reindex; the hub's writers record one for every change.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.orm import Session

from dedupe.normalize import (
    has_cjk,
    name_phonetic,
    normalize_company_name,
    normalize_email,
    normalize_mobile,
    normalize_person_name,
    normalize_phone,
    to_simplified,
)
from integration.event_feed import START, Position, feed_head, has_events_after, read_feed
from integration.locks import LockBusy, hub_lock
from integration.store import GoldenCustomer, session_scope
from integration.store.models import GoldenSearchKey, SearchIndexState, utcnow

__all__ = [
    "IndexStatus",
    "KINDS",
    "index_status",
    "keys_of",
    "name_query_key",
    "rebuild",
    "refresh",
    "text_query_key",
]

KINDS = ("name", "phone", "email", "company")
_STATE = "golden"
_KEY_LEN = 255
_BATCH = 5000
#: fields that hold a name, a phone, an e-mail, a company (a text, or a list of them)
_NAME_FIELDS = ("name", "names")
_PHONE_FIELDS = ("mobile", "mobiles", "phones", "phone")
_EMAIL_FIELDS = ("email", "emails")
_COMPANY_FIELDS = ("company_name", "company_names")
#: one refresh in this process at a time (other processes: the hub lock)
_local = threading.Lock()


def _texts(fields: dict[str, Any], names: Iterable[str]) -> Iterator[str]:
    for name in names:
        value = fields.get(name)
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            yield from (v for v in value if isinstance(v, str))


def _squash(text: str) -> str:
    """Case-folded, accents and everything but letters and digits gone."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum())


def name_query_key(text: str) -> str | None:
    """The key a searched name is looked up by (a prefix of the stored keys)."""
    normalized = normalize_person_name(text)
    if not normalized:
        return None
    return _squash(normalized) or None


def text_query_key(text: str) -> str | None:
    """The key a searched company is looked up by (a prefix of the stored keys)."""
    return _squash(to_simplified(unicodedata.normalize("NFKC", text))) or None


def keys_of(fields: dict[str, Any]) -> set[tuple[str, str]]:
    """Every (kind, key) a golden record with these fields is found by."""
    keys: set[tuple[str, str]] = set()
    for raw in _texts(fields, _NAME_FIELDS):
        normalized = normalize_person_name(raw)
        if not normalized:
            continue
        keys.add(("name", _squash(normalized)))
        if has_cjk(normalized):
            keys.add(("name", name_phonetic(normalized)))
    for raw in _texts(fields, _PHONE_FIELDS):
        phone = normalize_mobile(raw) or normalize_phone(raw)
        if phone:
            keys.add(("phone", phone))
    for raw in _texts(fields, _EMAIL_FIELDS):
        email = normalize_email(raw)
        if email:
            keys.add(("email", email))
    for raw in _texts(fields, _COMPANY_FIELDS):
        keys.add(("company", text_query_key(raw) or ""))
        core = normalize_company_name(raw)
        if core:
            keys.add(("company", _squash(core)))
    return {(kind, key[:_KEY_LEN]) for kind, key in keys if key}


def _key_rows(golden_id: str, fields: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"golden_id": golden_id, "kind": kind, "key": key} for kind, key in sorted(keys_of(fields))
    ]


def _rekey(session: Session, golden_ids: set[str]) -> None:
    """Replace the keys of these golden records by those of their current fields."""
    ids = sorted(golden_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.execute(delete(GoldenSearchKey).where(GoldenSearchKey.golden_id.in_(chunk)))
        rows: list[dict[str, str]] = []
        for gid, fields in session.execute(
            select(GoldenCustomer.golden_id, GoldenCustomer.fields).where(
                GoldenCustomer.golden_id.in_(chunk), GoldenCustomer.status == "active"
            )
        ):
            rows.extend(_key_rows(gid, fields or {}))
        if rows:
            session.execute(insert(GoldenSearchKey), rows)


def _set_state(session: Session, cursor: Position, *, built: bool) -> None:
    state = session.get(SearchIndexState, _STATE)
    now = utcnow()
    if state is None:
        session.add(SearchIndexState(name=_STATE, cursor=str(cursor), built_at=now, updated_at=now))
        return
    state.cursor = str(cursor)
    state.updated_at = now
    if built:
        state.built_at = now


def rebuild(engine: Engine) -> int:
    """Key every active golden record afresh (one transaction: searches see the old keys
    until it commits); returns how many records were keyed."""
    with hub_lock(engine, "search_index"), session_scope(engine) as session:
        # the head first: events that arrive while the keys are made are applied again
        head = feed_head(session)
        session.execute(delete(GoldenSearchKey))
        keyed = 0
        after = ""
        while True:
            batch = session.execute(
                select(GoldenCustomer.golden_id, GoldenCustomer.fields)
                .where(GoldenCustomer.status == "active", GoldenCustomer.golden_id > after)
                .order_by(GoldenCustomer.golden_id)
                .limit(_BATCH)
            ).all()
            if not batch:
                break
            rows = [r for gid, fields in batch for r in _key_rows(gid, fields or {})]
            if rows:
                session.execute(insert(GoldenSearchKey), rows)
            keyed += len(batch)
            after = batch[-1].golden_id
        _set_state(session, head, built=True)
        return keyed


def refresh(engine: Engine, *, max_events: int = 5000, wait: float = 0) -> bool:
    """Apply the events since the index's cursor (at most ``max_events``; the rest next
    time); the first call builds the index. Returns False when another refresh was under
    way (it does the work; this caller searches the keys as they are)."""
    with session_scope(engine) as session:
        state = session.get(SearchIndexState, _STATE)
        if state is not None and not has_events_after(session, Position.parse(state.cursor)):
            return True  # current: what nearly every search finds, at the cost of 2 queries
    if not _local.acquire(blocking=wait > 0, timeout=wait if wait > 0 else -1):
        return False
    try:
        if _read_state(engine) is None:
            rebuild(engine)
            return True
        try:
            with hub_lock(engine, "search_index", wait=wait), session_scope(engine) as session:
                stored = session.get(SearchIndexState, _STATE)
                cursor = Position.parse(stored.cursor) if stored else START
                page = read_feed(session, cursor, max_events)
                if not page.events:
                    return True
                touched = {e.golden_id for e in page.events}
                touched |= {e.other_id for e in page.events if e.other_id}
                _rekey(session, touched)
                _set_state(session, page.next_cursor, built=False)
        except LockBusy:
            return False
        return True
    finally:
        _local.release()


def _read_state(engine: Engine) -> SearchIndexState | None:
    with session_scope(engine) as session:
        return session.get(SearchIndexState, _STATE)


@dataclass(frozen=True)
class IndexStatus:
    #: the feed position the keys are current up to; None: never built
    cursor: str | None
    built_at: datetime | None


def index_status(session: Session) -> IndexStatus:
    state = session.get(SearchIndexState, _STATE)
    if state is None:
        return IndexStatus(None, None)
    return IndexStatus(state.cursor, state.built_at)
