"""Bad credentials, an unreachable portal, a webhook without a needed scope: ``sync`` fails through Dagster
with one line naming the step and the cause, and the webhook secret appears nowhere — not in the message,
not in the Dagster event log of the runs.
"""

from __future__ import annotations

import socket
from datetime import date

import dagster as dg
import pytest

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.model import PortalData
from bitrix24_emulator.server.auth import ALL_SCOPES, Webhook
from bitrix24_emulator.testing import running_emulator
from orchestration.defs.resources import Bitrix24Resource
from orchestration.runtime.sync import SyncFailedError, _watched, sync
from tests.ingestion import harness
from tests.support.emulated import HISTORY_END

pytestmark = pytest.mark.integration

SECRET = "s3cretwebhookkey42"


@pytest.fixture(scope="module")
def portal() -> PortalData:
    return generate(GeneratorConfig(seed=5, managers=6, departments=2, days=20, end_date=HISTORY_END))


def _sync_failure(bitrix24: Bitrix24Resource, portal: PortalData, tmp_path) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The ``SyncFailedError`` message and everything the Dagster instance recorded about the runs."""
    first, last = harness.history_days(portal)
    defs = harness.definitions(bitrix24)
    with dg.DagsterInstance.ephemeral(tempdir=str(tmp_path)) as instance:
        with pytest.raises(SyncFailedError) as failure:
            sync(defs, instance, date.fromisoformat(first), date.fromisoformat(last))
        recorded = "\n".join(
            repr(entry) for run in instance.get_runs() for entry in instance.all_logs(run.run_id)
        )
    return str(failure.value), recorded


def _assert_clean(message: str, recorded: str) -> None:
    assert "\n" not in message
    assert SECRET not in message
    assert recorded and SECRET not in recorded


def test_bad_credentials(fresh_database, portal, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("WAREHOUSE_URL", fresh_database.libpq_url())
    with running_emulator(portal) as emu:
        url = f"{emu.base_url}/rest/1/{SECRET}/"
        message, recorded = _sync_failure(
            Bitrix24Resource(webhook_url=url, plan="unlimited"), portal, tmp_path
        )
    assert message.startswith("reference data failed — "), message
    assert "raw__users: " in message and "Bitrix24 user.get: NO_AUTH_FOUND" in message
    assert "check the webhook URL" in message
    _assert_clean(message, recorded)


def test_unreachable_portal(fresh_database, portal, monkeypatch, tmp_path) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("WAREHOUSE_URL", fresh_database.libpq_url())
    message, recorded = _sync_failure(
        harness.impatient(f"http://127.0.0.1:{port}/rest/1/{SECRET}/"), portal, tmp_path
    )
    assert f"Bitrix24 portal 127.0.0.1:{port} unreachable for user.get" in message, message
    _assert_clean(message, recorded)


def test_sync_keeps_the_resources_own_client_settings() -> None:
    """The sync watches each client through a wrapper resource; the wrapper must keep a subclass's
    settings (here the harness's 1-second timeout and skipped waits), not fall back to the production
    defaults (30 s timeouts and real back-off sleeps, which made the unreachable-portal case wait minutes)."""
    seen = []
    watched = _watched(harness.impatient(f"http://127.0.0.1:9/rest/1/{SECRET}/"), seen.append)
    client = watched.client()
    assert client.transport.policy.timeout_s == 1.0
    assert client.transport.policy.backoff_base_s == 0.01
    assert seen == [client.stats]


def test_webhook_without_the_telephony_scope(fresh_database, portal, monkeypatch, tmp_path) -> None:
    limited = Webhook(user_id=1, secret=SECRET, scopes=ALL_SCOPES - {"telephony"})
    monkeypatch.setenv("WAREHOUSE_URL", fresh_database.libpq_url())
    with running_emulator(portal, webhooks=(limited,)) as emu:
        bitrix24 = Bitrix24Resource(webhook_url=emu.webhook_url, plan="unlimited")
        message, recorded = _sync_failure(bitrix24, portal, tmp_path)
    assert message.startswith("changes "), message
    assert "raw__calls: " in message and "Bitrix24 voximplant.statistic.get: insufficient_scope" in message
    assert "add the scope to the webhook or app" in message
    _assert_clean(message, recorded)
