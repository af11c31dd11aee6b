"""``b24ops report deals|requests|leads|calls``: report 1 (per deal, per request or per lead) and report 2
from the marts, sliced like the dashboards. ``requests`` counts request chains — a lead with the deal
converted from it, a lead alone, a deal without a lead (docs/metrics.md "Requests") — with the lead outcomes
beside them; ``leads`` the lead conversion (converted, junk, in work) and the lead backlog at the period's
end.

Every number comes from a SQL function dbt creates in the marts schema (macros/reports/): report 1 from
``marts.manager_deal_handling(from, to)`` and ``marts.manager_deal_backlog(from, to)`` (the backlog at the
period's end and its average over the working days), report 2 from ``marts.manager_call_traffic(from, to)``,
the department subtotals from ``marts.department_deal_handling`` / ``department_call_traffic(from, to,
managers)`` and the call-pattern flags from ``marts.manager_call_patterns(from, to)``, the department filter
from ``marts.department_subtree(ids)``; the requests and leads reports from
``marts.manager_request_handling(from, to)``, ``marts.manager_lead_outcomes(from, to)`` and
``marts.manager_lead_backlog(day)``, their department subtotals from ``marts.department_request_handling`` /
``department_lead_outcomes(from, to, managers)``: the dashboards use the same functions and formulas, so the
terminal and Superset cannot disagree. A department is named by ``dim_departments.department_label``. A
backlog column is NULL ("no data") where the marts hold no day of the period.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation


@dataclass(frozen=True)
class Slice:
    """Which employees a report covers: the intersection of the given filters; without any filter the
    sales report's people (``dim_managers.is_in_sales_report``, dbt's rule); everyone with ``all_staff``."""

    departments: tuple[int, ...] = ()  # a department includes its sub-departments
    managers: tuple[int, ...] = ()
    team: str | None = None
    all_staff: bool = False

    @property
    def sales_only(self) -> bool:
        """Whether the sales-report default applies: no one was chosen by name, department or team."""
        return not (self.all_staff or self.departments or self.managers or self.team)

    def params(self) -> dict[str, Any]:
        return {
            "departments": list(self.departments) or None,
            "managers": list(self.managers) or None,
            "team": self.team,
            "sales_only": self.sales_only,
        }


# Who is in the slice; the department rule ("includes its sub-departments") is dbt's
# marts.department_subtree(ids), the same the dashboards call.
SCOPE = """
    scope as (
        -- manager_name is dim_managers' unique display name: the name, with the department where it repeats;
        -- the department as dim_departments labels it (its name, its path where two share the name)
        select managers.manager_id, managers.manager_display_name as manager_name,
               departments.department_label as department_name
        from marts.dim_managers as managers
        left join marts.dim_departments as departments on departments.department_id = managers.department_id
        where (%(departments)s::bigint[] is null
               or managers.department_id in (select marts.department_subtree(%(departments)s::bigint[])))
          and (%(managers)s::bigint[] is null or managers.manager_id = any(%(managers)s::bigint[]))
          and (%(team)s::text is null or managers.manager_id in (
                select teams.manager_id from marts.teams as teams where teams.team_name = %(team)s))
          and (not %(sales_only)s or managers.is_in_sales_report)
    )
"""


# The numbers are dbt's report functions over the period (macros/reports/report_functions.sql); this
# module only slices, rounds and sorts them.
def _per_manager(columns: str, *functions: tuple[str, str]) -> str:
    """One row per manager of the report's scope, ``columns`` read from the dbt functions ``functions``
    (``(alias, call)`` pairs, each left-joined on the manager), sorted by ``{order}``."""
    joins = "".join(
        f"""
    left join marts.{call} as {alias} on {alias}.manager_id = scope.manager_id"""
        for alias, call in functions
    )
    return f"""
    with {SCOPE}
    select scope.manager_id, scope.manager_name, scope.department_name,
           {columns}
    from scope{joins}
    order by {{order}} nulls last, scope.manager_name
"""


PERIOD = "(%(from)s, %(to)s)"

DEALS = _per_manager(
    """coalesce(handling.deals_created, 0) as deals_created,
           coalesce(handling.deals_touched, 0) as deals_touched,
           coalesce(handling.deals_untouched, 0) as deals_untouched,
           round(handling.avg_response_working_minutes, 1) as avg_response_working_minutes,
           round(handling.avg_response_incl_untouched, 1) as avg_response_incl_untouched,
           backlog.deals_with_overdue_activities,
           round(backlog.avg_deals_with_overdue_activities, 1) as avg_deals_with_overdue_activities,
           backlog.open_deals_without_planned_activities,
           round(backlog.avg_open_deals_without_planned_activities, 1)
               as avg_open_deals_without_planned_activities,
           backlog.as_of_date as backlog_as_of,
           backlog.as_of_is_exact as backlog_exact""",
    ("handling", f"manager_deal_handling{PERIOD}"),
    ("backlog", f"manager_deal_backlog{PERIOD}"),
)

# Each rate stands right after the two sums it divides: connect rate = outgoing connected / outgoing
# attempts (incoming calls are in neither), average talk = talk seconds / connected (any direction).
CALLS = _per_manager(
    """coalesce(traffic.calls_total, 0) as calls_total,
           coalesce(traffic.calls_incoming, 0) as calls_incoming,
           coalesce(traffic.calls_missed, 0) as calls_missed,
           coalesce(traffic.calls_outgoing, 0) as calls_outgoing,
           coalesce(traffic.calls_outgoing_connected, 0) as calls_outgoing_connected,
           traffic.connect_rate,
           coalesce(traffic.calls_connected, 0) as calls_connected,
           coalesce(traffic.talk_seconds_connected, 0) as talk_seconds_total,
           traffic.average_talk_seconds,
           coalesce(patterns.dials_a_lot_rarely_connects, false) as dials_a_lot_rarely_connects,
           coalesce(patterns.connects_but_cannot_hold, false) as connects_but_cannot_hold,
           coalesce(patterns.is_flagged, false) as is_flagged,
           patterns.pattern_reason""",
    ("traffic", f"manager_call_traffic{PERIOD}"),
    ("patterns", f"manager_call_patterns{PERIOD}"),
)

# The requests report's columns, per manager and per department alike (a side with no row in the period is
# zeros): "handling" is the request-handling function, "outcomes" the lead-outcomes one.
REQUEST_COLUMNS = """coalesce(handling.requests_created, 0) as requests_created,
           coalesce(handling.arrived_as_leads, 0) as arrived_as_leads,
           coalesce(handling.requests_touched, 0) as requests_touched,
           coalesce(handling.requests_untouched, 0) as requests_untouched,
           round(handling.avg_response_working_minutes, 1) as avg_response_working_minutes,
           round(handling.avg_response_incl_untouched, 1) as avg_response_incl_untouched,
           coalesce(outcomes.leads_created, 0) as leads_created,
           coalesce(outcomes.leads_converted, 0) as leads_converted,
           coalesce(outcomes.leads_junk, 0) as leads_junk,
           coalesce(outcomes.leads_in_work, 0) as leads_in_work"""

# Report 1 per request (a lead and its deal as one chain) from marts.manager_request_handling(from, to), the
# lead outcomes beside it from marts.manager_lead_outcomes(from, to) (macros/reports/request_functions.sql).
REQUESTS = _per_manager(
    REQUEST_COLUMNS,
    ("handling", f"manager_request_handling{PERIOD}"),
    ("outcomes", f"manager_lead_outcomes{PERIOD}"),
)

# Report 1 per lead: the leads created in the period and how they stand (marts.manager_lead_outcomes), and
# the lead backlog at the end of the period's last day (marts.manager_lead_backlog: open leads with an
# overdue activity or none planned, by the deals' backlog rules).
LEADS = _per_manager(
    """coalesce(outcomes.leads_created, 0) as leads_created,
           coalesce(outcomes.leads_converted, 0) as leads_converted,
           coalesce(outcomes.leads_junk, 0) as leads_junk,
           coalesce(outcomes.leads_in_work, 0) as leads_in_work,
           coalesce(backlog.leads_with_overdue_activities, 0) as leads_with_overdue_activities,
           coalesce(backlog.open_leads_without_planned_activities, 0)
               as open_leads_without_planned_activities""",
    ("outcomes", f"manager_lead_outcomes{PERIOD}"),
    ("backlog", "manager_lead_backlog(%(to)s)"),
)


# One subtotal row per department of the slice, printed above the manager rows: dbt's
# marts.department_deal_handling / department_call_traffic / department_request_handling /
# department_lead_outcomes(from, to, managers) over the slice's managers, the same sums and formulas as the
# manager rows per department (for deals and calls, the subtotals the dashboards' per-manager tables show:
# "Department total"). The columns are the report's own; what has no department total (the backlog at the
# period's end, the pattern flags: per manager only, also in Superset) is NULL. manager_name stays NULL:
# the table labels the row.
def _department_subtotals(columns: str, *functions: tuple[str, str]) -> str:
    """One row per department that any of the dbt functions ``functions`` (``(alias, name)`` pairs, each
    called as ``marts.<name>(from, to, manager ids)`` over the report's scope) returns, ``columns`` read from
    them; employees without a department total together (department NULL)."""
    calls = "".join(
        f""",
    {alias} as (
        select * from marts.{name}(%(from)s, %(to)s, array(select manager_id from scope))
    )"""
        for alias, name in functions
    )
    departments = " union ".join(f"select department_id from {alias}" for alias, _ in functions)
    joins = "".join(
        f"""
    left join {alias} on {alias}.department_id is not distinct from departments.department_id"""
        for alias, _ in functions
    )
    return f"""
    with {SCOPE}{calls},
    departments as ({departments})
    select null::bigint as manager_id, null::text as manager_name,
           labels.department_label as department_name,
           {columns}
    from departments{joins}
    left join marts.dim_departments as labels on labels.department_id = departments.department_id
    order by labels.department_path nulls last
"""


DEAL_SUBTOTALS = _department_subtotals(
    """handling.deals_created, handling.deals_touched, handling.deals_untouched,
           round(handling.avg_response_working_minutes, 1) as avg_response_working_minutes,
           round(handling.avg_response_incl_untouched, 1) as avg_response_incl_untouched,
           null::bigint as deals_with_overdue_activities,
           null::numeric as avg_deals_with_overdue_activities,
           null::bigint as open_deals_without_planned_activities,
           null::numeric as avg_open_deals_without_planned_activities,
           null::date as backlog_as_of,
           null::boolean as backlog_exact""",
    ("handling", "department_deal_handling"),
)

CALL_SUBTOTALS = _department_subtotals(
    """traffic.calls_total, traffic.calls_incoming, traffic.calls_missed, traffic.calls_outgoing,
           traffic.calls_outgoing_connected, traffic.connect_rate, traffic.calls_connected,
           traffic.talk_seconds_connected as talk_seconds_total, traffic.average_talk_seconds,
           null::boolean as dials_a_lot_rarely_connects,
           null::boolean as connects_but_cannot_hold,
           null::boolean as is_flagged,
           null::text as pattern_reason""",
    ("traffic", "department_call_traffic"),
)

# a department with requests but no lead created in the period (or the reverse) has zeros on the other side
REQUEST_SUBTOTALS = _department_subtotals(
    REQUEST_COLUMNS,
    ("handling", "department_request_handling"),
    ("outcomes", "department_lead_outcomes"),
)

LEAD_SUBTOTALS = _department_subtotals(
    """outcomes.leads_created, outcomes.leads_converted, outcomes.leads_junk, outcomes.leads_in_work,
           null::integer as leads_with_overdue_activities,
           null::integer as open_leads_without_planned_activities""",
    ("outcomes", "department_lead_outcomes"),
)

SUBTOTALS = {
    "deals": DEAL_SUBTOTALS,
    "requests": REQUEST_SUBTOTALS,
    "leads": LEAD_SUBTOTALS,
    "calls": CALL_SUBTOTALS,
}

REPORTS = {"deals": DEALS, "requests": REQUESTS, "leads": LEADS, "calls": CALLS}
# What --sort offers (its help lists them), the default first; any other column of the report sorts too.
SORT_COLUMNS = {
    "deals": (
        "avg_response_incl_untouched",
        "avg_response_working_minutes",
        "deals_created",
        "deals_touched",
        "deals_untouched",
        "deals_with_overdue_activities",
        "open_deals_without_planned_activities",
    ),
    "requests": (
        "avg_response_incl_untouched",
        "avg_response_working_minutes",
        "requests_created",
        "arrived_as_leads",
        "requests_touched",
        "requests_untouched",
        "leads_created",
        "leads_converted",
        "leads_junk",
        "leads_in_work",
    ),
    "leads": (
        "leads_created",
        "leads_converted",
        "leads_junk",
        "leads_in_work",
        "leads_with_overdue_activities",
        "open_leads_without_planned_activities",
    ),
    "calls": (
        "calls_total",
        "calls_outgoing",
        "calls_outgoing_connected",
        "calls_incoming",
        "calls_connected",
        "calls_missed",
        "connect_rate",
    ),
}
DEFAULT_ORDER = {kind: columns[0] for kind, columns in SORT_COLUMNS.items()}
# Listed first whatever the sort: the rows a reader must not miss (the flagged call patterns).
FIRST = {"deals": None, "requests": None, "leads": None, "calls": "is_flagged"}


@dataclass(frozen=True)
class Report:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    # one row per department of the slice (SUBTOTALS), the report's columns; the table prints them above the
    # manager rows, CSV and JSON keep one row per manager (scripts)
    subtotals: list[tuple[Any, ...]] = field(default_factory=list)


def run_report(
    location: WarehouseLocation,
    kind: str,
    first_day: date,
    last_day: date,
    scope: Slice,
    sort: str | None = None,
) -> Report:
    """Run report ``kind`` (deals | requests | leads | calls), sorted descending by ``sort`` (a column of the
    report); in the calls report the flagged managers come first."""
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
            first = f"{FIRST[kind]} desc, " if FIRST[kind] else ""
            params = {"from": first_day, "to": last_day, **scope.params()}
            cur.execute(query.replace("{order}", f"{first}{order} desc"), params)
            rows = list(cur.fetchall())
            cur.execute(SUBTOTALS[kind], params)
            if [column.name for column in cur.description] != columns:
                raise AssertionError(f"the {kind} subtotals' columns differ from the report's")
            return Report(columns, rows, list(cur.fetchall()))
    finally:
        conn.close()


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
