"""The delivery pass against the emulator over HTTP and a real PostgreSQL, without the marts: the ledger row
and the recipient's working interval are written by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.testing import listed_users, running_emulator
from orchestration.alerts import state
from orchestration.alerts.delivery import deliver_open
from orchestration.bitrix24 import Bitrix24Client, ClientSettings
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation

pytestmark = pytest.mark.integration

PORTAL = generate(GeneratorConfig(seed=3, managers=3, departments=1, days=2))
USER = int(listed_users(PORTAL)[0]["ID"])


def _client(url: str) -> Bitrix24Client:
    return Bitrix24Client(ClientSettings(webhook_url=url, plan="unlimited", repeat_unanswered=False))


def test_a_rejected_chat_copy_is_retried_and_never_resends_the_notification(
    fresh_database: WarehouseLocation,
) -> None:
    """The chat refuses (vendor 403 ACCESS_ERROR): the row stays 'sent', the pass reports the chat's error,
    and each next pass posts the copy again — only the copy — until the chat takes it, once."""
    now = datetime(2026, 11, 16, 7, 0, tzinfo=UTC)
    conn = connect(fresh_database)
    try:
        state.ensure_table(conn)
        with conn.cursor() as cur:  # a working calendar for the recipient, as dbt would build it
            cur.execute(
                "create table intermediate.int_working_intervals as select %s::bigint as user_id, "
                "%s::timestamptz as interval_start, %s::timestamptz as interval_end",
                (USER, "2026-11-16T06:00:00+00:00", "2026-11-16T15:00:00+00:00"),
            )
        conn.commit()
        row = {"kind": "sla", "request_type": "deal", "request_id": 1, "alert_level": 1}
        state.enqueue(conn, [{**row, "delivery_key": "sla:deal:1:1", "recipient_id": USER, "due_at": now}])
        with running_emulator(PORTAL) as emu, _client(emu.webhook_url) as client:
            closed = emu.add_chat(8, writable=False)
            first = deliver_open(conn, client, "sla", lambda _: "late", now, closed)
            second = deliver_open(conn, client, "sla", lambda _: "late", now, closed)
            assert [d.kind for d in emu.outbox()] == ["notify"]
            emu.add_chat(8, writable=True)  # the chat's owner lets the webhook's user post again
            third = deliver_open(conn, client, "sla", lambda _: "late", now, closed)
            fourth = deliver_open(conn, client, "sla", lambda _: "late", now, closed)
            assert [(d.kind, d.dialog_id, d.message) for d in emu.outbox()] == [
                ("notify", str(USER), "late"),
                ("message", "chat8", "late"),
            ]
        assert first.counts["sent"] == 1 and "ACCESS_ERROR" in first.errors[0]
        assert "the next run retries" in first.errors[0]
        assert second.counts == {} and "ACCESS_ERROR" in second.errors[0]
        assert third.counts == {} and third.errors == [] and fourth.errors == []
        with conn.cursor() as cur:
            cur.execute("select status, chat_pending, attempts from alerts.deliveries")
            assert cur.fetchall() == [("sent", False, 1)]
    finally:
        conn.close()
