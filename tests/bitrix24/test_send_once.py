"""A send is never repeated once the portal may have executed it (``repeat_unanswered=False``), while refusals
that come before execution are still waited out — against the emulator over HTTP."""

from __future__ import annotations

import pytest

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.server import Faults
from bitrix24_emulator.testing import listed_users, running_emulator
from orchestration.bitrix24 import Bitrix24Client, ClientSettings
from orchestration.bitrix24.errors import Bitrix24UnreachableError

pytestmark = pytest.mark.integration

PORTAL = generate(GeneratorConfig(seed=3, managers=3, departments=1, days=2))
USER = int(listed_users(PORTAL)[0]["ID"])


def _client(url: str, repeat: bool) -> Bitrix24Client:
    return Bitrix24Client(
        ClientSettings(webhook_url=url, plan="unlimited", backoff_base_s=0.01, repeat_unanswered=repeat)
    )


@pytest.mark.parametrize("fault", ["http500", "reset", "invalid_json"])
def test_an_unanswered_send_is_not_repeated(fault: str) -> None:
    with running_emulator(PORTAL, faults=Faults(script={1: fault})) as emu:
        with _client(emu.webhook_url, repeat=False) as client, pytest.raises(Bitrix24UnreachableError):
            client.call("im.notify.system.add", {"USER_ID": USER, "MESSAGE": "once"})
        assert emu.counters.snapshot()["requests"] == 1
    # the default, for reads: repeated
    with (
        running_emulator(PORTAL, faults=Faults(script={1: fault})) as emu,
        _client(emu.webhook_url, repeat=True) as client,
    ):
        assert isinstance(client.call("user.get").result, list)


def test_a_refusal_before_execution_is_still_retried() -> None:
    with running_emulator(PORTAL, faults=Faults(script={1: "query_limit"})) as emu:
        with _client(emu.webhook_url, repeat=False) as client:
            answer = client.call("im.notify.system.add", {"USER_ID": USER, "MESSAGE": "once"})
        assert isinstance(answer.result, int)
        assert len(emu.outbox()) == 1
