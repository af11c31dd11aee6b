"""Start and stop a served portal: HTTP(S) server thread, optional live-mode thread."""

from __future__ import annotations

import ssl
import tempfile
import threading
from pathlib import Path

from bitrix24_emulator.model import PortalData
from bitrix24_emulator.server.clock import Clock
from bitrix24_emulator.server.counters import Counters
from bitrix24_emulator.server.http import EmulatorHTTPServer
from bitrix24_emulator.server.live import LiveMutator
from bitrix24_emulator.server.messenger import Chat, Delivered
from bitrix24_emulator.server.service import ServerConfig, Service
from bitrix24_emulator.server.tls import self_signed


class Emulator:
    """One served portal. Use as a context manager or call ``start``/``stop``."""

    def __init__(
        self,
        portal: PortalData,
        config: ServerConfig | None = None,
        *,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        https: bool = False,
        live_rate: float = 0.0,
        cert_dir: Path | None = None,
    ) -> None:
        self.service = Service(portal, config or ServerConfig(), clock)
        self.live = LiveMutator(self.service.state, self.service.portal_now, seed=portal.seed)
        self._host, self._port, self._https, self._live_rate = host, port, https, live_rate
        self._cert_dir = cert_dir
        self.cert_path: Path | None = None
        self._server: EmulatorHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    @property
    def portal(self) -> PortalData:
        return self.service.state.portal

    @property
    def counters(self) -> Counters:
        return self.service.counters

    def outbox(self) -> list[Delivered]:
        """Every notification and message the im.* methods delivered so far, oldest first."""
        return self.service.state.messenger.sent()

    def add_chat(self, chat_id: int, *, writable: bool = True) -> str:
        """Create group chat ``chat<chat_id>`` (``writable=False``: posting answers 403 ACCESS_ERROR)."""
        self.service.state.messenger.chats[chat_id] = Chat(chat_id, writable)
        return f"chat{chat_id}"

    @property
    def base_url(self) -> str:
        assert self._server is not None, "not started"
        host, port = self._server.server_address[:2]
        return f"{'https' if self._https else 'http'}://{host}:{port}"

    @property
    def webhook_url(self) -> str:
        hook = self.service.config.webhooks[0]
        return f"{self.base_url}/rest/{hook.user_id}/{hook.secret}/"

    @property
    def rest_url(self) -> str:
        """Base URL for OAuth calls (``client_endpoint``)."""
        return f"{self.base_url}/rest/"

    def start(self) -> Emulator:
        server = EmulatorHTTPServer((self._host, self._port), self.service)
        if self._https:
            if self._cert_dir is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="b24emu-tls-")
                self._cert_dir = Path(self._tmp.name)
            cert, key = self_signed(self._cert_dir)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            server.socket = context.wrap_socket(server.socket, server_side=True)
            server.tls = True  # type: ignore[attr-defined]
            self.cert_path = cert
        self._server = server
        self._spawn(server.serve_forever, "b24emu-http")
        if self._live_rate > 0:
            self._spawn(lambda: self.live.run(self._live_rate, self._stop), "b24emu-live")
        return self

    def _spawn(self, target: object, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
