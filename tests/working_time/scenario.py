"""One test portal, written once and read twice: as SQL input relations and as the oracle's calendar.

Calendar 2024-02-20..2024-11-10 (both DST switches of Europe and America, Russian holidays, moved days
off, short days and a working Saturday). Users:

1. Moscow (portal zone), portal hours 9-18; a partial-day and a multi-day absence.
2. Berlin, German production calendar; two overlapping absences across the autumn DST switch.
3. New York, 08:30-17:15 on the Russian calendar.
4. New York, 24/7, with an absence across the spring DST gap.
5. Berlin, 24/7, nothing else: must equal calendar minutes.
6. Berlin night shift 22:00-06:00 every day (Russian calendar), crossing both DST switches; two short
   absences cut the shift into the morning of UTC day 2024-07-10, which then holds four working pieces.
7. Inactive; Yekaterinburg 10-19 until May, then Moscow 9-17 Monday-Thursday.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from psycopg2.extensions import cursor as Cursor

from testkit.working_time import NO_UNKNOWN_USERS
from tests.working_time.oracle import Portal, ProductionDay, Schedule, WorkingCalendar

SEED_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "working_time"
CALENDAR_START = dt.date(2024, 2, 20)
CALENDAR_END = dt.date(2024, 11, 10)
DBT_VARS = f'{{"working_calendar_start": "{CALENDAR_START}", "working_calendar_end": "{CALENDAR_END}"}}'

PORTAL = Portal(
    time_zone="Europe/Moscow",
    work_time_start=dt.time(9),
    work_time_end=dt.time(18),
    week_holidays=frozenset({"SA", "SU"}),
    year_holidays=frozenset({(1, 1), (8, 3), (15, 4)}),  # 15.04: a portal-only holiday (a Monday in 2024)
    year_workdays=frozenset({(20, 4)}),  # 20.04.2024: a Saturday the portal works
)
USER_ZONES: dict[int, str | None] = {
    1: None,
    2: "Europe/Berlin",
    3: "America/New_York",
    4: "America/New_York",
    5: "Europe/Berlin",
    6: "Europe/Berlin",
    7: "Asia/Yekaterinburg",
}
ALL_DAYS = frozenset({"MO", "TU", "WE", "TH", "FR", "SA", "SU"})
ROUND_THE_CLOCK = Schedule(
    work_time_start=dt.time(0), work_time_end=dt.time(0), work_days=ALL_DAYS, observe_holidays=False
)
SCHEDULES: dict[int, list[Schedule]] = {
    2: [Schedule(country="DE")],
    3: [
        Schedule(
            work_time_start=dt.time(8, 30),
            work_time_end=dt.time(17, 15),
            work_days=frozenset({"MO", "TU", "WE", "TH", "FR"}),
        )
    ],
    4: [ROUND_THE_CLOCK],
    5: [ROUND_THE_CLOCK],
    6: [Schedule(work_time_start=dt.time(22), work_time_end=dt.time(6), work_days=ALL_DAYS)],
    7: [
        Schedule(valid_to=dt.date(2024, 5, 31), work_time_start=dt.time(10), work_time_end=dt.time(19)),
        Schedule(
            valid_from=dt.date(2024, 6, 1),
            time_zone="Europe/Moscow",
            work_time_start=dt.time(9),
            work_time_end=dt.time(17),
            work_days=frozenset({"MO", "TU", "WE", "TH"}),
        ),
    ],
}
GERMAN_DAYS = {
    dt.date(2024, 3, 29): "Good Friday",
    dt.date(2024, 4, 1): "Easter Monday",
    dt.date(2024, 5, 1): "Labour Day",
    dt.date(2024, 10, 3): "German Unity Day",
}
MSK, BER, NYC = ZoneInfo("Europe/Moscow"), ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
ABSENCES: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {
    1: [
        (dt.datetime(2024, 3, 12, 12, 34, 56, tzinfo=MSK), dt.datetime(2024, 3, 12, 15, tzinfo=MSK)),
        (dt.datetime(2024, 4, 5, 14, tzinfo=MSK), dt.datetime(2024, 4, 10, 11, 20, 30, tzinfo=MSK)),
    ],
    2: [
        (dt.datetime(2024, 10, 25, 10, tzinfo=dt.UTC), dt.datetime(2024, 10, 29, 12, tzinfo=dt.UTC)),
        (dt.datetime(2024, 10, 28, 9, tzinfo=dt.UTC), dt.datetime(2024, 10, 30, 10, 0, 7, tzinfo=dt.UTC)),
    ],
    4: [(dt.datetime(2024, 3, 10, 1, 30, 15, tzinfo=NYC), dt.datetime(2024, 3, 10, 3, 10, tzinfo=NYC))],
    6: [
        (dt.datetime(2024, 7, 10, 1, tzinfo=dt.UTC), dt.datetime(2024, 7, 10, 1, 30, tzinfo=dt.UTC)),
        (dt.datetime(2024, 7, 10, 2, 0, 7, tzinfo=dt.UTC), dt.datetime(2024, 7, 10, 2, 10, tzinfo=dt.UTC)),
    ],
    7: [(dt.datetime(2024, 5, 27, tzinfo=MSK), dt.datetime(2024, 6, 4, 13, 0, 1, tzinfo=MSK))],
}


def production_days() -> dict[tuple[str, dt.date], ProductionDay]:
    """The shipped Russian seed plus the German rows the test inserts."""
    days: dict[tuple[str, dt.date], ProductionDay] = {}
    with (SEED_DIR / "production_calendar.csv").open(encoding="utf-8") as seed:
        for row in csv.DictReader(seed):
            days[(row["country"], dt.date.fromisoformat(row["calendar_date"]))] = ProductionDay(
                row["day_type"], int(row["short_minutes"] or 0)
            )
    for day in GERMAN_DAYS:
        days[("DE", day)] = ProductionDay("holiday")
    return days


def oracle_calendar() -> WorkingCalendar:
    """The oracle over the scenario."""
    return WorkingCalendar(
        portal=PORTAL,
        user_zones=USER_ZONES,
        calendar_start=CALENDAR_START,
        calendar_end=CALENDAR_END,
        production_days=production_days(),
        schedules=SCHEDULES,
        absences=ABSENCES,
    )


def create_inputs(cur: Cursor) -> None:
    """The relations the working-time models read, as tables: three staging ones, and the users the records
    name whom user.get does not list (none here; the macro calendar_users reads it)."""
    cur.execute(NO_UNKNOWN_USERS)
    cur.execute("""
        create table staging.stg_bitrix24__users (
            portal_id text, user_id bigint, time_zone text, is_active boolean, user_type text);
        create table staging.stg_bitrix24__calendar_settings (
            portal_id text, portal_time_zone text, work_time_start time, work_time_end time,
            week_holidays text[], year_holidays text[], year_workdays text[], loaded_at timestamptz);
        create table staging.stg_bitrix24__absences (
            portal_id text, absence_id bigint, user_id bigint,
            absent_from timestamptz, absent_to timestamptz);
    """)
    for user_id, zone in USER_ZONES.items():
        cur.execute(
            "insert into staging.stg_bitrix24__users values ('default', %s, %s, %s, 'employee')",
            (user_id, zone, user_id != 7),
        )
    cur.execute(
        "insert into staging.stg_bitrix24__calendar_settings"
        " values ('default', %s, %s, %s, %s, %s, %s, now())",
        (
            PORTAL.time_zone,
            PORTAL.work_time_start,
            PORTAL.work_time_end,
            sorted(PORTAL.week_holidays),
            [f"{d}.{m:02d}" for d, m in sorted(PORTAL.year_holidays)],
            [f"{d}.{m:02d}" for d, m in sorted(PORTAL.year_workdays)],
        ),
    )
    absence_id = 0
    for user_id, spans in ABSENCES.items():
        for start, end in spans:
            absence_id += 1
            cur.execute(
                "insert into staging.stg_bitrix24__absences values ('default', %s, %s, %s, %s)",
                (absence_id, user_id, start, end),
            )


def fill_seeds(cur: Cursor) -> None:
    """After ``dbt seed``: the scenario's schedules and German holidays."""
    for day, name in GERMAN_DAYS.items():
        cur.execute(
            "insert into intermediate.production_calendar values ('DE', %s, 'holiday', null, %s)", (day, name)
        )
    for user_id, schedules in SCHEDULES.items():
        for s in schedules:
            cur.execute(
                "insert into intermediate.employee_schedules"
                " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, null)",
                (
                    user_id,
                    s.valid_from,
                    s.valid_to,
                    s.time_zone,
                    s.work_time_start,
                    s.work_time_end,
                    " ".join(sorted(s.work_days)) if s.work_days else None,
                    s.observe_holidays,
                    s.country,
                ),
            )
