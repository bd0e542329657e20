"""A stand-in for WeCom 客户联系 (企业微信 external contacts), on loopback.

Seed it in WeCom's own batch shape, one element per (customer, following member)::

    FakeWeCom(
        contacts=[{"external_contact": {"external_userid": "wm1", "name": "张伟", "type": 1},
                   "follow_info": {"userid": "zhangsan", "createtime": 1700000000,
                                   "remark_mobiles": ["13800138000"], "tag_id": ["et1"]}}],
        tag_groups=[{"group_id": "etg1", "group_name": "客户等级",
                     "tag": [{"id": "et1", "name": "VIP"}]}],
    ).start()

or ``FakeWeCom(**records_from_demo(people))``. Behaviour follows the fact sheet (§1, §6):
errors are HTTP 200 with ``errcode``; tokens expire (``token_ttl``, ``clock``) and can be
invalidated (``expire_tokens`` -> 42001, ``invalidate_tokens`` -> 40014); ``inject("throttle")``
answers 45009 (``throttle_code``; ``rate_per_minute`` throttles for real),
``inject("token_expired")`` 42001 once, ``inject("duplicate_page")`` serves the previous batch
page again; ``inject_errcode(code, path=..., after=n)`` queues any other errcode and
``inject_after`` puts a fault on a later request (mid-paging). ``no_privilege`` members
answer 60011 in ``batch/get_by_user``. ``delays`` holds matching requests before answering
(a slow WeCom: ``fake.delays["externalcontact/get"] = 3.0``). ``send_change`` plays WeCom's
callback delivery: signed and AES-encrypted exactly as §1.7, retried on non-200;
``replay_last_change`` sends its last request again byte for byte, as an attacker would.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast
from urllib.parse import urlencode

import httpx
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from connectors.fakes._server import FakeServer, FaultKind, Request, Response

__all__ = ["FakeWeCom", "encrypt_for_callback", "records_from_demo"]

PREFIX = "/cgi-bin/"
_MSG = {
    -1: "system busy",
    40003: "invalid userid",
    40014: "invalid access_token",
    40058: "invalid Request Parameter",
    40068: "invalid tagid",
    40071: "UserTag Name Already Exist",
    40096: "invalid external userid",
    41001: "access_token missing",
    41002: "corpid missing",
    42001: "access_token expired",
    45009: "api freq out of limit",
    45033: "api concurrent out of limit",
    60011: "no privilege to access/modify contact/party/agent",
    84061: "not external contact",
    6000: "data version conflict",
}


def _now() -> int:
    return int(time.time())


class FakeWeCom(FakeServer):
    """WeCom 客户联系 over loopback HTTP. ``url + "/cgi-bin/"`` is the base URL."""

    timeout_hold = 0.6

    def __init__(
        self,
        contacts: Iterable[Mapping[str, Any]] = (),
        tag_groups: Iterable[Mapping[str, Any]] = (),
        *,
        corp_id: str = "wwfakecorp0001",
        corp_secret: str = "fake-corp-secret-0001",
        follow_users: Iterable[str] = (),
        token_ttl: float = 7200.0,
        clock: Callable[[], float] = time.monotonic,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.corp_id = corp_id
        self.corp_secret = corp_secret
        self.token_ttl = token_ttl
        self.clock = clock
        self.throttle_code = 45009
        #: calls per API per minute before 45009 (None: unlimited; WeCom: 10,000/min/corp)
        self.rate_per_minute: int | None = None
        self._calls: dict[tuple[str, int], int] = {}
        self._rng = random.Random(seed)
        self._state = threading.RLock()
        self._tokens: dict[str, float] = {}  # token -> expiry (self.clock time)
        self._errcodes: deque[list[Any]] = deque()  # [code, path, remaining, skip]
        self._delayed: list[list[Any]] = []  # [fault kind, path, skip]
        self._last_batch: dict[str, Any] | None = None
        #: external_userid -> external_contact
        self.contacts: dict[str, dict[str, Any]] = {}
        #: (external_userid, userid) -> follow_info (batch shape)
        self.relations: dict[tuple[str, str], dict[str, Any]] = {}
        self.members: set[str] = set(follow_users)
        #: members the app may not see: batch/get_by_user answers 60011 for them
        self.no_privilege: set[str] = set()
        #: path fragment -> seconds to hold each matching request before answering
        self.delays: dict[str, float] = {}
        #: (URL with query, body) of the last callback delivered by send_change
        self.last_delivery: tuple[str, bytes] | None = None
        self.tag_groups: list[dict[str, Any]] = []
        for row in contacts:
            self.add_contact(row["external_contact"], row["follow_info"])
        for group in tag_groups:
            self.tag_groups.append(
                {
                    "group_id": group["group_id"],
                    "group_name": group["group_name"],
                    "create_time": group.get("create_time", 1700000000),
                    "order": group.get("order", 0),
                    "deleted": False,
                    "tag": [
                        {"create_time": 1700000000, "order": 0, **t, "deleted": False}
                        for t in group.get("tag", [])
                    ],
                }
            )

    # ------------------------------------------------------------------ seeding / knobs
    def add_contact(
        self, external_contact: Mapping[str, Any], follow_info: Mapping[str, Any]
    ) -> None:
        with self._state:
            ext = external_contact["external_userid"]
            self.contacts.setdefault(ext, dict(external_contact))
            follow = {
                "remark": "",
                "description": "",
                "remark_mobiles": [],
                "tag_id": [],
                "add_way": 0,
                "state": "",
                **follow_info,
            }
            follow.setdefault("oper_userid", follow["userid"])
            self.relations[(ext, follow["userid"])] = follow
            self.members.add(follow["userid"])

    def delete_relation(self, external_userid: str, userid: str) -> None:
        with self._state:
            self.relations.pop((external_userid, userid), None)

    def expire_tokens(self) -> None:
        """Every issued token answers 42001 from now on."""
        with self._state:
            self._tokens = {t: float("-inf") for t in self._tokens}

    def invalidate_tokens(self) -> None:
        """Every issued token answers 40014 from now on (WeCom may drop tokens early)."""
        with self._state:
            self._tokens.clear()

    def inject_errcode(
        self, code: int, *, path: str | None = None, times: int = 1, after: int = 0
    ) -> None:
        """Let ``after`` matching requests pass, then answer ``times`` with ``errcode``."""
        with self._state:
            self._errcodes.append([code, path, times, after])

    def inject_after(self, kind: FaultKind, *, path: str, after: int) -> None:
        """Like ``inject`` but the fault hits the matching request number ``after + 1``
        (e.g. the second page of a paging loop: a fault "mid-paging")."""
        with self._state:
            self._delayed.append([kind, path, after])

    def take_fault(self, path: str) -> FaultKind | None:
        with self._state:
            for entry in self._delayed:
                if entry[1] in path:
                    if entry[2] == 0:
                        self._delayed.remove(entry)
                        return cast(FaultKind, entry[0])
                    entry[2] -= 1
                    break
        return super().take_fault(path)

    def settings(self, **extra: Any) -> dict[str, Any]:
        """A chub.yaml ``wecom`` section pointing at this fake."""
        return {
            "corp_id": self.corp_id,
            "corp_secret": self.corp_secret,
            "base_url": self.url + PREFIX,
            **extra,
        }

    def follow(self, external_userid: str, userid: str) -> dict[str, Any]:
        return self.relations[(external_userid, userid)]

    def writes(self, endpoint: str) -> list[dict[str, Any]]:
        """Bodies of the requests that reached ``endpoint`` (e.g. "remark")."""
        return [r.json() for r in self.requests if r.path == PREFIX + "externalcontact/" + endpoint]

    # ------------------------------------------------------------------ dispatch
    def _err(self, code: int, detail: str = "") -> Response:
        hint = f"{self._rng.getrandbits(32):08x}"
        msg = _MSG.get(code, "error") + (f": {detail}" if detail else "")
        return Response.json(
            {
                "errcode": code,
                "errmsg": f"{msg}, hint: [{_now()}_{hint}], from ip: 127.0.0.1, "
                f"more info at https://open.work.weixin.qq.com/devtool/query?e={code}",
            }
        )

    def _take_errcode(self, path: str) -> int | None:
        for entry in self._errcodes:
            code, where, _, skip = entry
            if where is None or where in path:
                if skip > 0:
                    entry[3] -= 1
                    return None
                entry[2] -= 1
                if entry[2] <= 0:
                    self._errcodes.remove(entry)
                return int(code)
        return None

    def handle(self, request: Request) -> Response:
        if not request.path.startswith(PREFIX):
            return Response(404, b"not found")
        name = request.path[len(PREFIX) :]
        hold = next((s for where, s in self.delays.items() if where in request.path), 0.0)
        if hold:
            time.sleep(hold)  # outside the state lock: other requests go on meanwhile
        with self._state:
            code = self._take_errcode(request.path)
            if code is not None:
                return self._err(code)
            if request.fault == "throttle" or self._over_rate(name):
                return self._err(self.throttle_code)
            if name == "gettoken":
                return self._gettoken(request.query)
            token_error = self._check_token(request.query.get("access_token"))
            if token_error is not None:
                return self._err(token_error)
            if request.fault == "token_expired":
                self.expire_tokens()
                return self._err(42001)
            handler = self._ROUTES.get(name)
            if handler is None:
                return Response(404, b"<html>404</html>", {"Content-Type": "text/html"})
            try:
                body = request.json() if request.method == "POST" else None
            except ValueError:
                return self._err(40058, "body is not JSON")
            result = handler(self, request, body or {})
            if isinstance(result, Response):
                return result
            if name == "externalcontact/batch/get_by_user":
                if request.fault == "duplicate_page" and self._last_batch is not None:
                    result = self._last_batch
                self._last_batch = result
            return Response.json({"errcode": 0, "errmsg": "ok", **result})

    def _over_rate(self, name: str) -> bool:
        if self.rate_per_minute is None:
            return False
        window = (name, int(self.clock() // 60))
        self._calls[window] = self._calls.get(window, 0) + 1
        return self._calls[window] > self.rate_per_minute

    # ------------------------------------------------------------------ token
    def _gettoken(self, query: Mapping[str, str]) -> Response:
        if query.get("corpid") != self.corp_id:
            return self._err(40013 if query.get("corpid") else 41002)
        if query.get("corpsecret") != self.corp_secret:
            return self._err(40001)
        now = self.clock()
        for token, expires in self._tokens.items():
            if expires > now:  # WeCom hands back the same token while it is valid
                return Response.json(
                    {
                        "errcode": 0,
                        "errmsg": "ok",
                        "access_token": token,
                        "expires_in": max(1, int(expires - now)),
                    }
                )
        token = "".join(
            self._rng.choice("abcdefghijklmnopqrstuvwxyz0123456789-_") for _ in range(64)
        )
        self._tokens[token] = now + self.token_ttl
        return Response.json(
            {
                "errcode": 0,
                "errmsg": "ok",
                "access_token": token,
                "expires_in": max(1, int(self.token_ttl)),
            }
        )

    def _check_token(self, token: str | None) -> int | None:
        if not token:
            return 41001
        expires = self._tokens.get(token)
        if expires is None:
            return 40014
        return 42001 if expires <= self.clock() else None

    # ------------------------------------------------------------------ reads
    def _follow_user_list(self, request: Request, body: dict[str, Any]) -> dict[str, Any]:
        return {"follow_user": sorted(self.members)}

    def _list(self, request: Request, body: dict[str, Any]) -> Response | dict[str, Any]:
        userid = request.query.get("userid", "")
        if userid not in self.members:
            return self._err(40003)
        ids = sorted(e for e, u in self.relations if u == userid)
        return {"external_userid": ids} if ids else self._err(84061)

    def _batch(self, request: Request, body: dict[str, Any]) -> Response | dict[str, Any]:
        userids = body.get("userid_list")
        if not isinstance(userids, list) or not 1 <= len(userids) <= 100:
            return self._err(40058, "userid_list must hold 1..100 userids")
        for userid in userids:
            if userid not in self.members:
                return self._err(40003)
            if userid in self.no_privilege:
                return self._err(60011)
        limit = body.get("limit") or 50
        limit = max(1, min(int(limit), 100))  # above the maximum is clamped, not refused
        query_id = hashlib.sha1(json.dumps(userids).encode()).hexdigest()[:12]
        offset = 0
        if body.get("cursor"):
            try:
                data = json.loads(base64.urlsafe_b64decode(body["cursor"].encode()))
                offset, same = int(data["o"]), data["q"] == query_id
            except (ValueError, KeyError, TypeError):
                same = False
            if not same:
                return self._err(40058, "invalid cursor")
        rows = []
        for userid in userids:
            mine = [
                (f.get("createtime", 0), e) for (e, u), f in self.relations.items() if u == userid
            ]
            rows += [
                {"external_contact": self.contacts[e], "follow_info": self.relations[(e, userid)]}
                for _, e in sorted(mine)
            ]
        page = rows[offset : offset + limit]
        end = offset + len(page)
        next_cursor = ""
        if end < len(rows):
            next_cursor = base64.urlsafe_b64encode(
                json.dumps({"o": end, "q": query_id}).encode()
            ).decode()
        return json.loads(json.dumps({"external_contact_list": page, "next_cursor": next_cursor}))

    def _tag_object(self, tag_id: str) -> dict[str, Any] | None:
        for group in self.tag_groups:
            for tag in group["tag"]:
                if tag["id"] == tag_id and not tag["deleted"]:
                    return {
                        "group_name": group["group_name"],
                        "tag_name": tag["name"],
                        "tag_id": tag_id,
                        "type": 1,
                    }
        return None

    def _get(self, request: Request, body: dict[str, Any]) -> Response | dict[str, Any]:
        ext = request.query.get("external_userid", "")
        if ext not in self.contacts:
            return self._err(40096)
        follows = [f for (e, _), f in sorted(self.relations.items()) if e == ext]
        if not follows:
            return self._err(84061)
        offset = int(request.query.get("cursor") or 0)
        page = follows[offset : offset + 500]  # WeCom pages follow_user only beyond 500
        follow_user = []
        for follow in page:
            single = {k: v for k, v in follow.items() if k != "tag_id"}
            single["tags"] = [t for t in map(self._tag_object, follow.get("tag_id", [])) if t]
            follow_user.append(single)
        result: dict[str, Any] = {
            "external_contact": self.contacts[ext],
            "follow_user": follow_user,
        }
        if offset + 500 < len(follows):
            result["next_cursor"] = str(offset + 500)
        return json.loads(json.dumps(result))

    # ------------------------------------------------------------------ writes
    def _relation(self, body: Mapping[str, Any]) -> Response | dict[str, Any]:
        userid, ext = body.get("userid"), body.get("external_userid")
        if userid not in self.members:
            return self._err(40003)
        if ext not in self.contacts:
            return self._err(40096)
        follow = self.relations.get((ext, userid))
        return follow if follow is not None else self._err(84061)

    def _remark(self, request: Request, body: dict[str, Any]) -> Response | dict[str, Any]:
        follow = self._relation(body)
        if isinstance(follow, Response):
            return follow
        fields = ("remark", "description", "remark_company", "remark_mobiles", "remark_pic_mediaid")
        if not any(k in body for k in fields):
            return self._err(40058, "one of the remark fields is required")
        for key, most in (("remark", 20), ("description", 150), ("remark_company", 20)):
            if len(str(body.get(key) or "")) > most:
                return self._err(40058, f"{key} longer than {most} characters")
        for key in ("remark", "description"):
            if key in body:
                follow[key] = body[key]
        if "remark_company" in body:
            follow["remark_corp_name"] = body["remark_company"]
        if "remark_mobiles" in body:
            mobiles = [m for m in body["remark_mobiles"] or [] if m]  # [""] clears the list
            follow["remark_mobiles"] = mobiles
        return {}

    def _mark_tag(self, request: Request, body: dict[str, Any]) -> Response | dict[str, Any]:
        follow = self._relation(body)
        if isinstance(follow, Response):
            return follow
        add, remove = body.get("add_tag") or [], body.get("remove_tag") or []
        if not add and not remove:
            return self._err(40058, "add_tag and remove_tag cannot both be empty")
        if any(self._tag_object(t) is None for t in [*add, *remove]):
            return self._err(40068)
        tags = [t for t in follow.get("tag_id", []) if t not in remove]
        tags += [t for t in add if t not in tags]  # an already-present tag is a no-op
        follow["tag_id"] = tags
        return {}

    def _corp_tags(self, request: Request, body: dict[str, Any]) -> dict[str, Any]:
        group_ids, tag_ids = body.get("group_id") or [], body.get("tag_id") or []
        out = []
        for group in self.tag_groups:
            if group_ids:
                if group["group_id"] not in group_ids:
                    continue
                tags, show_deleted = group["tag"], False
            elif tag_ids:
                tags, show_deleted = [t for t in group["tag"] if t["id"] in tag_ids], True
                if not tags:
                    continue
            else:
                tags, show_deleted = group["tag"], False
            if not show_deleted and group["deleted"]:
                continue
            keep = [t for t in tags if show_deleted or not t["deleted"]]
            rendered = {k: v for k, v in group.items() if k not in ("tag", "deleted")}
            rendered["tag"] = [
                {k: v for k, v in t.items() if show_deleted or k != "deleted"} for t in keep
            ]
            if show_deleted:
                rendered["deleted"] = group["deleted"]
            out.append(rendered)
        return json.loads(json.dumps({"tag_group": out}))

    def _new_id(self, prefix: str) -> str:
        return prefix + "".join(self._rng.choice("0123456789ABCDEFabcdef") for _ in range(20))

    def _add_corp_tag(self, request: Request, body: dict[str, Any]) -> Response | dict[str, Any]:
        names = [str(t.get("name") or "") for t in body.get("tag") or []]
        if not names or any(not n or len(n) > 30 for n in names):
            return self._err(40058, "tag names must be 1..30 characters")
        group = None
        if body.get("group_id"):
            group = next(
                (
                    g
                    for g in self.tag_groups
                    if g["group_id"] == body["group_id"] and not g["deleted"]
                ),
                None,
            )
            if group is None:
                return self._err(40068)
        elif body.get("group_name"):
            group = next(
                (
                    g
                    for g in self.tag_groups
                    if g["group_name"] == body["group_name"] and not g["deleted"]
                ),
                None,
            )
        else:
            return self._err(40058, "group_id or group_name is required")
        if group is not None:
            existing = {t["name"] for t in group["tag"] if not t["deleted"]}
            if existing & set(names) or len(set(names)) < len(names):
                return self._err(40071)
        else:
            group = {
                "group_id": self._new_id("et"),
                "group_name": body["group_name"],
                "create_time": _now(),
                "order": body.get("order", 0),
                "deleted": False,
                "tag": [],
            }
            self.tag_groups.append(group)
        created = [
            {
                "id": self._new_id("et"),
                "name": n,
                "create_time": _now(),
                "order": 0,
                "deleted": False,
            }
            for n in names
        ]
        group["tag"].extend(created)
        rendered = {k: v for k, v in group.items() if k not in ("tag", "deleted")}
        rendered["tag"] = [{k: v for k, v in t.items() if k != "deleted"} for t in created]
        return {"tag_group": rendered}

    def _edit_corp_tag(self, request: Request, body: dict[str, Any]) -> Response | dict[str, Any]:
        name = str(body.get("name") or "")
        if not body.get("id") or len(name) > 30:
            return self._err(40058, "id required, name up to 30 characters")
        for group in self.tag_groups:
            if group["group_id"] == body["id"] and not group["deleted"]:
                group["group_name"] = name or group["group_name"]
                return {}
            for tag in group["tag"]:
                if tag["id"] == body["id"] and not tag["deleted"]:
                    others = {t["name"] for t in group["tag"] if t is not tag and not t["deleted"]}
                    if name in others:
                        return self._err(40071)
                    tag["name"] = name or tag["name"]
                    return {}
        return self._err(40068)

    def _del_corp_tag(self, request: Request, body: dict[str, Any]) -> Response | dict[str, Any]:
        tag_ids, group_ids = body.get("tag_id") or [], body.get("group_id") or []
        if not tag_ids and not group_ids:
            return self._err(40058, "tag_id or group_id is required")
        for group in self.tag_groups:
            if group["group_id"] in group_ids:
                group["deleted"] = True
            for tag in group["tag"]:
                if tag["id"] in tag_ids or group["group_id"] in group_ids:
                    tag["deleted"] = True
        return {}

    _ROUTES: dict[str, Callable[[FakeWeCom, Request, dict[str, Any]], Any]] = {
        "externalcontact/get_follow_user_list": _follow_user_list,
        "externalcontact/list": _list,
        "externalcontact/batch/get_by_user": _batch,
        "externalcontact/get": _get,
        "externalcontact/remark": _remark,
        "externalcontact/mark_tag": _mark_tag,
        "externalcontact/get_corp_tag_list": _corp_tags,
        "externalcontact/add_corp_tag": _add_corp_tag,
        "externalcontact/edit_corp_tag": _edit_corp_tag,
        "externalcontact/del_corp_tag": _del_corp_tag,
    }

    # ------------------------------------------------------------------ callbacks
    def send_change(
        self,
        callback_url: str,
        change_type: str,
        userid: str,
        external_userid: str,
        token: str,
        aes_key: str,
        corp_id: str | None = None,
        *,
        create_time: int | None = None,
        extra: Mapping[str, str] | None = None,
        attempts: int = 3,
        transport: httpx.BaseTransport | None = None,
        timestamp: int | None = None,
        nonce: str | None = None,
    ) -> list[int]:
        """POST one change_external_contact event as WeCom does; return the HTTP statuses.

        Like WeCom, a non-200 answer (or no answer) is retried, ``attempts`` times in all,
        each attempt a new request (new timestamp and nonce unless given).
        """
        corp = corp_id or self.corp_id
        fields = {
            "ToUserName": corp,
            "FromUserName": "sys",
            "CreateTime": str(create_time or _now()),
            "MsgType": "event",
            "Event": "change_external_contact",
            "ChangeType": change_type,
            "UserID": userid,
            "ExternalUserID": external_userid,
            **(extra or {}),
        }
        xml = (
            "<xml>"
            + "".join(
                f"<{k}><![CDATA[{v}]]></{k}>" if not v.isdigit() else f"<{k}>{v}</{k}>"
                for k, v in fields.items()
            )
            + "</xml>"
        )
        statuses: list[int] = []
        with httpx.Client(transport=transport, timeout=5.0) as client:
            for _ in range(attempts):
                stamp = str(timestamp if timestamp is not None else _now())
                once = nonce if nonce is not None else str(self._rng.randrange(10**9))
                encrypt = encrypt_for_callback(xml, aes_key, corp)
                query = urlencode(
                    {
                        "msg_signature": _signature(token, stamp, once, encrypt),
                        "timestamp": stamp,
                        "nonce": once,
                    }
                )
                body = (
                    f"<xml><ToUserName><![CDATA[{corp}]]></ToUserName><AgentID><![CDATA["
                    f"1000002]]></AgentID><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
                )
                self.last_delivery = (f"{callback_url}?{query}", body.encode())
                statuses.append(_post(client, *self.last_delivery))
                if statuses[-1] == 200:
                    break
        return statuses

    def replay_last_change(self, *, transport: httpx.BaseTransport | None = None) -> int:
        """Send the last callback request again, byte for byte; return the HTTP status."""
        if self.last_delivery is None:
            raise RuntimeError("no callback was delivered yet")
        with httpx.Client(transport=transport, timeout=5.0) as client:
            return _post(client, *self.last_delivery)

    def verify_url(
        self,
        callback_url: str,
        token: str,
        aes_key: str,
        corp_id: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> tuple[int, str, str]:
        """WeCom's URL check on save: returns (status, body, the echostr plaintext expected)."""
        plain = str(self._rng.randrange(10**18))
        echostr = encrypt_for_callback(plain, aes_key, corp_id or self.corp_id)
        timestamp, nonce = str(_now()), str(self._rng.randrange(10**9))
        query = urlencode(
            {
                "msg_signature": _signature(token, timestamp, nonce, echostr),
                "timestamp": timestamp,
                "nonce": nonce,
                "echostr": echostr,
            }
        )
        with httpx.Client(transport=transport, timeout=5.0) as client:
            response = client.get(f"{callback_url}?{query}")
        return response.status_code, response.text, plain


def _post(client: httpx.Client, url: str, body: bytes) -> int:
    try:
        return client.post(url, content=body).status_code
    except httpx.HTTPError:
        return 0  # no answer: WeCom counts it as a failed delivery


# ---------------------------------------------------------------- §1.7 crypto, written
# independently of connectors.wecom.callback so a shared mistake cannot pass the tests


def _signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()


def encrypt_for_callback(message: str, aes_key: str, receive_id: str) -> str:
    key = base64.b64decode(aes_key + "=")
    msg = message.encode()
    plain = os.urandom(16) + struct.pack(">I", len(msg)) + msg + receive_id.encode()
    pad = 32 - len(plain) % 32
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


# ---------------------------------------------------------------- demo seed


def _epoch(value: str | None, default: int) -> int:
    if not value:
        return default
    try:
        return int(datetime.fromisoformat(value).timestamp())
    except ValueError:
        return default


def records_from_demo(people: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Neutral demo people -> ``FakeWeCom(**seed)``: only people with an external_userid."""
    tag_ids: dict[str, str] = {}
    contacts = []
    for index, person in enumerate(people):
        ext = person.get("external_userid")
        if not ext:
            continue
        is_company = person.get("customer_type") == "company"
        contact: dict[str, Any] = {
            "external_userid": ext,
            "name": person.get("name", ""),
            "type": 2 if is_company else 1,
            "gender": 0,
            "avatar": f"https://wework.qpic.cn/fake/{ext}/0",
        }
        if is_company and person.get("company_name"):
            contact["corp_name"] = contact["corp_full_name"] = person["company_name"]
        if not is_company and person.get("unionid"):
            contact["unionid"] = person["unionid"]
        for tag in person.get("tags") or []:
            tag_ids.setdefault(tag, "et" + hashlib.sha1(tag.encode()).hexdigest()[:20])
        follow: dict[str, Any] = {
            "userid": person.get("owner") or "demo-staff",
            "remark": str(person.get("name", ""))[:20],
            "description": "",
            "createtime": _epoch(person.get("created_at"), 1735689600 + index * 3600),
            "tag_id": [tag_ids[t] for t in person.get("tags") or []],
            "remark_mobiles": [
                p for p in [person.get("mobile"), *(person.get("phones") or [])] if p
            ],
            "add_way": 1,
            "state": "",
        }
        if not is_company and person.get("company_name"):
            follow["remark_corp_name"] = person["company_name"]
        contacts.append({"external_contact": contact, "follow_info": follow})
    groups = []
    if tag_ids:
        groups.append(
            {
                "group_id": "etdemogroup0001",
                "group_name": "客户标签",
                "tag": [{"id": i, "name": n} for n, i in tag_ids.items()],
            }
        )
    return {"contacts": contacts, "tag_groups": groups}
