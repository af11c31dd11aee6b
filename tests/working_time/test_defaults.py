"""A portal with no calendar settings, the header-only schedule seed and no var working_calendar_end:
everybody gets the portal defaults, and the calendar ends on the last day of next year."""

from __future__ import annotations

import pytest

from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation
from testkit.dbt import run_dbt
from testkit.working_time import NO_UNKNOWN_USERS

VARS = '{"working_calendar_start": "2024-03-04"}'


@pytest.mark.integration
def test_defaults_without_settings_or_schedules(fresh_database: WarehouseLocation) -> None:
    conn = connect(fresh_database)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(NO_UNKNOWN_USERS)
            cur.execute("""
                create table staging.stg_bitrix24__users as
                    select 1::bigint as user_id, null::text as time_zone, true as is_active,
                           'employee' as user_type;
                create table staging.stg_bitrix24__calendar_settings (
                    portal_time_zone text, work_time_start time, work_time_end time, week_holidays text[],
                    year_holidays text[], year_workdays text[], loaded_at timestamptz);
                create table staging.stg_bitrix24__absences (
                    absence_id bigint, user_id bigint, absent_from timestamptz, absent_to timestamptz);
            """)
        run_dbt(fresh_database, "seed", "--select", "tag:working_time")
        run_dbt(fresh_database, "run", "--select", "tag:working_time", "--vars", VARS)
        with conn, conn.cursor() as cur:
            cur.execute("""
                select interval_start at time zone 'Europe/Moscow', interval_end at time zone 'Europe/Moscow',
                       cum_minutes_before
                from intermediate.int_working_intervals
                where user_id = 1 and interval_start < '2024-03-11 00:00:00+03'
                order by interval_start
            """)
            rows = cur.fetchall()
            # the default end: 31 December of next year, so 365 to 730 days ahead (moves once a year)
            cur.execute("""
                select max(work_date) = make_date(extract(year from current_date)::int + 1, 12, 31),
                       max(work_date) - current_date between 365 and 730
                from intermediate.int_working_days
            """)
            ends_next_year = cur.fetchone()
    finally:
        conn.close()
    # Monday 4 March to Sunday 10 March 2024: 7 March is a short day, 8 March a holiday, then the weekend.
    assert [(start.day, start.hour, end.hour, cum) for start, end, cum in rows] == [
        (4, 9, 18, 0),
        (5, 9, 18, 540),
        (6, 9, 18, 1080),
        (7, 9, 17, 1620),
    ]
    assert ends_next_year == (True, True)
