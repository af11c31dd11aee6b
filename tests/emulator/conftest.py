"""Fixtures for the emulator server tests: a hand-built portal served on loopback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

sys.path.insert(0, str(Path(__file__).parent))

from portal_fixtures import make_portal  # noqa: E402

from bitrix24_emulator.server import Emulator  # noqa: E402
from bitrix24_emulator.testing import running_emulator  # noqa: E402


class Client:
    """A thin caller for tests: ``client.call("crm.deal.list", filter={...})`` → (status, JSON)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()

    def call(self, method: str, **params: Any) -> tuple[int, Any]:
        response = self.session.post(self.base + method, json=params, timeout=30)
        return response.status_code, response.json()

    def ok(self, method: str, **params: Any) -> Any:
        status, body = self.call(method, **params)
        assert status == 200, body
        return body


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    """A static portal shared by the read-only tests of one module."""
    with running_emulator(make_portal()) as emulator:
        yield emulator


@pytest.fixture()
def client(emu: Emulator) -> Client:
    return Client(emu.webhook_url)
