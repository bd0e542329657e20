"""Stand-in for a WeCom group robot webhook (and for any JSON webhook).

``POST /cgi-bin/webhook/send?key=<key>`` with a ``msgtype`` body, as WeCom takes it; it
keeps every accepted message in ``messages``. Faithful bits: a wrong or missing key gets
errcode 93000 (HTTP 200), a body that is not JSON or has no ``msgtype`` gets errcode
44004, more than ``per_minute`` messages in a minute get errcode 45009, markdown
content over 4096 bytes gets errcode 40058. Any other path takes any JSON (a plain
webhook) and answers 204. Faults: ``throttle`` -> errcode 45009 once.
"""

from __future__ import annotations

import json
import time
from collections import deque
from typing import Any

from connectors.fakes._server import FakeServer, Request, Response

__all__ = ["FakeRobot"]


class FakeRobot(FakeServer):
    def __init__(self, key: str = "robot-key", *, per_minute: int = 20) -> None:
        super().__init__()
        self.key = key
        self.per_minute = per_minute
        #: accepted robot messages (the whole body) and plain webhook posts
        self.messages: list[dict[str, Any]] = []
        self.posts: list[dict[str, Any]] = []
        self._sent: deque[float] = deque()

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/cgi-bin/webhook/send?key={self.key}"

    @property
    def plain_url(self) -> str:
        return f"{self.url}/hooks/chub"

    def handle(self, request: Request) -> Response:
        if request.method != "POST":
            return Response(405, b"POST only")
        try:
            body = request.json()
        except ValueError:
            body = None
        if request.path != "/cgi-bin/webhook/send":
            if not isinstance(body, dict):
                return Response(400, b"not json")
            self.posts.append(body)
            return Response(204)
        if request.query.get("key") != self.key:
            return Response.json({"errcode": 93000, "errmsg": "invalid webhook url"})
        if request.fault == "throttle":
            return Response.json({"errcode": 45009, "errmsg": "api freq out of limit"})
        if not isinstance(body, dict) or "msgtype" not in body:
            return Response.json({"errcode": 44004, "errmsg": "invalid json or msgtype"})
        now = time.monotonic()
        while self._sent and now - self._sent[0] > 60:
            self._sent.popleft()
        if len(self._sent) >= self.per_minute:
            return Response.json({"errcode": 45009, "errmsg": "api freq out of limit"})
        kind = body["msgtype"]
        content = (body.get(kind) or {}).get("content", "")
        if len(str(content).encode()) > 4096:
            return Response.json({"errcode": 40058, "errmsg": "content exceed max length"})
        self._sent.append(now)
        self.messages.append(json.loads(json.dumps(body)))
        return Response.json({"errcode": 0, "errmsg": "ok"})
