"""HTTP transport: routing of webhook/OAuth/token/counter URLs, fault injection, response writing.

Routes:
* ``/rest/<uid>/<secret>/<method>[.json]`` — incoming webhook;
* ``/rest/<method>[.json]?auth=<token>`` — OAuth application;
* ``/oauth/token/`` — token endpoint (authorization_code / refresh_token grants);
* ``/_emulator/counters`` — the counters as JSON (not part of the portal's API).
"""

from __future__ import annotations

import json
import socket
import struct
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from bitrix24_emulator.server.auth import OAuthError
from bitrix24_emulator.server.batch import run_batch
from bitrix24_emulator.server.envelope import RestError, to_json
from bitrix24_emulator.server.params import Params, merge, parse_body, parse_query
from bitrix24_emulator.server.service import CutOff, Service

_HTML_ERROR = (
    b"<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head>"
    b"<body><h1>Internal Server Error</h1><p>The server encountered an internal error.</p></body></html>"
)
_HTML_TIMEOUT = (
    b"<html><head><title>504 Gateway Time-out</title></head><body><h1>504 Gateway Time-out</h1></body></html>"
)
_FAULT_ERRORS = {
    "http500": RestError(500, "INTERNAL_SERVER_ERROR", "Internal server error"),
    "overload": RestError(503, "OVERLOAD_LIMIT", "REST API is blocked due to overload."),
    "query_limit": RestError(503, "QUERY_LIMIT_EXCEEDED", "Too many requests"),
    "operation_limit": RestError(
        429, "OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit."
    ),
}


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], service: Service) -> None:
        self.service = service
        super().__init__(address, PortalHandler)


class PortalHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: EmulatorHTTPServer

    def setup(self) -> None:
        super().setup()
        # Answers are written as headers + body; without NODELAY, Nagle + delayed ACK add ~40 ms per request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silent: a benchmark makes hundreds of thousands of requests."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._dispatch()

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        self._dispatch()

    # --- plumbing ----------------------------------------------------------------------------------
    def _params(self, query: str) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        return merge(parse_query(query), parse_body(self.headers.get("Content-Type", ""), body))

    def _send(self, status: int, body: bytes, content_type: str = "application/json; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(body)

    def _send_error(self, error: RestError) -> None:
        self.server.service.counters.error(error.code)
        if isinstance(error, CutOff):
            self._send(error.status, _HTML_TIMEOUT, "text/html; charset=utf-8")
        else:
            self._send(error.status, to_json(error.body()))

    def _reset(self) -> None:
        """Abort the TCP connection with RST, as a dropped upstream does."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        path = url.path
        params = self._params(url.query)
        service = self.server.service
        if path.rstrip("/") == "/_emulator/counters":
            self._send(200, json.dumps(service.counters.snapshot()).encode())
            return
        if path.rstrip("/") == "/oauth/token":
            self._token(params)
            return
        if not path.startswith("/rest/"):
            self._send(404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html; charset=utf-8")
            return
        number = service.counters.request()
        if service.config.answer_delay_s > 0:
            time.sleep(service.config.answer_delay_s)
        fault = service.config.faults.pick(number)
        if fault is not None:
            service.counters.fault(fault)
            if fault in _FAULT_ERRORS:
                self._send_error(_FAULT_ERRORS[fault])
                return
            if fault == "reset":
                self._reset()
                return
            if fault == "html":
                self._send(500, _HTML_ERROR, "text/html; charset=utf-8")
                return
            if fault == "slow":
                time.sleep(service.config.faults.slow_seconds)
        try:
            body = to_json(self._rest(path, params))
        except RestError as error:
            self._send_error(error)
            return
        if fault == "truncated":
            body = body[: max(1, len(body) // 2)]
        elif fault == "invalid_json":
            body = (
                b"<br />\n<b>Warning</b>: Undefined index in <b>/home/bitrix/www/rest.php</b><br />\n" + body
            )
        self._send(200, body)

    def _rest(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        service = self.server.service
        parts = [p for p in path[len("/rest/") :].split("/") if p]
        service.gate(secure=bool(getattr(self.server, "tls", False)))
        service.admit(self.client_address[0])
        if len(parts) == 3:
            credential = service.webhook(parts[0], parts[1])
        elif len(parts) == 1:
            credential = service.token(Params(params).get("auth"))
        else:
            raise RestError(401, "NO_AUTH_FOUND", "Wrong authorization data")
        service.entitled()
        params = {k: v for k, v in params.items() if k.lower() != "auth"}
        method = parts[-1].lower().removesuffix(".json")
        if method == "batch":
            return run_batch(service, params, credential)
        return service.respond(method, params, credential)

    def _token(self, params: dict[str, Any]) -> None:
        host = self.headers.get("Host", "127.0.0.1")
        scheme = "https" if getattr(self.server, "tls", False) else "http"
        try:
            answer = self.server.service.oauth.token(params, f"{scheme}://{host}/rest/")
        except OAuthError as error:
            self._send(error.status, to_json({"error": error.code, "error_description": error.description}))
            return
        self._send(200, to_json(answer))
