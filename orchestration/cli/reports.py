"""``b24ops report deals|calls``: report 1 and report 2 read from the marts, sliced like the dashboards.

The numbers are sums of the additive daily marts over the period (averages are sum / count, never an
average of averages); the backlog columns (at the period's end and their average over its working days)
come from ``marts.manager_deal_backlog(from, to)`` and the call-pattern flags from
``marts.manager_call_patterns(from, to)``: the same dbt-owned rules as the dashboard's, so the terminal and
Superset cannot disagree. A backlog column is NULL ("no data") where the marts hold no day of the period.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation


@dataclass(frozen=True)
class Slice:
    """Which employees a report covers: all, or the intersection of the given filters."""

    departments: tuple[int, ...] = ()  # a department includes its sub-departments
    managers: tuple[int, ...] = ()
    team: str | None = None

    def params(self) -> dict[str, Any]:
        return {
            "departments": list(self.departments) or None,
            "managers": list(self.managers) or None,
            "team": self.team,
        }


SCOPE = """
    scope as (
        select managers.manager_id, managers.manager_name, managers.department_name
        from marts.dim_managers as managers
        left join marts.dim_departments as departments on departments.department_id = managers.department_id
        where (%(departments)s::bigint[] is null
               or departments.ancestor_department_ids && %(departments)s::bigint[])
          and (%(managers)s::bigint[] is null or managers.manager_id = any(%(managers)s::bigint[]))
          and (%(team)s::text is null or managers.manager_id in (
                select teams.manager_id from marts.teams as teams where teams.team_name = %(team)s))
    )
"""

DEALS = f"""
    with {SCOPE},
    daily as (
        select manager_id,
               sum(deals_created) as deals_created,
               sum(deals_touched) as deals_touched,
               sum(deals_untouched) as deals_untouched,
               sum(response_working_minutes_sum) as response_sum,
               sum(response_working_minutes_count) as response_count,
               sum(pending_working_minutes_sum) as pending_sum
        from marts.fct_manager_daily_deals
        where report_date between %(from)s and %(to)s
        group by manager_id
    ),
    backlog as (
        select * from marts.manager_deal_backlog(%(from)s, %(to)s)
    )
    select scope.manager_id, scope.manager_name, scope.department_name,
           coalesce(daily.deals_created, 0) as deals_created,
           coalesce(daily.deals_touched, 0) as deals_touched,
           coalesce(daily.deals_untouched, 0) as deals_untouched,
           round(daily.response_sum / nullif(daily.response_count, 0), 1) as avg_response_working_minutes,
           round((daily.response_sum + daily.pending_sum) / nullif(daily.deals_created, 0), 1)
               as avg_response_incl_untouched,
           backlog.deals_with_overdue_activities,
           round(backlog.avg_deals_with_overdue_activities, 1) as avg_deals_with_overdue_activities,
           backlog.open_deals_without_planned_activities,
           round(backlog.avg_open_deals_without_planned_activities, 1)
               as avg_open_deals_without_planned_activities,
           backlog.as_of_date as backlog_as_of,
           backlog.as_of_is_exact as backlog_exact
    from scope
    left join daily on daily.manager_id = scope.manager_id
    left join backlog on backlog.manager_id = scope.manager_id
    order by {{order}} nulls last, scope.manager_name
"""

CALLS = f"""
    with {SCOPE},
    daily as (
        select manager_id,
               sum(calls_total) as calls_total,
               sum(calls_outgoing) as calls_outgoing,
               sum(calls_incoming) as calls_incoming,
               sum(calls_connected) as calls_connected,
               sum(calls_missed) as calls_missed,
               sum(talk_seconds_connected) as talk_seconds
        from marts.fct_manager_daily_calls
        where report_date between %(from)s and %(to)s
        group by manager_id
    ),
    patterns as (
        select * from marts.manager_call_patterns(%(from)s, %(to)s)
    )
    select scope.manager_id, scope.manager_name, scope.department_name,
           coalesce(daily.calls_total, 0) as calls_total,
           coalesce(daily.calls_outgoing, 0) as calls_outgoing,
           coalesce(daily.calls_incoming, 0) as calls_incoming,
           coalesce(daily.calls_connected, 0) as calls_connected,
           coalesce(daily.calls_missed, 0) as calls_missed,
           patterns.connect_rate,
           patterns.average_talk_seconds,
           coalesce(daily.talk_seconds, 0) as talk_seconds_total,
           coalesce(patterns.dials_a_lot_rarely_connects, false) as dials_a_lot_rarely_connects,
           coalesce(patterns.connects_but_cannot_hold, false) as connects_but_cannot_hold
    from scope
    left join daily on daily.manager_id = scope.manager_id
    left join patterns on patterns.manager_id = scope.manager_id
    order by {{order}} nulls last, scope.manager_name
"""

REPORTS = {"deals": DEALS, "calls": CALLS}
DEFAULT_ORDER = {"deals": "avg_response_incl_untouched", "calls": "calls_total"}


@dataclass(frozen=True)
class Report:
    columns: list[str]
    rows: list[tuple[Any, ...]]


def run_report(
    location: WarehouseLocation,
    kind: str,
    first_day: date,
    last_day: date,
    scope: Slice,
    sort: str | None = None,
) -> Report:
    """Run report ``kind`` (deals | calls), sorted descending by ``sort`` (a column of the report)."""
    query = REPORTS[kind]
    conn = connect(location)
    try:
        with conn.cursor() as cur:
            # Column names come from the query itself, so a sort key can only ever be one of them.
            cur.execute(
                query.replace("{order}", "1") + " limit 0",
                {"from": first_day, "to": last_day, **scope.params()},
            )
            columns = [column.name for column in cur.description]
            order = sort or DEFAULT_ORDER[kind]
            if order not in columns:
                raise ValueError(f"cannot sort by {order!r}; columns: {', '.join(columns)}")
            cur.execute(
                query.replace("{order}", f"{order} desc"),
                {"from": first_day, "to": last_day, **scope.params()},
            )
            return Report(columns, list(cur.fetchall()))
    finally:
        conn.close()


def portal_today(time_zone: str) -> date:
    """Today in the portal's ``time_zone`` (B24_PORTAL_TIME_ZONE): the day its daily partitions call today."""
    return datetime.now(ZoneInfo(time_zone)).date()


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value.isoformat() if isinstance(value, date) else value


def as_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(report.columns)
    writer.writerows([[_plain(v) for v in row] for row in report.rows])
    return buffer.getvalue()


def as_json(report: Report) -> str:
    return json.dumps(
        [{c: _plain(v) for c, v in zip(report.columns, row, strict=True)} for row in report.rows],
        ensure_ascii=False,
        indent=1,
    )
