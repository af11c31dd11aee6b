"""End to end: managerControl_Request against the emulator's truth for every request chain, on a portal with
leads and deals (converted, junk, in work, repeated, converted into an existing deal, deals without a lead).

One module fixture: the portal in raw, the seeds plus the integrator's schedules (so the working-time
oracle knows every shift), one real ``dbt build``. The chain's start, first contact (instant, kind, author)
and responsible come from the generator's truth (``PortalData.requests``); the working minutes from the
independent oracle (tests/working_time/oracle.py) over the truth's instants.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from psycopg2.extensions import connection as Connection

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.model import PortalData
from orchestration.reports import Slice, run_report
from orchestration.warehouse.location import WarehouseLocation
from tests.marts import working_minutes_oracle as wmo
from tests.working_time.oracle import Schedule, WorkingCalendar

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# 6 managers × 20 days, half the outside requests as leads: ~300 chains of every kind; one build ≈ 15 s.
CONFIG = GeneratorConfig(
    seed=7, managers=6, departments=2, days=20, end_date=dt.date(2026, 11, 1), lead_share=0.5
)
CALENDAR_START = CONFIG.end_date - dt.timedelta(days=CONFIG.days + 7)
CALENDAR_END = CONFIG.end_date + dt.timedelta(days=7)
MICRO = Decimal("0.000001")

MART = """
    select lead_id, deal_id, request_kind, responsible_id, created_at, first_touch_at, first_touch_kind,
           first_touch_by, response_working_minutes, pending_working_minutes, lead_outcome
    from marts."managerControl_Request"
"""


@pytest.fixture(scope="module")
def portal() -> PortalData:
    return generate(CONFIG)


@pytest.fixture(scope="module")
def schedules(portal: PortalData) -> dict[int, list[Schedule]]:
    return wmo.integrator_schedules(portal, CALENDAR_START, CALENDAR_END)


@pytest.fixture(scope="module")
def conn(
    module_database: WarehouseLocation, portal: PortalData, schedules: dict[int, list[Schedule]]
) -> Iterator[Connection]:
    connection = wmo.build_with_schedules(
        module_database,
        portal,
        schedules,
        (CALENDAR_START, CALENDAR_END),
        "build",
        "--exclude",
        "resource_type:seed",
    )
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def oracle(conn: Connection, portal: PortalData, schedules: dict[int, list[Schedule]]) -> WorkingCalendar:
    with conn.cursor() as cur:
        absences = wmo.staged_absences(cur)
    return wmo.oracle_calendar(portal, schedules, absences, CALENDAR_START, CALENDAR_END)


def _mart(conn: Connection) -> dict[tuple[int | None, int | None], tuple]:
    with conn.cursor() as cur:
        cur.execute(MART)
        return {(row[0], row[1]): row[2:] for row in cur.fetchall()}


def _minutes(seconds: int) -> Decimal:
    return (Decimal(seconds) / 60).quantize(MICRO, rounding=ROUND_HALF_UP)


def _at(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def test_the_portal_has_every_kind_of_chain(conn: Connection) -> None:
    mart = _mart(conn)
    kinds = Counter(row[0] for row in mart.values())
    outcomes = Counter(row[-1] for row in mart.values() if row[-1])
    assert kinds["lead_to_deal"] > 20 and kinds["lead"] > 5 and kinds["deal"] > 50, kinds
    assert outcomes["converted"] and outcomes["junk"] and outcomes["in_work"], outcomes
    on_lead = Counter(row[4] for row in mart.values() if row[0] == "lead_to_deal" and row[3] is not None)
    assert on_lead, "no converted request was touched"


def test_every_chain_equals_the_truth(conn: Connection, portal: PortalData) -> None:
    mart = _mart(conn)
    assert set(mart) == {(t.lead_id, t.deal_id) for t in portal.requests}
    wrong = []
    for t in portal.requests:
        row = mart[(t.lead_id, t.deal_id)]
        got = (row[1], row[2], row[3], row[4], row[5])
        want = (
            t.responsible_id,
            _at(t.started_at),
            _at(t.first_touch_at),
            t.first_touch_kind,
            t.first_touch_by,
        )
        if got != want:
            wrong.append(((t.lead_id, t.deal_id), want, got))
    assert not wrong, f"{len(wrong)} of {len(portal.requests)} chains differ, e.g. {wrong[:5]}"


def test_working_minutes_equal_the_oracle(
    conn: Connection, portal: PortalData, oracle: WorkingCalendar
) -> None:
    mart = _mart(conn)
    snapshot = dt.datetime.fromisoformat(portal.snapshot_at)
    wrong = []
    for t in portal.requests:
        start = dt.datetime.fromisoformat(t.started_at)
        end = _at(t.first_touch_at) or snapshot
        want = _minutes(oracle.working_seconds(t.responsible_id, start, end))
        response, pending = mart[(t.lead_id, t.deal_id)][6:8]
        got = (response if t.first_touch_at else pending).quantize(MICRO)
        if got != want:
            wrong.append(((t.lead_id, t.deal_id), want, got))
    assert not wrong, f"{len(wrong)} of {len(portal.requests)} chains differ, e.g. {wrong[:5]}"


def test_a_converted_lead_starts_the_clock_before_its_deal(conn: Connection) -> None:
    """The point of the chain: the deal of a converted lead was created later than the request arrived."""
    with conn.cursor() as cur:
        cur.execute(
            """
            select count(*), count(*) filter (where r.created_at < d.created_at)
            from marts."managerControl_Request" r
            join marts."managerControl_Deal" d on d.deal_id = r.deal_id
            where r.request_kind = 'lead_to_deal'
            """
        )
        converted, earlier = cur.fetchone()
    assert converted and earlier >= converted * 0.9


def test_deal_chains_equal_the_deal_mart(conn: Connection) -> None:
    """A request without a lead is its deal: same start, first contact and minutes as managerControl_Deal."""
    with conn.cursor() as cur:
        cur.execute(
            """
            select count(*) from marts."managerControl_Request" r
            join marts."managerControl_Deal" d on d.deal_id = r.deal_id
            where r.request_kind = 'deal'
              and (r.created_at, r.first_touch_at, r.first_touch_kind, r.first_touch_by, r.responsible_id,
                   r.response_working_minutes, r.pending_working_minutes)
                  is distinct from
                  (d.created_at, d.first_touch_at, d.first_touch_kind, d.first_touch_by, d.responsible_id,
                   d.response_working_minutes, d.pending_working_minutes)
            """
        )
        assert cur.fetchone()[0] == 0


def test_lead_conversion_per_manager_counts_the_leads(conn: Connection, portal: PortalData) -> None:
    leads = portal.tables["leads"]
    expected = Counter()
    for row in leads.rows:
        lead = leads.as_dict(row)
        outcome = {"S": "converted", "F": "junk"}.get(lead["STATUS_SEMANTIC_ID"], "in_work")
        expected[(int(lead["ASSIGNED_BY_ID"]), "created")] += 1
        expected[(int(lead["ASSIGNED_BY_ID"]), outcome)] += 1
    with conn.cursor() as cur:
        cur.execute(
            "select manager_id, sum(leads_created), sum(leads_converted), sum(leads_junk),"
            " sum(leads_in_work) from marts.fct_manager_daily_leads group by 1"
        )
        got = Counter()
        for manager, created, converted, junk, in_work in cur.fetchall():
            for name, value in (
                ("created", created),
                ("converted", converted),
                ("junk", junk),
                ("in_work", in_work),
            ):
                if value:
                    got[(manager, name)] = int(value)
    assert got == expected


def test_requests_report_counts_equal_the_emulators(
    conn: Connection, module_database: WarehouseLocation, portal: PortalData
) -> None:
    """``b24ops report requests`` over the whole history: requests per responsible and the lead outcomes per
    lead owner, counted straight from the emulator's data."""
    first, last = CONFIG.end_date - dt.timedelta(days=CONFIG.days + 3), CONFIG.end_date
    rows = run_report(module_database, "requests", first, last, Slice())
    by_manager = {row[0]: dict(zip(rows.columns, row, strict=True)) for row in rows.rows}
    requests = Counter(t.responsible_id for t in portal.requests)
    as_leads = Counter(t.responsible_id for t in portal.requests if t.lead_id is not None)
    leads = portal.tables["leads"]
    outcomes: Counter[tuple[int, str]] = Counter()
    for row in leads.rows:
        lead = leads.as_dict(row)
        outcome = {"S": "leads_converted", "F": "leads_junk"}.get(lead["STATUS_SEMANTIC_ID"], "leads_in_work")
        outcomes[(int(lead["ASSIGNED_BY_ID"]), outcome)] += 1
        outcomes[(int(lead["ASSIGNED_BY_ID"]), "leads_created")] += 1
    for manager, row in by_manager.items():
        assert row["requests_created"] == requests[manager], row
        assert row["arrived_as_leads"] == as_leads[manager], row
        for column in ("leads_created", "leads_converted", "leads_junk", "leads_in_work"):
            assert row[column] == outcomes[(manager, column)], (column, row)
    assert sum(requests.values()) == sum(row["requests_created"] for row in by_manager.values())


def _lead_backlog_from_portal(portal: PortalData, day: dt.date) -> Counter[tuple[int, str]]:
    """Report 1's lead backlog at the end of ``day`` (23:59:59 portal time), from the emulator's rows: open
    leads (status semantic P) with an open scheduled activity past its DEADLINE, and open leads with no open
    scheduled activity (a to-do, meeting or planned call; not a telephony call, not an incoming one)."""
    day_end = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=ZoneInfo(CONFIG.portal_time_zone))
    activities = portal.tables["activities"]
    open_deadlines: dict[int, list[dt.datetime | None]] = {}
    for row in activities.rows:
        activity = activities.as_dict(row)
        scheduled = (
            not str(activity.get("ORIGIN_ID") or "").startswith("VI_")
            and str(activity.get("DIRECTION") or "") != "1"
            and activity.get("IS_INCOMING_CHANNEL") != "Y"
        )
        if str(activity["OWNER_TYPE_ID"]) == "1" and scheduled and activity["COMPLETED"] != "Y":
            open_deadlines.setdefault(int(activity["OWNER_ID"]), []).append(_at(activity.get("DEADLINE")))
    backlog: Counter[tuple[int, str]] = Counter()
    leads = portal.tables["leads"]
    for row in leads.rows:
        lead = leads.as_dict(row)
        if lead["STATUS_SEMANTIC_ID"] != "P":
            continue
        manager, deadlines = int(lead["ASSIGNED_BY_ID"]), open_deadlines.get(int(lead["ID"]), [])
        if not deadlines:
            backlog[(manager, "open_leads_without_planned_activities")] += 1
        elif any(deadline is not None and deadline < day_end for deadline in deadlines):
            backlog[(manager, "leads_with_overdue_activities")] += 1
    return backlog


def test_leads_report_counts_equal_the_emulators(
    conn: Connection, module_database: WarehouseLocation, portal: PortalData
) -> None:
    """``b24ops report leads`` over the whole history: lead conversion per lead owner and the lead backlog at
    the end of the last day (open leads with an overdue activity / without any planned one), counted straight
    from the emulator's data."""
    first, last = CONFIG.end_date - dt.timedelta(days=CONFIG.days + 3), CONFIG.end_date
    rows = run_report(module_database, "leads", first, last, Slice())
    leads = portal.tables["leads"]
    want: Counter[tuple[int, str]] = Counter()
    for row in leads.rows:
        lead = leads.as_dict(row)
        outcome = {"S": "leads_converted", "F": "leads_junk"}.get(lead["STATUS_SEMANTIC_ID"], "leads_in_work")
        want[(int(lead["ASSIGNED_BY_ID"]), outcome)] += 1
        want[(int(lead["ASSIGNED_BY_ID"]), "leads_created")] += 1
    want.update(_lead_backlog_from_portal(portal, last))
    columns = (
        "leads_created",
        "leads_converted",
        "leads_junk",
        "leads_in_work",
        "leads_with_overdue_activities",
        "open_leads_without_planned_activities",
    )
    got: Counter[tuple[int, str]] = Counter()
    for row in rows.rows:
        named = dict(zip(rows.columns, row, strict=True))
        for column in columns:
            if named[column]:
                got[(named["manager_id"], column)] = named[column]
    assert got == want
    for column in columns:  # the portal exercises every column
        assert any(name == column for _, name in want), column


REQUEST_SUMS = ("requests_created", "arrived_as_leads", "requests_touched", "requests_untouched")
LEAD_SUMS = ("leads_created", "leads_converted", "leads_junk", "leads_in_work")


@pytest.mark.parametrize("kind", ["requests", "leads"])
def test_department_subtotals_are_the_sums_and_averages_over_their_managers(
    conn: Connection, module_database: WarehouseLocation, kind: str
) -> None:
    """``b24ops report requests|leads``: one subtotal row per department (dbt's department_request_handling
    / department_lead_outcomes), equal to the sums over its managers' rows and, for the averages, to the
    formula over the department's chains (not an average of the managers' averages); the lead backlog is per
    manager only (NULL on a subtotal, as the deals' backlog)."""
    first, last = CONFIG.end_date - dt.timedelta(days=CONFIG.days + 3), CONFIG.end_date
    report = run_report(module_database, kind, first, last, Slice(all_staff=True))
    rows = [dict(zip(report.columns, row, strict=True)) for row in report.rows]
    totals = {row[2]: dict(zip(report.columns, row, strict=True)) for row in report.subtotals}
    assert len(totals) == len(report.subtotals) >= 2, "one row per department"
    sums = (*REQUEST_SUMS, *LEAD_SUMS) if kind == "requests" else LEAD_SUMS
    for department in {row["department_name"] for row in rows}:
        members = [row for row in rows if row["department_name"] == department]
        expected = {column: sum(row[column] for row in members) for column in sums}
        if not any(expected.values()):
            assert department not in totals, "a department without requests or leads has no subtotal"
            continue
        assert {column: totals[department][column] for column in sums} == expected, department
    assert sum(total["leads_created"] for total in totals.values()) > 0
    if kind == "leads":
        assert all(total["leads_with_overdue_activities"] is None for total in totals.values())
        return
    with conn.cursor() as cur:
        cur.execute(
            """
            select departments.department_label,
                   round(sum(requests.response_working_minutes)
                         / nullif(count(requests.response_working_minutes), 0), 1),
                   round((coalesce(sum(requests.response_working_minutes), 0)
                          + coalesce(sum(requests.pending_working_minutes), 0)) / count(*), 1)
            from marts."managerControl_Request" as requests
            left join marts.dim_departments as departments using (department_id)
            where requests.created_date between %s and %s
            group by 1""",
            (first, last),
        )
        averages = {department: (touched, waited) for department, touched, waited in cur.fetchall()}
    assert averages and averages.keys() <= totals.keys()
    for department, (touched, waited) in averages.items():
        total = totals[department]
        assert (total["avg_response_working_minutes"], total["avg_response_incl_untouched"]) == (
            touched,
            waited,
        ), department
