"""The working-calendar models are incremental per employee (docs/working_time.md, "Incremental per
employee"): a run re-derives only the employees whose calendar inputs changed, everybody on a global change,
and leaves the three tables exactly as a ``--full-refresh`` builds them.

Rows a run rewrote are told apart by PostgreSQL's ``xmin`` (as in tests/marts/test_incremental_scope.py):
delete+insert writes new row versions stamped with the run's transaction ids, untouched rows keep older ones.
Each test starts from a build consistent with the inputs and ends with a full refresh, so none depends on
another's changes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from psycopg2.extensions import cursor as Cursor

from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation
from orchestration.warehouse.scratch import create_scratch_database, drop_scratch_database
from testkit.dbt import dbt_target_dir, run_dbt
from testkit.working_time import NO_UNKNOWN_USERS
from tests.working_time import scenario

TABLES = (
    "intermediate.int_working_days",
    "intermediate.int_working_intervals",
    "intermediate.int_working_time_lookup",
)
RUN = ("run", "--select", "tag:working_time", "--vars", scenario.DBT_VARS)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def calendar_db(pg_server: WarehouseLocation) -> Iterator[WarehouseLocation]:
    """The scenario portal of tests/working_time, built once (a first build: the full SQL)."""
    location = create_scratch_database(pg_server, "b24ops_wt_inc")
    try:
        conn = connect(location, autocommit=True)
        try:
            scenario.create_inputs(conn.cursor())
            run_dbt(location, "seed", "--select", "tag:working_time")
            scenario.fill_seeds(conn.cursor())
        finally:
            conn.close()
        run_dbt(location, *RUN)
        yield location
    finally:
        drop_scratch_database(location)


@pytest.fixture
def cur(calendar_db: WarehouseLocation) -> Iterator[Cursor]:
    conn = connect(calendar_db, autocommit=True)
    try:
        yield conn.cursor()
    finally:
        conn.close()


def _current_xid(cur: Cursor) -> int:
    cur.execute("select pg_current_xact_id()::text::bigint")
    return cur.fetchone()[0]


def _incremental_run(location: WarehouseLocation, cur: Cursor) -> dict[str, set[int]]:
    """An incremental run of the calendar; the employees whose rows it (re)wrote, per table."""
    before = _current_xid(cur)
    run_dbt(location, *RUN)
    rewritten = {}
    for table in TABLES:
        cur.execute(f"select distinct user_id from {table} where xmin::text::bigint > %s", (before,))
        rewritten[table] = {row[0] for row in cur.fetchall()}
    return rewritten


def _employees(cur: Cursor, table: str) -> set[int]:
    cur.execute(f"select distinct user_id from {table}")
    return {row[0] for row in cur.fetchall()}


def _checksums(cur: Cursor) -> dict[str, str]:
    """Row count and md5 of the ordered row texts of each table (the fingerprint column included)."""
    out = {}
    for table in TABLES:
        cur.execute(
            f"select count(*) || ':' || md5(coalesce(string_agg(t::text, '|' order by t::text), ''))"
            f" from {table} as t"
        )
        out[table] = cur.fetchone()[0]
    return out


def _assert_equals_full_refresh(location: WarehouseLocation, cur: Cursor) -> None:
    incremental = _checksums(cur)
    run_dbt(location, *RUN, "--full-refresh")
    assert _checksums(cur) == incremental


def test_an_absence_rederives_that_employee_only(calendar_db: WarehouseLocation, cur: Cursor) -> None:
    # nothing changed: nothing is rewritten (the fingerprints are stable between runs)
    assert _incremental_run(calendar_db, cur) == {table: set() for table in TABLES}

    cur.execute(
        "insert into staging.stg_bitrix24__absences values"
        " ('default', 101, 1, '2024-06-05 10:00:00+03', '2024-06-05 12:30:00+03')"
    )
    assert _incremental_run(calendar_db, cur) == {table: {1} for table in TABLES}
    _assert_equals_full_refresh(calendar_db, cur)


def test_a_schedule_edit_rederives_that_employee_only(calendar_db: WarehouseLocation, cur: Cursor) -> None:
    # the seed reloaded with employee 3 leaving at 16:00 instead of 17:15
    cur.execute("update intermediate.employee_schedules set work_time_end = '16:00' where user_id = 3")
    assert _incremental_run(calendar_db, cur) == {table: {3} for table in TABLES}
    _assert_equals_full_refresh(calendar_db, cur)


def test_a_change_of_the_portal_settings_rederives_everybody(
    calendar_db: WarehouseLocation, cur: Cursor
) -> None:
    everybody = {table: _employees(cur, table) for table in TABLES}
    cur.execute(
        "update staging.stg_bitrix24__calendar_settings set year_holidays = year_holidays || '4.11'::text"
    )
    assert _incremental_run(calendar_db, cur) == everybody
    _assert_equals_full_refresh(calendar_db, cur)


def test_a_moved_common_range_rederives_every_look_up_row(
    calendar_db: WarehouseLocation, cur: Cursor
) -> None:
    """Only employee 5 (Berlin, 24/7) works in the first UTC day of the range (from 23:00 UTC on 19 February):
    an absence then moves the range of the look-up, whose rows all span it. Meanwhile employee 7 leaves
    user.get and employee 1 is absent for the whole calendar (no working time left)."""
    cur.execute("select min(bucket) from intermediate.int_working_time_lookup")
    (first_bucket,) = cur.fetchone()
    cur.execute("""
        insert into staging.stg_bitrix24__absences values
            ('default', 102, 5, '2024-02-19 00:00:00+00', '2024-02-20 00:00:00+00'),
            ('default', 103, 1, '2024-01-01 00:00:00+00', '2025-01-01 00:00:00+00');
        delete from staging.stg_bitrix24__users where user_id = 7;
    """)
    remaining = _employees(cur, "intermediate.int_working_time_lookup") - {1, 7}
    rewritten = _incremental_run(calendar_db, cur)

    assert rewritten["intermediate.int_working_days"] == {1, 5}
    assert rewritten["intermediate.int_working_intervals"] == {5}
    assert rewritten["intermediate.int_working_time_lookup"] == remaining
    cur.execute("select min(bucket) from intermediate.int_working_time_lookup")
    assert cur.fetchone()[0] > first_bucket
    assert 7 not in set().union(*(_employees(cur, table) for table in TABLES))
    assert 1 not in _employees(cur, "intermediate.int_working_intervals")
    _assert_equals_full_refresh(calendar_db, cur)


# A portal the size of issue #5's: 500 employees × 3 years, mixed zones, four absences a year each, a 24/7
# and a night-shift schedule (as bench/working_time.py builds it).
LARGE_VARS = '{"working_calendar_start": "2023-01-01", "working_calendar_end": "2025-12-31"}'
LARGE_INPUTS = """
select setseed(0.42);
create table staging.stg_bitrix24__users as
    select g::bigint as user_id,
           (array['Europe/Moscow', 'Europe/Berlin', 'America/New_York', 'Asia/Yekaterinburg', null])
               [1 + g % 5] as time_zone,
           g % 10 <> 0 as is_active, 'employee'::text as user_type
    from generate_series(1, 500) as g;
create table staging.stg_bitrix24__calendar_settings as
    select 'Europe/Moscow'::text as portal_time_zone, time '09:00' as work_time_start,
           time '18:00' as work_time_end, array['SA', 'SU'] as week_holidays,
           array['1.01', '8.03'] as year_holidays, array[]::text[] as year_workdays, now() as loaded_at;
create table staging.stg_bitrix24__absences as
    select row_number() over (order by u, start) as absence_id, u as user_id, start as absent_from,
           start + (random() * interval '5 days') as absent_to
    from generate_series(1, 500) as u,
         lateral (select timestamptz '2023-01-01' + random() * interval '3 years' as start
                  from generate_series(1, 12)) as s;
"""
LARGE_SCHEDULES = """
insert into intermediate.employee_schedules
    (user_id, work_time_start, work_time_end, work_days, observe_holidays)
values (7, '00:00', '00:00', 'MO TU WE TH FR SA SU', false), (8, '22:00', '06:00', null, true)
"""


def _model_seconds(location: WarehouseLocation) -> dict[str, float]:
    """dbt's execution time of each model of the last command (run_results.json)."""
    results = json.loads((dbt_target_dir(location) / "run_results.json").read_text(encoding="utf-8"))
    return {
        result["unique_id"].rsplit(".", 1)[1]: round(result["execution_time"], 2)
        for result in results["results"]
    }


@pytest.mark.slow
def test_one_changed_employee_of_a_large_portal(fresh_database: WarehouseLocation) -> None:
    """The incremental run rewrites one employee's rows of 500 and equals the full refresh. The node times
    are printed (``-s``) for the record, not asserted: the machine is shared."""
    run = ("run", "--select", "tag:working_time", "--vars", LARGE_VARS)
    conn = connect(fresh_database, autocommit=True)
    try:
        cur = conn.cursor()
        cur.execute(NO_UNKNOWN_USERS)
        cur.execute(LARGE_INPUTS)
        run_dbt(fresh_database, "seed", "--select", "tag:working_time")
        cur.execute(LARGE_SCHEDULES)
        run_dbt(fresh_database, *run)
        full = _model_seconds(fresh_database)

        cur.execute(
            "insert into staging.stg_bitrix24__absences"
            " values (100000, 42, '2024-06-05 10:00:00+03', '2024-06-07 12:30:00+03')"
        )
        before = _current_xid(cur)
        run_dbt(fresh_database, *run)
        incremental = _model_seconds(fresh_database)
        for table in TABLES:
            cur.execute(f"select distinct user_id from {table} where xmin::text::bigint > %s", (before,))
            assert {row[0] for row in cur.fetchall()} == {42}, table
            cur.execute(f"create table {table}_incremental as select * from {table}")

        run_dbt(fresh_database, *run, "--full-refresh")
        for table in TABLES:
            cur.execute(
                f"select count(*) from ((table {table} except all table {table}_incremental)"
                f" union all (table {table}_incremental except all table {table})) as differences"
            )
            assert cur.fetchone()[0] == 0, table
    finally:
        conn.close()
    print(f"\nfull build: {full}\nincremental run, one employee changed: {incremental}")
