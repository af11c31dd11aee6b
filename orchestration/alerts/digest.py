"""The morning digest: each head of department gets, once per day at the start of their working day, report 1
and report 2 of their last working day for their department tree — the same queries as ``b24ops report``
(orchestration/reports.py), so the digest and the reports cannot disagree — then the headline numbers
against the same weekday of the previous 4 weeks and the requests still untouched in the tree, both from dbt's
functions (marts.department_headline, marts.department_untouched).

A head is anyone named ``UF_HEAD`` of a department; heading several departments gives one digest over all of
them. The digest is put in the ledger only by a pass that finds the head working: the first pass of their
working day sends it; the key ``digest:<day>:<head>`` keeps it to one. It is written in the head's language
(``marts.alert_recipients``, else the product's alert language), from the one set of templates.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from psycopg2.extensions import connection as Connection

from orchestration.alerts import state
from orchestration.alerts.delivery import Outcome, deliver_open
from orchestration.alerts.messages import digest_text
from orchestration.alerts.recipients import availability, recipient_languages
from orchestration.bitrix24 import Bitrix24Client
from orchestration.reports import Slice, run_report
from orchestration.warehouse.location import WarehouseLocation

KIND = "digest"

_HEADS = """
    select head_user_id, array_agg(department_id order by department_id)
    from marts.dim_departments where head_user_id is not null group by head_user_id
"""

# the portal-zone day of the head's last working interval that started before today
_LAST_WORKING_DAY = """
    select (max(interval_start) at time zone %(zone)s)::date from intermediate.int_working_intervals
    where user_id = %(user)s and interval_start < %(today)s
"""


# the morning digest's headline numbers against the previous 4 weeks, and its untouched requests: dbt's
# functions (dbt_project/macros/reports/digest_functions.sql), the rules in docs/metrics.md
_HEADLINE = "select * from marts.department_headline(%(day)s, %(departments)s::bigint[])"
_UNTOUCHED = "select * from marts.department_untouched(%(departments)s::bigint[], %(limit)s)"
# how many of the oldest untouched requests the digest lists (the total count is always given)
UNTOUCHED_LISTED = 10


def _rows(conn: Connection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        columns = [column.name for column in cur.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
    conn.commit()
    return rows


def delivery_key(day: date, head_id: int) -> str:
    return f"{KIND}:{day.isoformat()}:{head_id}"


def _heads(conn: Connection) -> dict[int, list[int]]:
    with conn.cursor() as cur:
        cur.execute(_HEADS)
        heads = {int(head): list(departments) for head, departments in cur.fetchall()}
    conn.commit()
    return heads


def _last_working_day(conn: Connection, head_id: int, now: datetime, zone: str) -> date | None:
    today = datetime.combine(now.astimezone(ZoneInfo(zone)).date(), time(0), ZoneInfo(zone))
    with conn.cursor() as cur:
        cur.execute(_LAST_WORKING_DAY, {"zone": zone, "user": head_id, "today": today})
        (day,) = cur.fetchone()
    conn.commit()
    return day


def run_digests(
    conn: Connection,
    location: WarehouseLocation,
    client: Bitrix24Client,
    now: datetime,
    zone: str,
    default_language: str,
    dashboard_url: str = "",
) -> Outcome:
    heads = _heads(conn)
    language_of = recipient_languages(conn, default_language)
    due: list[dict[str, Any]] = []
    for head_id in heads:
        if not availability(conn, head_id, now).working:
            continue
        day = _last_working_day(conn, head_id, now, zone)
        if day is not None:
            due.append(
                {
                    "delivery_key": delivery_key(day, head_id),
                    "kind": KIND,
                    "request_type": None,
                    "request_id": None,
                    "alert_level": None,
                    "recipient_id": head_id,
                    "due_at": now,
                }
            )
    state.enqueue(conn, due)

    def render(row: dict[str, Any]) -> str | None:
        _, day_text, head_text = row["delivery_key"].split(":")
        departments = heads.get(int(head_text))
        if departments is None:  # no longer heads a department
            return None
        day = date.fromisoformat(day_text)
        scope = Slice(departments=tuple(departments))
        deals = run_report(location, "deals", day, day, scope, sort="deals_created")
        calls = run_report(location, "calls", day, day, scope)
        params = {"day": day, "departments": departments, "limit": UNTOUCHED_LISTED}
        headline = _rows(conn, _HEADLINE, params)
        untouched = _rows(conn, _UNTOUCHED, params)
        language = language_of(int(head_text))
        return digest_text(day, deals, calls, language, dashboard_url, headline=headline, untouched=untouched)

    return deliver_open(conn, client, KIND, render, now)
