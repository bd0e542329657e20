"""The WeCom source: a full scan of every follower's external contacts.

Why the whole scan is collected before the first page is yielded: ``batch/get_by_user``
answers one row per (customer, follower) pair, and a customer followed by members in two
different userid chunks shows up in both. Yielding per chunk would land the customer twice
with half of its followers each time (and flip the payload hash on every scan). So we merge
all rows by ``external_userid`` first, then yield pages in ``external_userid`` order. The
cursor of a page is the last key it holds: resuming re-runs the scan (the API has no
"since" query anyway) and skips keys up to it. Memory is one payload per customer
(~1 kB), acceptable for the corp sizes we serve.

A member WeCom will not let us read (40003/60011/84061 on a chunk) is isolated by retrying
the chunk member by member, skipped, and flagged as ``RawRecord("member:<userid>",
payload=None, problem=...)`` on the last page, so one bad member never stops the scan.

Deletion is inferred by the hub only from a scan that is *proven* complete
(``Page.scan_complete``). A member skipped for want of permission (60011) or as unknown
(40003) hides every customer only that member follows, and an empty follower list hides
everyone (a revoked visible range looks exactly like that), so such a scan lands what it
saw but never says complete: the customers it missed stay until a scan does see them all.
84061 ("no external contact") is a member with no customers, which hides nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from typing import Any

from connectors.contract import (
    ConnectorConfigError,
    Mapped,
    Page,
    RawRecord,
    TransientError,
)
from connectors.http import mask_phones
from connectors.wecom.client import GONE_CODES, SKIP_MEMBER_CODES, WeComClient, WeComError
from connectors.wecom.mapping import build_payload, follow_rows_from_single, to_customer

__all__ = ["WeComSource"]

log = logging.getLogger("connectors.wecom")

CURSOR_VERSION = 1
#: member errcodes that mean "this member has no customers" rather than "we cannot see them"
_EMPTY_MEMBER_CODES = frozenset({84061})
#: how often the server may hand back a cursor we already sent (duplicate page) before
#: we call it a loop
_MAX_CURSOR_REPEATS = 3


class _Contact:
    __slots__ = ("external_contact", "follows")

    def __init__(self, external_contact: dict[str, Any]) -> None:
        self.external_contact = external_contact
        self.follows: dict[str, dict[str, Any]] = {}


class WeComSource:
    streams = {"contacts": "customer"}

    def __init__(
        self,
        client: WeComClient,
        *,
        chunk_size: int = 100,
        page_limit: int = 100,
        page_size: int = 500,
        own_tag_group: str | None = None,
    ) -> None:
        self.client = client
        self.chunk_size = max(1, min(chunk_size, 100))
        self.page_limit = max(1, min(page_limit, 100))
        self.page_size = max(1, page_size)
        #: the sink's tag group: those tags are the hub's own output, not customer data
        self.own_tag_group = own_tag_group
        #: members skipped in the last scan (userid -> why); also yielded as flagged records
        self.skipped_members: dict[str, str] = {}
        #: why the last scan is not proof of what exists (empty: it is); see the module doc
        self.incomplete_because: list[str] = []
        self._skip_codes: dict[str, int] = {}

    def close(self) -> None:
        self.client.close()

    # ------------------------------------------------------------------ pull
    def pull(self, stream: str, cursor: str | None) -> Iterator[Page]:
        if stream not in self.streams:
            raise ConnectorConfigError(f"WeCom has no stream {stream!r} (known: contacts)")
        after = _read_cursor(cursor)
        # the follower list first: it fetches the token, so a bad secret fails loudly here
        body = self.client.call("GET", "externalcontact/get_follow_user_list")
        users = sorted({u for u in body.get("follow_user") or [] if isinstance(u, str)})
        tags = self._corp_tags()
        contacts = self._scan(users)
        problems = [
            RawRecord(
                key=f"member:{userid}",
                payload=None,
                problem=f"follow user {userid} skipped: {why}",
                raw_text=why,
            )
            for userid, why in sorted(self.skipped_members.items())
        ]
        keys = [k for k in sorted(contacts) if after is None or k > after]
        log.info(
            "WeCom: scanned %d contacts (%d to yield), %d members skipped",
            len(contacts),
            len(keys),
            len(problems),
        )
        records = [
            RawRecord(
                key=k,
                payload=build_payload(
                    contacts[k].external_contact, contacts[k].follows.values(), tags
                ),
            )
            for k in keys
        ]
        # skipped members ride on the last page: page cursors then only ever name contacts
        final = json.dumps({"v": CURSOR_VERSION, "complete": True})
        starts = range(0, len(records), self.page_size)
        # only a scan from the beginning that saw every member's list is proof of what
        # exists: the hub may then tombstone the contacts it did not return (a resumed
        # scan skipped some, a skipped member hid some, so neither may)
        self.incomplete_because = self._gaps(users, after)
        complete = not self.incomplete_because
        if not complete:
            log.warning(
                "WeCom: scan not complete (%s): no contact is inferred deleted",
                "; ".join(self.incomplete_because),
            )
        if not records:
            yield Page(problems, final, scan_complete=complete)
            return
        for start in starts:
            chunk = records[start : start + self.page_size]
            if start == starts[-1]:
                yield Page([*chunk, *problems], final, scan_complete=complete)
            else:
                yield Page(chunk, json.dumps({"v": CURSOR_VERSION, "after": chunk[-1].key}))

    def _gaps(self, users: list[str], after: str | None) -> list[str]:
        """Why this scan cannot prove which contacts exist (empty list: it can)."""
        gaps = []
        if after is not None:
            gaps.append("resumed after a cursor")
        if not users:
            gaps.append("the follow-user list is empty")
        hidden = sorted(
            userid for userid, code in self._skip_codes.items() if code not in _EMPTY_MEMBER_CODES
        )
        if hidden:
            gaps.append(f"{len(hidden)} follow user(s) unreadable: {', '.join(hidden[:5])}")
        return gaps

    def _corp_tags(self) -> dict[str, dict[str, str]]:
        try:
            body = self.client.call("POST", "externalcontact/get_corp_tag_list", json={})
        except (WeComError, ConnectorConfigError) as exc:
            # tag names are a nicety: without the permission we keep the ids
            log.warning("WeCom: corp tag list unavailable, tags stay as ids: %s", exc)
            return {}
        return {
            tag["id"]: {"name": tag["name"], "group": group.get("group_name", "")}
            for group in body.get("tag_group") or []
            for tag in group.get("tag") or []
            if tag.get("id") and tag.get("name")
        }

    def _scan(self, users: list[str]) -> dict[str, _Contact]:
        self.skipped_members = {}
        self._skip_codes = {}
        contacts: dict[str, _Contact] = {}
        for i in range(0, len(users), self.chunk_size):
            self._scan_chunk(users[i : i + self.chunk_size], contacts)
        return contacts

    def _scan_chunk(self, userids: list[str], contacts: dict[str, _Contact]) -> None:
        try:
            rows = self._fetch_rows(userids)
        except WeComError as exc:
            if exc.code not in SKIP_MEMBER_CODES:
                raise
            if len(userids) == 1:
                self.skipped_members[userids[0]] = f"WeCom errcode {exc.code}"
                self._skip_codes[userids[0]] = exc.code
                log.warning("WeCom: skipping follow user %s (errcode %s)", userids[0], exc.code)
                return
            # one bad member fails the whole chunk: retry member by member to isolate it
            for userid in userids:
                self._scan_chunk([userid], contacts)
            return
        for row in rows:
            contact = row.get("external_contact") or {}
            follow = row.get("follow_info") or {}
            key = contact.get("external_userid")
            if not isinstance(key, str) or not key:
                continue  # nothing to key it by; WeCom never sends this in practice
            entry = contacts.get(key)
            if entry is None:
                entry = contacts[key] = _Contact(dict(contact))
            if follow.get("userid"):
                # keyed by follower: a duplicate page or a re-sent row simply overwrites
                entry.follows[str(follow["userid"])] = dict(follow)

    def _fetch_rows(self, userids: list[str]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        cursor = ""
        seen: dict[str, int] = {}
        while True:
            body = self.client.call(
                "POST",
                "externalcontact/batch/get_by_user",
                json={"userid_list": userids, "cursor": cursor, "limit": self.page_limit},
            )
            rows.extend(body.get("external_contact_list") or [])
            cursor = body.get("next_cursor") or ""
            if not cursor:
                return rows
            seen[cursor] = seen.get(cursor, 0) + 1
            if seen[cursor] > _MAX_CURSOR_REPEATS:
                raise TransientError("WeCom keeps returning the same next_cursor; paging loop")

    # ------------------------------------------------------------------ one contact
    def fetch_contact(self, external_userid: str) -> RawRecord:
        """Refresh one contact (after a change callback) in the same payload shape as pull."""
        follow_user: list[dict[str, Any]] = []
        contact: dict[str, Any] = {}
        cursor = ""
        while True:
            params = {"external_userid": external_userid}
            if cursor:
                params["cursor"] = cursor
            try:
                body = self.client.call("GET", "externalcontact/get", params=params)
            except WeComError as exc:
                if exc.code in GONE_CODES:
                    return RawRecord(key=external_userid, payload=None, deleted=True)
                raise
            contact = body.get("external_contact") or contact
            follow_user.extend(body.get("follow_user") or [])
            cursor = body.get("next_cursor") or ""
            if not cursor:
                break
        if not contact or not follow_user:
            # nobody follows the contact any more: for the hub it is gone
            return RawRecord(key=external_userid, payload=None, deleted=True)
        rows, names = follow_rows_from_single(follow_user)
        return RawRecord(key=external_userid, payload=build_payload(contact, rows, names))

    # ------------------------------------------------------------------ mapping
    def map_record(self, stream: str, payload: dict[str, Any]) -> Mapped:
        if stream not in self.streams:
            raise ValueError(f"WeCom has no stream {stream!r}")
        skip = (self.own_tag_group,) if self.own_tag_group else ()
        return Mapped(customer=to_customer(payload, skip))


def _read_cursor(cursor: str | None) -> str | None:
    """Return the key to resume after, or None for a fresh scan."""
    if not cursor:
        return None
    try:
        data: Mapping[str, Any] = json.loads(cursor)
        if data.get("v") != CURSOR_VERSION:
            raise ValueError("unknown cursor version")
    except (ValueError, AttributeError):
        # a scan is always full anyway: starting over is safe, only slower
        log.warning("WeCom: unreadable cursor %r; starting a full scan", mask_phones(cursor[:80]))
        return None
    after = data.get("after")
    return after if isinstance(after, str) and not data.get("complete") else None
