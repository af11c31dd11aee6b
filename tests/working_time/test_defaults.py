"""A portal with no calendar settings and the header-only schedule seed: everybody gets portal defaults."""

from __future__ import annotations

import pytest

from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation
from tests.support.dbt import run_dbt

VARS = '{"working_calendar_start": "2024-03-04", "working_calendar_end": "2024-03-10"}'


@pytest.mark.integration
def test_defaults_without_settings_or_schedules(fresh_database: WarehouseLocation) -> None:
    conn = connect(fresh_database)
    try:
        with conn, conn.cursor() as cur:
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
                from intermediate.int_working_intervals order by interval_start
            """)
            rows = cur.fetchall()
    finally:
        conn.close()
    # Monday 4 March to Sunday 10 March 2024: 7 March is a short day, 8 March a holiday, then the weekend.
    assert [(start.day, start.hour, end.hour, cum) for start, end, cum in rows] == [
        (4, 9, 18, 0),
        (5, 9, 18, 540),
        (6, 9, 18, 1080),
        (7, 9, 17, 1620),
    ]
