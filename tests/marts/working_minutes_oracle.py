"""The working-time oracle over an emulated portal, fed with what the product is fed.

The product learns the calendar from ``calendar.settings.get``, ``user.get`` time zones, the
production-calendar seed, the absence chart and the ``employee_schedules`` seed an integrator fills in.
This module plays the integrator (the emulator's shift schedules become seed rows) and builds
:class:`~tests.working_time.oracle.WorkingCalendar` from the same inputs, parsed here independently of
the SQL, so the mart can be checked against an implementation that shares nothing with it but the rule.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from zoneinfo import ZoneInfo

from psycopg2.extensions import connection as Connection
from psycopg2.extensions import cursor as Cursor

from bitrix24_emulator.generator.export import absence_interval
from bitrix24_emulator.model import PortalData
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation
from testkit.dbt import run_dbt
from testkit.raw_from_portal import load_portal
from tests.working_time.oracle import WEEKDAY_CODES, Portal, ProductionDay, Schedule, WorkingCalendar
from tests.working_time.scenario import SEED_DIR

ALL_DAYS = frozenset(WEEKDAY_CODES)


def _hours(value: object) -> dt.time:
    """calendar.settings.get hours: "9" or "9.30"."""
    hour, _, minute = str(value).partition(".")
    return dt.time(int(hour), int(minute or 0))


def _day_months(text: object) -> frozenset[tuple[int, int]]:
    return frozenset((int(d), int(m)) for d, m in (item.split(".") for item in str(text).split(",") if item))


def portal_settings(portal: PortalData) -> Portal:
    settings = portal.calendar_settings
    week_holidays = settings["week_holidays"]
    assert isinstance(week_holidays, list)
    return Portal(
        time_zone=portal.portal_time_zone,
        work_time_start=_hours(settings["work_time_start"]),
        work_time_end=_hours(settings["work_time_end"]),
        week_holidays=frozenset(week_holidays),
        year_holidays=_day_months(settings["year_holidays"]),
        year_workdays=_day_months(settings["year_workdays"]),
    )


def user_zones(portal: PortalData) -> dict[int, str | None]:
    users = portal.tables["users"]
    return {int(u["ID"]): u["TIME_ZONE"] or None for u in map(users.as_dict, users.rows)}


def production_days() -> dict[tuple[str, dt.date], ProductionDay]:
    """The shipped production-calendar seed, as ``dbt seed`` loads it."""
    with (SEED_DIR / "production_calendar.csv").open(encoding="utf-8") as seed:
        return {
            (row["country"], dt.date.fromisoformat(row["calendar_date"])): ProductionDay(
                row["day_type"], int(row["short_minutes"] or 0)
            )
            for row in csv.DictReader(seed)
        }


def integrator_schedules(
    portal: PortalData, calendar_start: dt.date, calendar_end: dt.date
) -> dict[int, list[Schedule]]:
    """The emulator's schedules as ``employee_schedules`` rows.

    ``portal`` needs no row. ``fixed`` is other hours on the portal's working days. A ``shift`` roster
    (a cycle of on/off days from an anchor, weekends and holidays ignored) cannot be said with a weekly
    pattern, so it becomes one row per calendar date: all weekdays on a working date, none but the
    other six on a day off.
    """
    table = portal.tables["work_schedules"]
    out: dict[int, list[Schedule]] = {}
    for row in map(table.as_dict, table.rows):
        start, end = dt.time.fromisoformat(row["START"]), dt.time.fromisoformat(row["END"])
        if row["KIND"] == "fixed":
            out[row["USER_ID"]] = [Schedule(work_time_start=start, work_time_end=end)]
        elif row["KIND"] == "shift":
            anchor, cycle = dt.date.fromisoformat(row["ANCHOR"]), row["CYCLE"]
            days = (
                calendar_start + dt.timedelta(days=i) for i in range((calendar_end - calendar_start).days + 1)
            )
            out[row["USER_ID"]] = [
                Schedule(
                    valid_from=day,
                    valid_to=day,
                    work_time_start=start,
                    work_time_end=end,
                    work_days=ALL_DAYS
                    if cycle[(day - anchor).days % len(cycle)] == "1"
                    else ALL_DAYS - {WEEKDAY_CODES[day.weekday()]},
                    observe_holidays=False,
                )
                for day in days
            ]
        else:
            assert row["KIND"] == "portal", row
    return out


def absences(portal: PortalData) -> dict[int, list[tuple[dt.datetime, dt.datetime]]]:
    """Absence-chart entries by the README rule: ``[DT_FROM, DT_TO)``, a date-only DT_TO includes its day."""
    zone = ZoneInfo(portal.portal_time_zone)
    table = portal.tables["absences"]
    out: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for row in map(table.as_dict, table.rows):
        out.setdefault(int(row["USER_ID"]), []).append(absence_interval(row["DT_FROM"], row["DT_TO"], zone))
    return out


def staged_absences(cur: Cursor) -> dict[int, list[tuple[dt.datetime, dt.datetime]]]:
    """The absences as ``stg_bitrix24__absences`` reads them (an input of the working-time models)."""
    cur.execute("select user_id, absent_from, absent_to from staging.stg_bitrix24__absences")
    out: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for user_id, start, end in cur.fetchall():
        out.setdefault(user_id, []).append((start, end))
    return out


def oracle_calendar(
    portal: PortalData,
    schedules: dict[int, list[Schedule]],
    absences: dict[int, list[tuple[dt.datetime, dt.datetime]]],
    calendar_start: dt.date,
    calendar_end: dt.date,
) -> WorkingCalendar:
    return WorkingCalendar(
        portal=portal_settings(portal),
        user_zones=user_zones(portal),
        calendar_start=calendar_start,
        calendar_end=calendar_end,
        production_days=production_days(),
        schedules=schedules,
        absences=absences,
    )


def insert_schedules(cur: Cursor, schedules: dict[int, list[Schedule]]) -> None:
    """After ``dbt seed``: the integrator's rows in the seed relation (columns as its YAML declares)."""
    for user_id, rows in schedules.items():
        for s in rows:
            cur.execute(
                "insert into intermediate.employee_schedules (user_id, valid_from, valid_to, time_zone,"
                " work_time_start, work_time_end, work_days, observe_holidays, country, note)"
                " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'e2e test')",
                (
                    user_id,
                    s.valid_from,
                    s.valid_to,
                    s.time_zone,
                    s.work_time_start,
                    s.work_time_end,
                    " ".join(c for c in WEEKDAY_CODES if c in s.work_days) if s.work_days else None,
                    s.observe_holidays,
                    s.country,
                ),
            )


def build_with_schedules(
    location: WarehouseLocation,
    portal: PortalData,
    schedules: dict[int, list[Schedule]],
    calendar: tuple[dt.date, dt.date],
    *dbt_args: str,
) -> Connection:
    """The portal in raw, the seeds plus the integrator's ``schedules``, then ``dbt <dbt_args>`` over the
    working calendar ``calendar`` at the portal's snapshot; a connection to the result (the caller closes
    it)."""
    load_portal(location, portal)
    run_dbt(location, "seed")
    connection = connect(location)
    with connection, connection.cursor() as cur:
        insert_schedules(cur, schedules)
    dbt_vars = {
        "snapshot_at": portal.snapshot_at,
        "working_calendar_start": calendar[0].isoformat(),
        "working_calendar_end": calendar[1].isoformat(),
    }
    run_dbt(location, *dbt_args, "--vars", json.dumps(dbt_vars))
    return connection
