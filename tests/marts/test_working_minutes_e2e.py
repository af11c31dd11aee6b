"""End to end: the mart's working minutes per deal equal the independent oracle's.

An emulated portal goes straight into raw; after ``dbt seed`` the test fills ``employee_schedules`` the
way an integrator would (Bitrix24 REST does not say who works shifts), then ``dbt run`` builds the mart
with a pinned ``snapshot_at``. The oracle (tests/working_time/oracle.py, minute/second walking) gets
the same inputs parsed independently: portal settings, user zones, the production-calendar seed and the
schedule rows. Absences are the one input it takes from the warehouse (``stg_bitrix24__absences``), so a
wrong absence reading fails one test (the staged absences against the emulator's documented rule) and the
minute tests keep checking the working-time SQL; together they check the mart against the absence chart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from psycopg2.extensions import connection as Connection

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.generator.work_calendar import PortalCalendar
from bitrix24_emulator.generator.work_calendar import Schedule as EmulatorSchedule
from bitrix24_emulator.model import PortalData
from orchestration.warehouse.location import WarehouseLocation
from tests.marts import working_minutes_oracle as wmo
from tests.working_time.oracle import Schedule, WorkingCalendar

# 10 managers × 30 days around the May holidays (short 30.04 and 08.05, 01.05, 09.05 on a Saturday,
# 11.05 moved off — a date the portal's year-less list does not know): ~650 deals. Seed 7 gives a
# 2/2 shift worker, a 12-21 worker, managers in Berlin and Yekaterinburg, whole-day and part-day absences.
CONFIG = GeneratorConfig(seed=7, managers=10, departments=2, days=30, end_date=dt.date(2026, 5, 16))
CALENDAR_START = CONFIG.end_date - dt.timedelta(days=CONFIG.days + 7)
CALENDAR_END = CONFIG.end_date + dt.timedelta(days=7)
MICRO = Decimal("0.000001")

MART = 'select deal_id, response_working_minutes, pending_working_minutes from marts."managerControl_Deal"'


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
    """The module database: portal in raw, seeds plus the integrator's schedules, the mart built."""
    connection = wmo.build_with_schedules(
        module_database,
        portal,
        schedules,
        (CALENDAR_START, CALENDAR_END),
        "run",
        "--select",
        "+managerControl_Deal",
    )
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def oracle(conn: Connection, portal: PortalData, schedules: dict[int, list[Schedule]]) -> WorkingCalendar:
    with conn.cursor() as cur:
        absences = wmo.staged_absences(cur)
    return wmo.oracle_calendar(portal, schedules, absences, CALENDAR_START, CALENDAR_END)


def _minutes(seconds: int) -> Decimal:
    return (Decimal(seconds) / 60).quantize(MICRO, rounding=ROUND_HALF_UP)


def _mismatches(
    expected: dict[int, Decimal | None], got: dict[int, Decimal | None]
) -> list[tuple[int, Any, Any]]:
    return [
        (deal_id, value, got.get(deal_id))
        for deal_id, value in sorted(expected.items())
        if (got.get(deal_id) is None) != (value is None)
        or (value is not None and got[deal_id].quantize(MICRO) != value)  # type: ignore[union-attr]
    ]


def _report(mismatches: list[tuple[int, Any, Any]], deals: int) -> str:
    """The failure message; says how many differences vanish when the oracle is rounded to 0.01 minute."""
    cent = Decimal("0.01")
    rounding = sum(
        1
        for _, want, got in mismatches
        if want is not None and got is not None and want.quantize(cent, rounding=ROUND_HALF_UP) == got
    )
    return (
        f"{len(mismatches)} of {deals} deals differ ({rounding} of them only by rounding to 0.01 minute),"
        f" (deal_id, oracle, mart) e.g. {mismatches[:8]}"
    )


def _mart(conn: Connection) -> dict[int, tuple[Decimal | None, Decimal | None]]:
    with conn.cursor() as cur:
        cur.execute(MART)
        return {row[0]: (row[1], row[2]) for row in cur.fetchall()}


def test_portal_has_shifts_other_zones_absences_and_holidays(portal: PortalData) -> None:
    """Not vacuous: deals of managers on a roster, on other hours, in other zones and with absences."""
    table = portal.tables["work_schedules"]
    kinds = {row["USER_ID"]: row["KIND"] for row in map(table.as_dict, table.rows)}
    zones = wmo.user_zones(portal)
    absent = wmo.absences(portal)
    responsibles = {truth.responsible_id for truth in portal.truth}
    assert {kinds[user] for user in responsibles} >= {"portal", "fixed", "shift"}
    assert {zones[user] for user in responsibles} >= {None, "Europe/Berlin", "Asia/Yekaterinburg"}
    spans = [span for user in responsibles for span in absent.get(user, [])]
    assert any((end - start) % dt.timedelta(days=1) for start, end in spans), "a part-day absence"
    assert any(end - start >= dt.timedelta(days=7) for start, end in spans), "a vacation"
    history = {CONFIG.end_date - dt.timedelta(days=i + 1) for i in range(CONFIG.days)}
    day_types = {kind.day_type for (_, day), kind in wmo.production_days().items() if day in history}
    assert day_types == {"holiday", "short_day"}
    assert sum(truth.first_touch_at is None for truth in portal.truth) > 10


def test_integrator_rows_reproduce_the_emulated_roster(portal: PortalData, oracle: WorkingCalendar) -> None:
    """The per-date seed rows give the shift workers exactly the windows the emulator placed work in."""
    table = portal.tables["work_schedules"]
    calendar = PortalCalendar.from_settings(portal.calendar_settings)
    rosters = [row for row in map(table.as_dict, table.rows) if row["KIND"] == "shift"]
    assert rosters
    for row in rosters:
        start, end = (int(row[k][:2]) * 60 + int(row[k][3:]) for k in ("START", "END"))
        emulated = EmulatorSchedule(
            row["USER_ID"], "shift", start, end, row["CYCLE"], dt.date.fromisoformat(row["ANCHOR"])
        )
        for i in range(CONFIG.days):
            day = CONFIG.end_date - dt.timedelta(days=CONFIG.days - i)
            window = oracle.window(row["USER_ID"], day)
            got = None
            if window is not None:
                midnight = dt.datetime.combine(day, dt.time())
                got = tuple(int((t - midnight).total_seconds()) // 60 for t in (window.start, window.end))
            assert got == emulated.window(day, calendar), (row["USER_ID"], day)


def test_staged_absences_follow_the_absence_chart_rule(conn: Connection, portal: PortalData) -> None:
    """stg_bitrix24__absences gives each entry the instants of the README rule (DT_TO of a whole-day
    entry includes that day, while its unix TO is the midnight *starting* it)."""
    expected = {(user, start, end) for user, spans in wmo.absences(portal).items() for start, end in spans}
    with conn.cursor() as cur:
        cur.execute("select user_id, absent_from, absent_to from staging.stg_bitrix24__absences")
        got = set(cur.fetchall())
    assert got == expected, f"missing {sorted(expected - got)[:3]}, unexpected {sorted(got - expected)[:3]}"


def test_response_working_minutes_equal_the_oracle_for_every_deal(
    conn: Connection, portal: PortalData, oracle: WorkingCalendar
) -> None:
    mart = _mart(conn)
    expected: dict[int, Decimal | None] = {}
    for truth in portal.truth:
        if truth.first_touch_at is None:
            expected[truth.deal_id] = None
            continue
        seconds = oracle.working_seconds(
            truth.responsible_id,
            dt.datetime.fromisoformat(truth.created_at),
            dt.datetime.fromisoformat(truth.first_touch_at),
        )
        expected[truth.deal_id] = _minutes(seconds)
    got = {deal_id: values[0] for deal_id, values in mart.items()}
    assert set(got) == set(expected)
    mismatches = _mismatches(expected, got)
    assert not mismatches, _report(mismatches, len(expected))
    assert sum(1 for value in expected.values() if value) > 400


def test_pending_working_minutes_equal_the_oracle_at_the_snapshot(
    conn: Connection, portal: PortalData, oracle: WorkingCalendar
) -> None:
    mart = _mart(conn)
    snapshot = dt.datetime.fromisoformat(portal.snapshot_at)
    expected: dict[int, Decimal | None] = {
        truth.deal_id: None
        if truth.first_touch_at is not None
        else _minutes(
            oracle.working_seconds(
                truth.responsible_id, dt.datetime.fromisoformat(truth.created_at), snapshot
            )
        )
        for truth in portal.truth
    }
    got = {deal_id: values[1] for deal_id, values in mart.items()}
    assert set(got) == set(expected)
    mismatches = _mismatches(expected, got)
    assert not mismatches, _report(mismatches, len(expected))
