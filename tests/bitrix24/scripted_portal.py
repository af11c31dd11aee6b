"""A real HTTP peer on loopback whose answers a test scripts: faults first, then a handler.

Not a mock: the client under test opens sockets, sends real requests and parses real bytes, so connection
resets, truncated bodies and read timeouts happen exactly as they do against a portal.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

SECRET = "s3cretW3bh00kKey"


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list → JSON; str/bytes → sent verbatim
    headers: dict[str, str] = field(default_factory=dict)
    kind: str = "normal"  # "normal", "reset" (close without answer), "truncated" (short body), "slow"
    delay_s: float = 0.0


def ok(result: Any, **extra: Any) -> Reply:
    now = time.time()
    return Reply(200, {"result": result, "time": {"start": now, "finish": now, "duration": 0.0}, **extra})


def error(status: int, code: str, description: str = "", **extra: Any) -> Reply:
    return Reply(status, {"error": code, "error_description": description, **extra})


@dataclass
class Seen:
    path: str
    body: dict[str, Any]
    query: dict[str, str] = field(default_factory=dict)

    @property
    def method(self) -> str:
        return self.path.rstrip("/").rsplit("/", 1)[-1]


Handler = Callable[[Seen], Reply]


class ScriptedPortal:
    def __init__(self, handler: Handler | None = None) -> None:
        self.script: list[Reply] = []
        self.handler: Handler = handler or (lambda seen: ok(True))
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        portal = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    body = {}
                path, _, query = self.path.partition("?")
                seen = Seen(path, body if isinstance(body, dict) else {}, dict(parse_qsl(query)))
                with portal._lock:
                    portal.seen.append(seen)
                    reply = portal.script.pop(0) if portal.script else None
                if reply is None:
                    reply = portal.handler(seen)
                self._send(reply)

            do_GET = do_POST = _serve

            def _send(self, reply: Reply) -> None:
                if reply.kind == "reset":
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
                    self.connection.close()
                    self.close_connection = True
                    return
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                payload = reply.body
                data = (
                    payload
                    if isinstance(payload, bytes)
                    else payload.encode()
                    if isinstance(payload, str)
                    else json.dumps(payload).encode()
                )
                self.send_response(reply.status)
                ctype = "application/json" if isinstance(payload, dict | list) else "text/html"
                self.send_header("Content-Type", ctype)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if reply.kind == "truncated":
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.webhook_url = f"{self.base}/rest/1/{SECRET}/"

    def methods(self) -> list[str]:
        return [seen.method for seen in self.seen]


@contextmanager
def scripted_portal(handler: Handler | None = None) -> Iterator[ScriptedPortal]:
    portal = ScriptedPortal(handler)
    thread = threading.Thread(target=portal.server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield portal
    finally:
        portal.server.shutdown()
        portal.server.server_close()


class FakeClock:
    """Time that moves only when the client sleeps: pacing decisions become exact and instant."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.t = start
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.slept.append(seconds)
            self.t += seconds
