"""Write golden facts back onto WeCom contacts: remark mobiles, a golden id, and tags.

WeCom has no batch write, so a batch is worked through by ``concurrency`` threads at
most, and no more than ``calls_per_second`` calls start in any second (WeCom blocks an
app that calls too often for a whole minute: errcode 45009). Each record costs one read
(``externalcontact/get``: the member's current remark and tags) and only the writes that
change something, so re-pushing an unchanged golden record sends no write at all. The
remark mobiles are all the golden record's mobiles, the surviving one first. A golden id
merged into another has nothing of its own left in WeCom: its contacts are members of
the survivor, whose push writes the survivor's id onto them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from connectors.contract import (
    ConnectorConfigError,
    OutboundRecord,
    PushResult,
    RemoteError,
    TransientError,
)
from connectors.wecom.client import GONE_CODES, WeComClient, WeComError
from connectors.wecom.mapping import TAG_NAME_MAX, merge_description, remark_mobiles

__all__ = ["WeComSink"]

log = logging.getLogger("connectors.wecom")

TAG_EXISTS = 40071
TAG_INVALID = 40068


class WeComSink:
    batch_size = 50

    def __init__(
        self,
        client: WeComClient,
        *,
        tag_group: str = "customer-hub",
        tag_fields: Mapping[str, str] | None = None,
        concurrency: int = 4,
        calls_per_second: float = 50.0,
    ) -> None:
        self.client = client
        self.concurrency = max(1, concurrency)
        self._min_gap = 1.0 / calls_per_second if calls_per_second > 0 else 0.0
        self._next_call = 0.0
        self._pace = threading.Lock()
        self._tag_lock = threading.Lock()
        self.tag_group = tag_group
        self.tag_fields = dict(
            tag_fields or {"lifecycle_stage": "lifecycle:", "value_tier": "tier:"}
        )
        self._group_id: str | None = None
        self._tags: dict[str, str] | None = None  # name -> id inside our group

    def close(self) -> None:
        self.client.close()

    def wire(self, record: OutboundRecord) -> dict[str, Any]:
        """What reaches WeCom: the remark mobiles, the golden id and our tags."""
        if record.fields.get("status") not in (None, "active"):
            return {}
        fields = record.fields
        return {
            "mobiles": remark_mobiles(_mobile_fields(fields)),
            "owner": fields.get("owner"),
            "contact": fields.get("wecom_external_userid"),
            "tags": {name: fields.get(name) for name in sorted(self.tag_fields)},
        }

    def push(self, records: Sequence[OutboundRecord]) -> list[PushResult]:
        if self.concurrency == 1 or len(records) <= 1:
            return [self._push_one(record) for record in records]
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="wecom-sink") as pool:
            # map keeps input order; a ConnectorConfigError from any record re-raises here
            return list(pool.map(self._push_one, records))

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One API call, paced to at most ``calls_per_second`` across the threads."""
        if self._min_gap:
            with self._pace:
                now = time.monotonic()
                start = max(now, self._next_call)
                self._next_call = start + self._min_gap
            if start > now:
                time.sleep(start - now)
        body: dict[str, Any] = self.client.call(method, path, **kwargs)
        return body

    # ------------------------------------------------------------------ one record
    def _push_one(self, record: OutboundRecord) -> PushResult:
        if record.fields.get("status") not in (None, "active"):
            return PushResult(record.golden_id, ok=True)  # merged: see the module doc
        fields = record.fields
        owner = fields.get("owner")
        # the golden id field first, then every WeCom member record of the golden customer
        # (one person may be two WeCom contacts); "member:" keys are flagged members
        targets = list(
            dict.fromkeys(
                str(k)
                for k in [fields.get("wecom_external_userid"), *record.source_keys]
                if k and not str(k).startswith("member:")
            )
        )
        if not targets or not owner:
            return PushResult(
                record.golden_id,
                ok=False,
                retryable=False,
                error="WeCom needs wecom_external_userid and owner (the following member)",
            )
        done: list[str] = []
        gone: list[str] = []
        for ext in targets:
            try:
                self._update(record.golden_id, ext, str(owner), fields)
            except ConnectorConfigError:
                raise  # wrong secret or missing permission fails every record alike: stop
            except TransientError as exc:
                return PushResult(record.golden_id, ok=False, retryable=True, error=str(exc))
            except WeComError as exc:
                if exc.code not in GONE_CODES:
                    return PushResult(record.golden_id, ok=False, error=str(exc))
                gone.append(ext)
            except RemoteError as exc:
                return PushResult(record.golden_id, ok=False, error=str(exc))
            else:
                done.append(ext)
        if not done:
            # every contact of this customer was deleted in WeCom: nothing left to write
            return PushResult(
                record.golden_id,
                ok=False,
                error=f"WeCom contact(s) {', '.join(gone)} no longer exist",
            )
        return PushResult(record.golden_id, ok=True, target_id=done[0])

    def _update(self, golden_id: str, ext: str, owner: str, fields: Mapping[str, Any]) -> None:
        follow = self._current_follow(ext, owner)
        userid = follow["userid"]
        # remark: the golden mobiles replace the member's list; the description keeps the
        # member's own words and carries our id
        body: dict[str, Any] = {}
        mobiles = remark_mobiles(_mobile_fields(fields))
        if mobiles and mobiles != list(follow.get("remark_mobiles") or []):
            body["remark_mobiles"] = mobiles
        description = merge_description(str(follow.get("description") or ""), golden_id)
        if description != (follow.get("description") or ""):
            body["description"] = description
        if body:
            self._call(
                "POST",
                "externalcontact/remark",
                json={"userid": userid, "external_userid": ext, **body},
            )
        current = {t["tag_id"] for t in follow.get("tags") or [] if t.get("tag_id")}
        self._sync_tags(ext, userid, fields, current)

    def _current_follow(self, ext: str, owner: str) -> dict[str, Any]:
        """The owner's relation to ``ext``, else the earliest follower's.

        The golden owner may come from another silo (an ERP seller id); on the WeCom side
        the relation's owner is the earliest follower, the same rule the source maps by.
        """
        follows: list[dict[str, Any]] = []
        cursor = ""
        while True:
            params = {"external_userid": ext, **({"cursor": cursor} if cursor else {})}
            try:
                body = self._call("GET", "externalcontact/get", params=params)
            except WeComError as exc:
                if exc.code in GONE_CODES:
                    raise WeComError(
                        f"WeCom contact {ext} no longer exists", code=exc.code
                    ) from exc
                raise
            follows.extend(f for f in body.get("follow_user") or [] if f.get("userid"))
            cursor = body.get("next_cursor") or ""
            if not cursor:
                break
        if not follows:
            raise WeComError(f"WeCom contact {ext} no longer exists", code=84061)
        for follow in follows:
            if follow["userid"] == owner:
                return follow
        return min(follows, key=lambda f: (f.get("createtime") or 2**62, f["userid"]))

    # ------------------------------------------------------------------ tags
    def _sync_tags(
        self, ext: str, owner: str, fields: Mapping[str, Any], current: set[str]
    ) -> None:
        wanted = [
            (prefix + str(fields[name]))[:TAG_NAME_MAX]
            for name, prefix in self.tag_fields.items()
            if fields.get(name) not in (None, "")
        ]
        for attempt in (0, 1):
            with self._tag_lock:  # the tag list is shared by the threads
                ids = self._tag_ids(wanted)
            ours = set(self._tags.values()) if self._tags else set()
            add = sorted(set(ids) - current)
            # only our group's tags are ever removed: the members' own tags stay
            remove = sorted((current & ours) - set(ids))
            if not add and not remove:
                return
            try:
                self._call(
                    "POST",
                    "externalcontact/mark_tag",
                    json={
                        "userid": owner,
                        "external_userid": ext,
                        "add_tag": add,
                        "remove_tag": remove,
                    },
                )
                return
            except WeComError as exc:
                if exc.code != TAG_INVALID or attempt:
                    raise
                with self._tag_lock:
                    self._tags = None  # someone deleted one of our tags: re-read and retry

    def _tag_ids(self, names: list[str]) -> list[str]:
        if self._tags is None:
            self._load_tags()
        assert self._tags is not None
        missing = [n for n in dict.fromkeys(names) if n not in self._tags]
        if missing:
            self._create_tags(missing)
        return [self._tags[n] for n in names if n in self._tags]

    def _load_tags(self) -> None:
        # paced like every other call: the tag calls count against the same rate limit
        body = self._call("POST", "externalcontact/get_corp_tag_list", json={})
        self._group_id, self._tags = None, {}
        for group in body.get("tag_group") or []:
            if group.get("group_name") == self.tag_group and not group.get("deleted"):
                self._group_id = group.get("group_id")
                self._tags = {
                    t["name"]: t["id"] for t in group.get("tag") or [] if not t.get("deleted")
                }
                return

    def _create_tags(self, names: list[str]) -> None:
        target = {"group_id": self._group_id} if self._group_id else {"group_name": self.tag_group}
        try:
            body = self._call(
                "POST",
                "externalcontact/add_corp_tag",
                json={**target, "tag": [{"name": n} for n in names]},
            )
        except WeComError as exc:
            if exc.code != TAG_EXISTS:
                raise
            # another writer created (some of) them first: take the list as it is now
            log.info("WeCom: tag already exists in %s; re-reading the tag list", self.tag_group)
            self._load_tags()
            assert self._tags is not None
            still = [n for n in names if n not in self._tags]
            if still and len(still) < len(names):
                self._create_tags(still)
            elif still:
                raise
            return
        group = body.get("tag_group") or {}
        self._group_id = group.get("group_id") or self._group_id
        assert self._tags is not None
        self._tags.update({t["name"]: t["id"] for t in group.get("tag") or []})


def _mobile_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The surviving mobile first, then every other mobile of the golden record."""
    mobiles = fields.get("mobiles")
    return {"mobile": fields.get("mobile"), "phones": mobiles if mobiles else fields.get("phones")}
