"""SLA alerts end to end: portal (emulator over HTTP) → Dagster sync → dbt marts.sla_alerts → the Dagster
delivery asset → the emulator's outbox. Each test moves the same pipeline forward in time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bitrix24_emulator.server import Webhook
from bitrix24_emulator.server.auth import ALL_SCOPES
from bitrix24_emulator.testing import running_emulator
from orchestration.alerts import state
from orchestration.alerts.sla import delivery_key, listed_alerts
from orchestration.warehouse.bootstrap import connect
from tests.alerts.conftest import Pipeline, at

pytestmark = pytest.mark.integration

MINUTE = timedelta(minutes=1)


def ledger(pipeline: Pipeline, deal_id: int) -> list[tuple[int, str, int]]:
    return pipeline.query(
        "select alert_level, status, recipient_id from alerts.deliveries where request_id = %s "
        "order by alert_level",
        (deal_id,),
    )


def test_level_1_once_when_n_working_minutes_pass(pipeline: Pipeline) -> None:
    pipeline.rebuild(at("2026-11-16T10:05:00+03:00"))
    # N = 15 working minutes of the responsible after 10:00 (the seed's root row), M = 15 more
    assert pipeline.due_at(9001, 1) == at("2026-11-16T10:15:00+03:00")
    assert pipeline.due_at(9001, 2) == at("2026-11-16T10:30:00+03:00")
    assert pipeline.deliver(at("2026-11-16T10:05:00+03:00")).success
    assert pipeline.messages_about(9001) == []

    crossed = at("2026-11-16T10:16:00+03:00")
    pipeline.rebuild(crossed)
    result = pipeline.deliver(crossed)
    assert result.success
    # the run's metadata (the Dagster UI) says what went to whom
    (materialization,) = result.asset_materializations_for_node("alerts__sla_alert_deliveries")
    assert "| sla:deal:9001:1 | 6 | sent |" in materialization.metadata["deliveries"].value
    ((user, text, sent_at),) = pipeline.messages_about(9001)
    assert (user, sent_at) == (6, crossed.timestamp())
    assert text.startswith("Сделка «Заявка 9001» (№9001) ждёт первого контакта уже 16 раб. мин (порог 15).")
    assert ledger(pipeline, 9001) == [(1, "sent", 6)]

    # a re-run (same data, later instant) sends nothing more
    assert pipeline.deliver(crossed + MINUTE).success
    assert len(pipeline.messages_about(9001)) == 1


def test_escalation_to_the_head_after_n_plus_m(pipeline: Pipeline) -> None:
    crossed = at("2026-11-16T10:31:00+03:00")
    pipeline.rebuild(crossed)
    assert pipeline.deliver(crossed).success
    assert pipeline.deliver(crossed + MINUTE).success
    messages = pipeline.messages_about(9001)
    assert [user for user, _, _ in messages] == [6, 4]  # user 4 heads department 3, where user 6 works
    assert messages[1][1].startswith("Эскалация: сделка «Заявка 9001» (№9001, ответственный — ")
    assert ledger(pipeline, 9001) == [(1, "sent", 6), (2, "sent", 4)]
    # a head's own deal escalates to the head of the department above (user 3 heads department 2)
    assert pipeline.query(
        "select alert_level, recipient_id from marts.sla_alerts where request_id = 9006 order by 1"
    ) == [(1, 4), (2, 3)]


def test_every_due_alert_reached_its_recipient_exactly_once(pipeline: Pipeline) -> None:
    sent = pipeline.query(
        "select delivery_key, recipient_id, portal_message_id from alerts.deliveries where status = 'sent'"
    )
    by_id = {d.id: d for d in pipeline.emulator.outbox()}
    assert len(by_id) == len(pipeline.emulator.outbox()) == len(sent)
    assert all(by_id[message_id].user_id == recipient for _, recipient, message_id in sent)


def test_due_at_night_is_held_until_the_recipients_working_time_starts(pipeline: Pipeline) -> None:
    evening = at("2026-11-16T19:00:00+03:00")
    pipeline.rebuild(evening)
    assert pipeline.due_at(9002, 1) == at("2026-11-16T17:55:00+03:00")
    assert pipeline.deliver(evening).success
    assert pipeline.messages_about(9002) == []
    ((status, deliver_after),) = pipeline.query(
        "select status, deliver_after from alerts.deliveries where request_id = 9002"
    )
    morning = at("2026-11-17T09:00:00+03:00")
    assert (status, deliver_after) == ("held", morning)

    night = at("2026-11-17T03:00:00+03:00")  # a pass at night (on the evening's data): still held
    assert pipeline.deliver(night).success
    assert pipeline.messages_about(9002) == []

    pipeline.rebuild(morning)
    assert pipeline.deliver(morning).success
    ((user, _, sent_at),) = pipeline.messages_about(9002)
    assert (user, sent_at) == (7, morning.timestamp())


def test_a_crash_between_claim_and_send_never_duplicates(pipeline: Pipeline) -> None:
    now = at("2026-11-17T11:20:00+03:00")
    pipeline.rebuild(now)
    key = delivery_key("deal", 9003, 1)
    # what a run does up to its crash: ledger row, claim committed — then the process dies
    conn = connect(pipeline.location)
    try:
        state.ensure_table(conn)
        listed = listed_alerts(conn)
        assert listed[key]["is_due"]
        state.enqueue(conn, [{"delivery_key": key, "kind": "sla", **listed[key]}])
        assert state.claim(conn, key, "text", now)
    finally:
        conn.close()
    result = pipeline.deliver(now + MINUTE)
    assert not result.success  # the run says an alert's fate is unknown
    assert pipeline.messages_about(9003) == []
    assert ledger(pipeline, 9003) == [(1, "unknown", 9)]
    assert pipeline.deliver(now + 2 * MINUTE).success  # and it stays unsent, quietly
    assert pipeline.messages_about(9003) == []


def test_bad_input_fails_the_run_clearly_loses_nothing_and_is_retried(pipeline: Pipeline) -> None:
    now = at("2026-11-17T12:20:00+03:00")
    pipeline.rebuild(now)
    without_im = Webhook(1, "no-im-scope", scopes=ALL_SCOPES - {"im"})
    with running_emulator(pipeline.emulator.portal, webhooks=(without_im,)) as other:
        result = pipeline.deliver(now, webhook_url=other.webhook_url)
        assert other.outbox() == []
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message
    assert "insufficient_scope" in failure and "add the scope to the webhook" in failure
    assert "no-im-scope" not in failure  # no secret in the error
    ((status, error),) = pipeline.query(
        "select status, last_error from alerts.deliveries where request_id = 9004 and alert_level = 1"
    )
    assert status == "failed" and "insufficient_scope" in error

    # the fired employee: the portal creates no notification (result false) — failed, and said so
    result = pipeline.deliver(now + MINUTE)
    assert not result.success
    assert ledger(pipeline, 9005) == [(1, "failed", 8)]
    assert pipeline.messages_about(9005) == []
    # the scope is back: the next run sends the failed alert, once
    ((user, _, _),) = pipeline.messages_about(9004)
    assert user == 9 and ledger(pipeline, 9004)[0][1] == "sent"


def test_morning_digest_once_per_head_at_the_start_of_their_working_day(pipeline: Pipeline) -> None:
    def digests() -> list[tuple[int | None, str, float]]:
        return [
            (d.user_id, d.message, d.sent_at)
            for d in pipeline.emulator.outbox()
            if d.message.startswith("Сводка")
        ]

    assert pipeline.digest(at("2026-11-17T07:00:00+03:00")).success  # before anyone works: nothing
    assert digests() == []
    start = at("2026-11-17T09:00:00+03:00")
    assert pipeline.digest(start).success
    assert pipeline.digest(start + 15 * MINUTE).success  # the next pass sends nothing more
    heads = {
        head
        for (head,) in pipeline.query(
            "select distinct head_user_id from marts.dim_departments where head_user_id is not null"
        )
    }
    sent = digests()
    assert sorted(user for user, _, _ in sent) == sorted(heads)  # all heads here work 9:00-18:00 Moscow time
    assert {sent_at for _, _, sent_at in sent} == {start.timestamp()}
    # the head of department 3 (user 4): Monday's numbers of their team, as report 1 and 2 give them
    ((name,),) = pipeline.query("select manager_name from marts.dim_managers where manager_id = 6")
    (text,) = [text for user, text, _ in sent if user == 4]
    assert text.startswith("Сводка за 2026-11-16\n")
    assert any(line.startswith(f"{name}: сделок 1, без контакта 1,") for line in text.splitlines())
