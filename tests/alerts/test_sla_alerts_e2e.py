"""SLA alerts end to end: portal (emulator over HTTP) → Dagster sync → dbt marts.sla_alerts → the Dagster
delivery asset → the emulator's outbox. Each test moves the same pipeline forward in time."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import dagster as dg
import pytest

from bitrix24_emulator.server import Webhook
from bitrix24_emulator.server.auth import ALL_SCOPES
from bitrix24_emulator.testing import running_emulator
from orchestration.alerts import state
from orchestration.alerts.digest import UNTOUCHED_LISTED
from orchestration.alerts.sla import delivery_key, listed_alerts
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.raw_load import load_versions
from orchestration.warehouse.raw_tables import RAW_ENTITIES
from testkit.dbt import run_dbt
from tests.alerts.conftest import NEW_DEALS, TOUCHED, TOUCHED_LATER, Pipeline, at

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


def test_a_deal_touched_in_time_never_alerts(pipeline: Pipeline) -> None:
    later = at("2026-11-16T11:31:00+03:00")  # past both levels, had deal 9007 stayed untouched
    pipeline.rebuild(later)
    assert pipeline.query(
        'select first_touch_kind, response_working_minutes from marts."managerControl_Deal" '
        "where deal_id = 9007"
    ) == [("deal_edit", 5)]
    assert pipeline.query("select * from marts.sla_alerts where request_id = 9007") == []
    assert pipeline.deliver(later).success
    assert pipeline.messages_about(9007) == [] and ledger(pipeline, 9007) == []


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


def test_a_pass_reads_the_due_levels_and_the_ledgers_open_ones_not_the_whole_mart(pipeline: Pipeline) -> None:
    levels = pipeline.query("select request_type, request_id, alert_level, is_due from marts.sla_alerts")
    keys = {delivery_key(kind, request, level): is_due for kind, request, level, is_due in levels}
    due = {key for key, is_due in keys.items() if is_due}
    waiting = sorted(key for key, is_due in keys.items() if not is_due)
    assert due and len(waiting) >= 2  # the state this test needs: due levels, and levels not due yet
    held, *unread = waiting
    _, request_type, request_id, level = held.split(":")
    conn = connect(pipeline.location)
    try:
        state.ensure_table(conn)
        # an open ledger row whose level is not due at this snapshot (e.g. held since before a re-setting)
        with conn.cursor() as cur:
            cur.execute(
                "insert into alerts.deliveries (delivery_key, kind, request_type, request_id, alert_level,"
                " recipient_id, due_at, status) values (%s, 'sla', %s, %s, %s, 1, now(), 'held')",
                (held, request_type, int(request_id), int(level)),
            )
        conn.commit()
        try:
            listed = listed_alerts(conn)
        finally:
            with conn.cursor() as cur:
                cur.execute("delete from alerts.deliveries where delivery_key = %s", (held,))
            conn.commit()
    finally:
        conn.close()
    assert set(listed) == due | {held}
    assert not set(unread) & set(listed)


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

    # the fired employee: the portal creates no notification (result false, as for a user it does not
    # know) — failed, and said so in the run and in its metadata (the Dagster UI)
    result = pipeline.deliver(now + MINUTE)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message
    assert "sla:deal:9005:1" in failure and "no notification created for user 8" in failure
    assert "the next run retries" in failure
    assert ledger(pipeline, 9005) == [(1, "failed", 8)]
    assert pipeline.messages_about(9005) == []
    # the scope is back: the next run sends the failed alert, once
    ((user, _, _),) = pipeline.messages_about(9004)
    assert user == 9 and ledger(pipeline, 9004)[0][1] == "sent"


# a manager's line of the digest and its totals line, per language (orchestration/alerts/messages.py)
DIGEST_LINE = {
    "ru": re.compile(
        r"^(?P<name>.+): сделок (?P<created>\d+), без контакта (?P<untouched>\d+), ср\. реакция "
        r"(?P<response>\S+) раб\. мин; звонков (?P<calls>\d+), соединённых \(все направления\) "
        r"(?P<connected>\d+), доля дозвонов (?P<rate>.+? \(\d+ из \d+ исходящих\))"
    ),
    "en": re.compile(
        r"^(?P<name>.+): deals (?P<created>\d+), untouched (?P<untouched>\d+), avg response "
        r"(?P<response>\S+) working min; calls (?P<calls>\d+), connected \(all directions\) "
        r"(?P<connected>\d+), connect rate (?P<rate>.+? \(\d+ of \d+ outgoing\))"
    ),
}
# a connect rate as the digest prints it, with the two counts it divides: "12.5 % (4 of 32 outgoing)"
RATE = {
    "ru": re.compile(r"^(?P<percent>—|\S+ %) \((?P<top>\d+) из (?P<bottom>\d+) исходящих\)$"),
    "en": re.compile(r"^(?P<percent>—|\S+ %) \((?P<top>\d+) of (?P<bottom>\d+) outgoing\)$"),
}


def printed_rate(text: str, language: str) -> tuple[Decimal | None, tuple[int, int] | None]:
    """(percent, (numerator, denominator)) of a printed rate; a bare "—" has no counts (no baseline)."""
    if text == "—":
        return None, None
    match = RATE[language].match(text)
    assert match, text
    value = None if match["percent"] == "—" else Decimal(match["percent"][:-2])
    return value, (int(match["top"]), int(match["bottom"]))


def as_percent(fraction: Any) -> Decimal | None:
    """A 0-1 fraction as report 2 shows it: a percentage, one decimal, halves up."""
    return None if fraction is None else rounded(Decimal(str(fraction)) * 100, "0.1")


# the totals line: (new deals, untouched, calls, connected in any direction, outgoing attempts, outgoing
# connected), the call counts named as report 2 names them
DIGEST_TOTALS = {
    "ru": re.compile(
        r"^Сделок новых: (\d+), без контакта: (\d+)\. Звонков: (\d+), соединённых \(все направления\): "
        r"(\d+); исходящих попыток: (\d+), исходящих соединённых: (\d+)\.$"
    ),
    "en": re.compile(
        r"^New deals: (\d+), untouched: (\d+)\. Calls: (\d+), connected \(all directions\): (\d+); "
        r"outgoing attempts: (\d+), outgoing connected: (\d+)\.$"
    ),
}
DIGEST_TITLE = {"ru": "Сводка за {day}", "en": "Summary for {day}"}
DIGEST_FLAGS = {  # report 2's pattern flags as the digest names them
    "ru": {
        "dials_a_lot_rarely_connects": "много набирает, редко дозванивается",
        "connects_but_cannot_hold": "дозванивается, но не удерживает",
    },
    "en": {
        "dials_a_lot_rarely_connects": "dials a lot, rarely connects",
        "connects_but_cannot_hold": "connects but cannot hold the client",
    },
}


def digests(pipeline: Pipeline, language: str, day: date) -> list[tuple[int | None, str, float]]:
    title = DIGEST_TITLE[language].format(day=day.isoformat())
    return [
        (d.user_id, d.message, d.sent_at)
        for d in pipeline.emulator.outbox()
        if d.message.split("\n", 1)[0] == title
    ]


def cli_report(pipeline: Pipeline, kind: str, day: date, departments: list[int]) -> list[dict[str, Any]]:
    """``b24ops report KIND`` for one day and a department tree, as JSON (the user's own command)."""
    env = {**os.environ, "WAREHOUSE_URL": pipeline.location.libpq_url()}
    scope = [arg for department in departments for arg in ("--department", str(department))]
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "report", kind, "--from", day.isoformat(),
         "--to", day.isoformat(), *scope, "--format", "json"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def assert_digest_is_the_reports(
    pipeline: Pipeline, head: int, text: str, day: date, language: str
) -> list[int]:
    """Every number of ``head``'s digest equals report 1 and report 2 (the CLI) of their department tree
    for ``day``, and the new deals add up to the deal mart's count for that tree."""
    departments = [
        department
        for (department,) in pipeline.query(
            "select department_id from marts.dim_departments where head_user_id = %s", (head,)
        )
    ]
    deals = {row["manager_name"]: row for row in cli_report(pipeline, "deals", day, departments)}
    calls = {row["manager_id"]: row for row in cli_report(pipeline, "calls", day, departments)}
    lines = text.splitlines()
    managers = {m["name"]: m for m in map(DIGEST_LINE[language].match, lines) if m}
    assert set(managers) == set(deals) and deals  # one line per manager of the tree, no one else
    for name, line in managers.items():
        deal = deals[name]
        call = calls.get(deal["manager_id"], {})
        response = deal["avg_response_incl_untouched"]
        assert (
            int(line["created"]),
            int(line["untouched"]),
            None if line["response"] == "—" else Decimal(line["response"]),
            int(line["calls"]),
            int(line["connected"]),
            printed_rate(line["rate"], language),
        ) == (
            deal["deals_created"],
            deal["deals_untouched"],
            None if response is None else Decimal(str(response)),
            call.get("calls_total", 0),
            call.get("calls_connected", 0),
            # report 2's connect rate with its numerator and denominator (#19 point 2)
            (
                as_percent(call.get("connect_rate")),
                (call.get("calls_outgoing_connected", 0), call.get("calls_outgoing", 0)),
            ),
        ), name
        for flag, words in DIGEST_FLAGS[language].items():
            assert (words in line.string) == bool(call.get(flag)), (name, flag)
    (totals,) = [m for m in map(DIGEST_TOTALS[language].match, lines) if m]
    ((created,),) = pipeline.query(
        """select count(*) from marts."managerControl_Deal" as deals
           join marts.dim_managers as managers on managers.manager_id = deals.responsible_id
           join marts.dim_departments as departments on departments.department_id = managers.department_id
           where deals.created_date = %s and departments.ancestor_department_ids && %s::bigint[]""",
        (day, departments),
    )
    assert int(totals[1]) == created == sum(row["deals_created"] for row in deals.values())
    assert [int(count) for count in totals.groups()[2:]] == [
        sum(row.get(column, 0) for row in calls.values())
        for column in ("calls_total", "calls_connected", "calls_outgoing", "calls_outgoing_connected")
    ]
    return departments


# the digest's headline lines and untouched requests, per language (orchestration/alerts/messages.py)
HEADLINE_LINE = {
    "ru": re.compile(
        r"^(?P<metric>[^:]+): (?P<value>[^,]+), обычно (?P<baseline>.+) \((?P<change>[^()]+)\)$"
    ),
    "en": re.compile(
        r"^(?P<metric>[^:]+): (?P<value>[^,]+), usually (?P<baseline>.+) \((?P<change>[^()]+)\)$"
    ),
}
HEADLINE_METRICS = {
    "ru": ["новых сделок", "ср. реакция, раб. мин", "звонки", "доля дозвонов"],
    "en": ["new deals", "avg response, working min", "calls", "connect rate"],
}
UNTOUCHED_TOTAL = {
    "ru": re.compile(r"^Без контакта сейчас: (\d+)\.$"),
    "en": re.compile(r"^Still untouched: (\d+)\.$"),
}
UNTOUCHED_LINE = {
    "ru": re.compile(r"^№(?P<id>\d+) «.*»: (?P<name>.+), ждёт (?P<minutes>\S+) раб\. мин$"),
    "en": re.compile(r'^#(?P<id>\d+) ".*": (?P<name>.+), waiting (?P<minutes>\S+) working min$'),
}
# the same weekday's sums over a department tree, the day itself apart from the 4 weeks before it
WEEKDAY_SUMS = """
    with managers as (
        select managers.manager_id from marts.dim_managers as managers
        join marts.dim_departments as departments on departments.department_id = managers.department_id
        where departments.ancestor_department_ids && %(departments)s::bigint[]
    ),
    deals as (
        select report_date = %(day)s as is_day, count(distinct report_date) as days, sum(deals_created),
            sum(response_working_minutes_sum) + sum(pending_working_minutes_sum)
        from marts.fct_manager_daily_deals
        where manager_id in (select manager_id from managers)
            and (%(day)s - report_date) in (0, 7, 14, 21, 28)
        group by 1
    ),
    calls as (
        select report_date = %(day)s as is_day, count(distinct report_date) as days, sum(calls_total),
            sum(calls_outgoing_connected), sum(calls_outgoing)
        from marts.fct_manager_daily_calls
        where manager_id in (select manager_id from managers)
            and (%(day)s - report_date) in (0, 7, 14, 21, 28)
        group by 1
    )
    select * from deals full join calls using (is_day)
"""
UNTOUCHED_IN_TREE = """
    select deals.deal_id, managers.manager_name, deals.pending_working_minutes
    from marts."managerControl_Deal" as deals
    join marts.dim_departments as departments on departments.department_id = deals.department_id
    left join marts.dim_managers as managers on managers.manager_id = deals.responsible_id
    where deals.is_untouched and deals.is_open and departments.ancestor_department_ids && %s::bigint[]
    order by deals.created_at, deals.deal_id
"""


def rounded(value: Decimal | None, places: str) -> Decimal | None:
    return None if value is None else value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def expected_headline(pipeline: Pipeline, day: date, departments: list[int]) -> list[tuple[Any, ...]]:
    """The 4-week comparison computed here from the marts' sums, per metric: (value, its numerator and
    denominator, baseline, its numerator and denominator, change %); the counts for the connect rate only,
    whose value and baseline the digest prints as percentages."""
    sums = {row[0]: row[1:] for row in pipeline.query(WEEKDAY_SUMS, {"day": day, "departments": departments})}
    zero = (None, None, None, None, None, None, None)
    _, created, waited, _, calls, connected, outgoing = sums.get(True, zero)
    (
        weeks_deal_days,
        weeks_created,
        weeks_waited,
        weeks_call_days,
        weeks_calls,
        weeks_connected,
        weeks_outgoing,
    ) = sums.get(False, zero)

    def ratio(top: Any, bottom: Any, places: str) -> Decimal | None:
        return None if top is None or not bottom else rounded(Decimal(top) / Decimal(bottom), places)

    metrics = [
        (Decimal(created or 0), ratio(weeks_created, weeks_deal_days, "0.1")),
        (ratio(waited, created, "0.1"), ratio(weeks_waited, weeks_created, "0.1")),
        (Decimal(calls or 0), ratio(weeks_calls, weeks_call_days, "0.1")),
        (ratio(connected, outgoing, "0.0001"), ratio(weeks_connected, weeks_outgoing, "0.0001")),
    ]
    changes = [
        None if value is None or not baseline else rounded((value - baseline) * 100 / baseline, "0.1")
        for value, baseline in metrics
    ]
    expected = [
        (value, None, baseline, None, change)
        for (value, baseline), change in zip(metrics[:3], changes[:3], strict=True)
    ]
    rate, weeks_rate = metrics[3]
    day_counts = (int(connected or 0), int(outgoing or 0))
    weeks_counts = (int(weeks_connected), int(weeks_outgoing)) if weeks_call_days else None
    return [*expected, (as_percent(rate), day_counts, as_percent(weeks_rate), weeks_counts, changes[3])]


def number(text: str) -> Decimal | None:
    return None if text == "—" else Decimal(text)


def assert_headline_and_untouched(
    pipeline: Pipeline, text: str, day: date, departments: list[int], language: str
) -> list[int]:
    """The digest's 4-week comparison equals one computed here from the marts for the head's tree, and its
    untouched requests are the deal mart's open untouched deals of the tree, the oldest first. Returns the
    ids of all of those deals."""
    lines = text.splitlines()
    headline = [m for m in map(HEADLINE_LINE[language].match, lines) if m]
    assert [m["metric"] for m in headline] == HEADLINE_METRICS[language]
    printed = [(number(m["value"]), None, number(m["baseline"]), None) for m in headline[:3]] + [
        (*printed_rate(headline[3]["value"], language), *printed_rate(headline[3]["baseline"], language))
    ]
    printed = [
        (*numbers, None if m["change"] == "—" else Decimal(m["change"][:-2]))
        for numbers, m in zip(printed, headline, strict=True)
    ]
    assert printed == expected_headline(pipeline, day, departments)

    untouched = pipeline.query(UNTOUCHED_IN_TREE, (departments,))
    (total,) = [int(m[1]) for m in map(UNTOUCHED_TOTAL[language].match, lines) if m]
    assert total == len(untouched)
    listed = [
        (int(m["id"]), m["name"], Decimal(m["minutes"]))
        for m in map(UNTOUCHED_LINE[language].match, lines)
        if m
    ]
    assert listed == [(deal, name, Decimal(minutes)) for deal, name, minutes in untouched[:UNTOUCHED_LISTED]]
    return [deal for deal, _, _ in untouched]


def new_deals_untouched_by(pipeline: Pipeline, departments: list[int]) -> set[int]:
    """The portal's truth for the hand-placed deals (all synced by the fixture, whatever the mart's snapshot):
    never touched by their responsible (9007 from the start, 9008 once a test loaded its later edit:
    touched_later), the responsible in the head's tree."""
    in_tree = {
        str(manager)
        for (manager,) in pipeline.query(
            """select managers.manager_id from marts.dim_managers as managers
               join marts.dim_departments as departments on departments.department_id = managers.department_id
               where departments.ancestor_department_ids && %s::bigint[]""",
            (departments,),
        )
    }
    return {
        deal
        for deal, (responsible, _) in NEW_DEALS.items()
        if deal not in {*TOUCHED, *TOUCHED_LATER} and responsible in in_tree
    }


def heads(pipeline: Pipeline) -> list[int]:
    return sorted(
        head
        for (head,) in pipeline.query(
            "select distinct head_user_id from marts.dim_departments where head_user_id is not null"
        )
    )


def failed_only_for_the_fired_employee(result: dg.ExecuteInProcessResult) -> bool:
    """The run's only failure is the fired employee's alert, retried (and refused) on every run."""
    failures = [e.step_failure_data.error.message for e in result.all_events if e.is_step_failure]
    return all(set(re.findall(r"sla:deal:\d+:\d", m)) == {"sla:deal:9005:1"} for m in failures)


def touched_later(pipeline: Pipeline, deal_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Deal ``deal_id``'s version as the fixture synced it (untouched) and as its responsible edits it at
    ``TOUCHED_LATER[deal_id]``."""
    ((untouched,),) = pipeline.query(
        "select payload from raw.deals where id = %s and change_stamp = %s",
        (deal_id, at(NEW_DEALS[deal_id][1])),
    )
    responsible = NEW_DEALS[deal_id][0]
    return untouched, {**untouched, "DATE_MODIFY": TOUCHED_LATER[deal_id], "MODIFY_BY_ID": responsible}


def load_deal_versions(pipeline: Pipeline, *versions: dict[str, Any]) -> None:
    """Each version into raw.deals as a run loads it (its own commit), in this order."""
    conn = connect(pipeline.location)
    try:
        for version in versions:
            load_versions(
                conn,
                RAW_ENTITIES["deals"],
                portal_id="default",
                partition_key=version["DATE_MODIFY"][:10],
                records=[version],
            )
            conn.commit()
    finally:
        conn.close()


def test_touched_after_level_1_no_escalation_even_when_a_late_run_loads_the_older_version(
    pipeline: Pipeline,
) -> None:
    crossed = at("2026-11-17T14:16:00+03:00")
    pipeline.rebuild(crossed)
    assert failed_only_for_the_fired_employee(pipeline.deliver(crossed))
    assert [user for user, _, _ in pipeline.messages_about(9008)] == [7]
    # the responsible edits the deal at 14:20; a run reads the new version, then a late run (it read the
    # portal before the edit) loads the older one after it — the newer version must stay the current one
    untouched, touched = touched_later(pipeline, 9008)
    load_deal_versions(pipeline, touched, untouched)
    escalation_due = at("2026-11-17T14:31:00+03:00")
    pipeline.rebuild(escalation_due, staging=True)
    assert pipeline.query("select modified_at from staging.stg_bitrix24__deals where deal_id = 9008") == [
        (at("2026-11-17T14:20:00+03:00"),)
    ]
    assert pipeline.query("select * from marts.sla_alerts where request_id = 9008") == []
    assert failed_only_for_the_fired_employee(pipeline.deliver(escalation_due))
    assert [user for user, _, _ in pipeline.messages_about(9008)] == [7]  # no escalation to the head
    assert ledger(pipeline, 9008) == [(1, "sent", 7)]


def rebuild_for_the_digests(pipeline: Pipeline, snapshot: datetime) -> None:
    """The deal mart as a morning's pass at ``snapshot`` sees it (the untouched requests), on the portal
    new_deals_untouched_by knows: deal 9008 touched (stored already if test_touched_after_level_1... ran)."""
    _, touched = touched_later(pipeline, 9008)
    load_deal_versions(pipeline, touched)
    pipeline.rebuild(snapshot, staging=True)


def test_morning_digest_once_per_head_at_the_start_of_their_working_day(pipeline: Pipeline) -> None:
    monday = date(2026, 11, 16)
    start = at("2026-11-17T09:00:00+03:00")
    rebuild_for_the_digests(pipeline, start)
    assert pipeline.digest(at("2026-11-17T07:00:00+03:00")).success  # before anyone works: nothing
    assert digests(pipeline, "ru", monday) == []
    assert pipeline.digest(start).success
    assert pipeline.digest(start + 15 * MINUTE).success  # the next pass sends nothing more
    sent = digests(pipeline, "ru", monday)
    assert sorted(user for user, _, _ in sent) == heads(pipeline)  # all heads work 9:00-18:00 Moscow time
    assert {sent_at for _, _, sent_at in sent} == {start.timestamp()}
    for head, text, _ in sent:
        departments = assert_digest_is_the_reports(pipeline, head, text, monday, "ru")
        untouched = assert_headline_and_untouched(pipeline, text, monday, departments, "ru")
        assert set(untouched) & set(NEW_DEALS) == new_deals_untouched_by(pipeline, departments)
    # the head of department 3 (user 4): Monday's deals 9001 (untouched) and 9007 (touched) of user 6
    ((name,),) = pipeline.query("select manager_name from marts.dim_managers where manager_id = 6")
    (text,) = [text for user, text, _ in sent if user == 4]
    assert any(line.startswith(f"{name}: сделок 2, без контакта 1,") for line in text.splitlines())


@contextmanager
def languages_set(
    pipeline: Pipeline, department: int, department_language: str, user: int, user_language: str
) -> Iterator[None]:
    """A BI user's settings, as ``dbt seed`` loads them from the two seeds: ``department_language`` for a
    department's tree (sla_alert_settings.language), ``user_language`` for one employee
    (alert_recipient_settings). marts.alert_recipients is a table built from them, rebuilt here as the next
    pipeline run would."""
    statements = [
        (
            "update marts.sla_alert_settings set language = %s where department_id = %s",
            (department_language, department),
        ),
        (
            "insert into marts.alert_recipient_settings (user_id, language) values (%s, %s)",
            (user, user_language),
        ),
    ]
    undo = [
        ("update marts.sla_alert_settings set language = null where department_id = %s", (department,)),
        ("delete from marts.alert_recipient_settings where user_id = %s", (user,)),
    ]
    conn = connect(pipeline.location)
    try:
        with conn.cursor() as cur:
            for sql, params in statements:
                cur.execute(sql, params)
                assert cur.rowcount == 1, sql
        conn.commit()
        run_dbt(pipeline.location, "run", "--select", "alert_recipients")
        yield
    finally:
        with conn.cursor() as cur:
            for sql, params in undo:
                cur.execute(sql, params)
        conn.commit()
        conn.close()
        run_dbt(pipeline.location, "run", "--select", "alert_recipients")


def test_digest_of_the_next_working_day_in_each_heads_language_equals_the_reports(pipeline: Pipeline) -> None:
    """Language per recipient: the root department's row says English (so every head's tree), one head's own
    row says Russian and wins; the product's default (Russian here) is not used. Each head's digest, as the
    emulator recorded it, is in their language and its numbers equal the reports."""
    tuesday = date(2026, 11, 17)
    start = at("2026-11-18T09:00:00+03:00")
    rebuild_for_the_digests(pipeline, start)
    everyone = heads(pipeline)
    assert len(everyone) >= 2
    russian = everyone[0]
    mondays = len(digests(pipeline, "ru", date(2026, 11, 16)))  # sent by the morning's test, if it ran
    # the fired employee's alert is retried on every SLA pass (and refused); the ledger keeps the text
    # each attempt rendered: Russian after this pass, the product's default
    pipeline.deliver(start, language="ru")
    fired = "select message from alerts.deliveries where delivery_key = 'sla:deal:9005:1'"
    ((message,),) = pipeline.query(fired)
    assert message.startswith("Сделка «Заявка 9005» (№9005) ждёт") and russian != 8
    with languages_set(pipeline, department=1, department_language="en", user=russian, user_language="ru"):
        assert pipeline.digest(start, language="ru").success
        assert pipeline.digest(start + 15 * MINUTE, language="ru").success
        pipeline.deliver(start, language="ru")  # SLA alerts follow the same rule: user 8 reads English now
    ((message,),) = pipeline.query(fired)
    assert message.startswith('Deal "Заявка 9005" (#9005) has waited')
    sent = {"en": digests(pipeline, "en", tuesday), "ru": digests(pipeline, "ru", tuesday)}
    assert [user for user, _, _ in sent["ru"]] == [russian]
    assert sorted(user for user, _, _ in sent["en"]) == everyone[1:]  # one per head on the second day too
    for language, texts in sent.items():
        for head, text, _ in texts:
            departments = assert_digest_is_the_reports(pipeline, head, text, tuesday, language)
            untouched = assert_headline_and_untouched(pipeline, text, tuesday, departments, language)
            assert set(untouched) & set(NEW_DEALS) == new_deals_untouched_by(pipeline, departments)
    assert len(digests(pipeline, "ru", date(2026, 11, 16))) == mondays  # Monday's were not sent again
