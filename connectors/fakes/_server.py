"""The loopback HTTP server every stand-in is built on.

Each fake subclasses ``FakeServer`` and implements ``handle``. Faults are queued with
``inject`` and consumed by the next matching requests, so tests say exactly which request
fails instead of relying on timing.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Self
from urllib.parse import parse_qs, urlsplit

__all__ = ["FakeServer", "Fault", "FaultKind", "Request", "Response"]

FaultKind = Literal[
    "http_500",  # answer 500 with an HTML body
    "timeout",  # hold the request longer than any sane client timeout, then 500
    "malformed_json",  # 200 with a truncated JSON body
    "throttle",  # the system's own throttle signal (each fake decides what that is)
    "token_expired",  # the system's own "token/session expired" signal
    "duplicate_page",  # serve the previous page again instead of the next one
]


@dataclass
class Fault:
    kind: FaultKind
    path: str | None = None  # only requests whose path contains this
    remaining: int = 1


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    #: a queued fault the fake itself must act out (throttle, token_expired, duplicate_page)
    fault: FaultKind | None = None

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int = 200
    body: bytes | str | Any = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Any, status: int = 200, **headers: str) -> Response:
        return cls(
            status,
            json.dumps(data, ensure_ascii=False).encode(),
            {"Content-Type": "application/json; charset=utf-8", **headers},
        )


class FakeServer:
    """A threaded HTTP server on 127.0.0.1 with a random port."""

    #: seconds a "timeout" fault holds the request
    timeout_hold = 2.0

    def __init__(self) -> None:
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self.requests: list[Request] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server not started")
        host, port = self._httpd.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}"

    def start(self) -> Self:
        handler = _make_handler(self)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        # serve_forever checks for shutdown every poll_interval: keep stop() quick
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ faults
    def inject(self, kind: FaultKind, *, path: str | None = None, times: int = 1) -> None:
        with self._lock:
            self._faults.append(Fault(kind, path, times))

    def take_fault(self, path: str) -> FaultKind | None:
        """Consume and return the first queued fault that applies to ``path``."""
        with self._lock:
            for fault in self._faults:
                if fault.path is None or fault.path in path:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault.kind
        return None

    # ------------------------------------------------------------------ to override
    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def handle_fault(self, kind: FaultKind, request: Request) -> Response | None:
        """Answer a generic fault; fakes override for throttle/token/duplicate faults."""
        if kind == "http_500":
            return Response(
                500, b"<html>Internal Server Error</html>", {"Content-Type": "text/html"}
            )
        if kind == "timeout":
            time.sleep(self.timeout_hold)
            return Response(500, b"late")
        if kind == "malformed_json":
            return Response(200, b'{"truncated": [', {"Content-Type": "application/json"})
        return None  # the fake handles the rest inside `handle`


def _make_handler(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # headers and body go out in two sends: with Nagle on, every keep-alive response
        # waits ~40 ms for a delayed ACK
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            pass

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            request = Request(self.command, parts.path, query, dict(self.headers.items()), body)
            server.requests.append(request)
            response: Response | None = None
            fault = server.take_fault(parts.path)
            if fault is not None:
                response = server.handle_fault(fault, request)
                if response is None:
                    request.fault = fault
            if response is None:
                try:
                    response = server.handle(request)
                except Exception as exc:  # a bug in a fake must show up as a 500, not a hang
                    response = Response(500, f"fake error: {exc!r}".encode())
            payload = response.body
            if not isinstance(payload, bytes):
                payload = (
                    payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                )
            try:
                self.send_response(response.status)
                for key, value in response.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout fault): nothing to tell it

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    return Handler
