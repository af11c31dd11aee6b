"""Benchmark of the working-time engine on a fresh database of the embedded (or WAREHOUSE_URL) server.

1. Build the working-time models for N employees × Y years (mixed time zones, absences, a few schedules).
2. Answer the working minutes between t1 and t2 for 10^6 random (user, t1, t2) rows with the set-based
   macros (``working_time_join`` + ``working_minutes_between_at``) into a new table, and compare with a
   plain ``create table as select`` of the same rows (the floor): alternately, ``--repeat`` times, since
   the machine is shared. ``--scalar`` also times the scalar sub-query shape (``working_minutes_between``).

Run: ``.venv/bin/python bench/working_time.py [--employees 500] [--years 3] [--rows 1000000] [--repeat 2]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation, resolve_warehouse
from orchestration.warehouse.scratch import create_scratch_database, drop_scratch_database
from testkit.dbt import run_dbt
from testkit.working_time import NO_UNKNOWN_USERS

FIRST_YEAR = 2023
ZONES = ["Europe/Moscow", "Europe/Berlin", "America/New_York", "Asia/Yekaterinburg", None]

INPUTS = (
    NO_UNKNOWN_USERS
    + """
create table staging.stg_bitrix24__users as
    select g::bigint as user_id, (%(zones)s)[1 + g %% %(zone_count)s] as time_zone,
           g %% 10 <> 0 as is_active, 'employee'::text as user_type
    from generate_series(1, %(employees)s) as g;
create table staging.stg_bitrix24__calendar_settings as
    select 'Europe/Moscow'::text as portal_time_zone, time '09:00' as work_time_start,
           time '18:00' as work_time_end, array['SA', 'SU'] as week_holidays,
           array['1.01', '8.03'] as year_holidays, array[]::text[] as year_workdays, now() as loaded_at;
-- Four absences a year per employee: a partial day and a few days, at arbitrary seconds.
create table staging.stg_bitrix24__absences as
    select row_number() over () as absence_id, u as user_id, start as absent_from,
           start + (random() * interval '5 days') as absent_to
    from generate_series(1, %(employees)s) as u,
         lateral (select timestamptz '%(first_year)s-01-01' + random() * interval '%(years)s years' as start
                  from generate_series(1, 4 * %(years)s)) as s;
"""
)
# A 24/7 employee and a night-shift one.
SCHEDULES = """
insert into intermediate.employee_schedules
    (user_id, work_time_start, work_time_end, work_days, observe_holidays)
values (7, '00:00', '00:00', 'MO TU WE TH FR SA SU', false), (8, '22:00', '06:00', null, true)
"""
# Deals: created anywhere in the years, first touched up to 19 days later (or up to a day before: bad data).
PROBES = """
create table bench_probes as
select id, user_id, t1, t1 + random() * interval '20 days' - interval '1 day' as t2
from (
    select g as id, 1 + (random() * (%(employees)s - 1))::bigint as user_id,
           timestamptz '%(first_year)s-01-01' + random() * interval '%(years)s years' as t1
    from generate_series(1, %(rows)s) as g
) as s
"""


def _model_timings(location: WarehouseLocation) -> dict[str, float]:
    """Execution time of each model of the last dbt run, from dbt's run_results.json."""
    results = Path(tempfile.gettempdir()) / "b24ops-dbt" / location.database / "target" / "run_results.json"
    return {
        r["unique_id"].rsplit(".", 1)[-1]: r["execution_time"]
        for r in json.loads(results.read_text())["results"]
    }


FLOOR = (
    "create table bench_result as select p.id, p.user_id, p.t1, p.t2, "
    "extract(epoch from p.t2 - p.t1) / 60 as response_minutes from bench_probes as p"
)
JOINED = (
    "select p.id, p.user_id, p.t1, p.t2, "
    "{{ working_minutes_between_at('w_created', 'p.t1', 'w_touched', 'p.t2') }} as response_minutes "
    "from bench_probes as p "
    "{{ working_time_join('w_created', 'p.user_id', 'p.t1') }} "
    "{{ working_time_join('w_touched', 'p.user_id', 'p.t2') }}"
)
SCALAR = (
    "select p.id, p.user_id, p.t1, p.t2, "
    "{{ working_minutes_between('p.user_id', 'p.t1', 'p.t2') }} as response_minutes "
    "from bench_probes as p"
)


def _timed(cur, statement: str) -> float:
    """Seconds to run ``statement`` (a create table bench_result as ...); the table is dropped again."""
    started = time.perf_counter()
    cur.execute(statement)
    seconds = time.perf_counter() - started
    cur.execute("drop table bench_result")
    return seconds


def _compiled(location: WarehouseLocation, dbt_vars: str, query: str) -> str:
    return run_dbt(location, "compile", "--quiet", "--vars", dbt_vars, "--inline", query).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--employees", type=int, default=500)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2, help="floor / look-up pairs, alternately")
    parser.add_argument("--scalar", action="store_true", help="also time the scalar sub-query shape once")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    server = resolve_warehouse()
    location = create_scratch_database(server, "b24ops_bench")
    dbt_vars = json.dumps(
        {
            "working_calendar_start": f"{FIRST_YEAR}-01-01",
            "working_calendar_end": f"{FIRST_YEAR + args.years - 1}-12-31",
        }
    )
    conn = connect(location, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute("select setseed(0.42)")
            cur.execute(
                INPUTS,
                {
                    "zones": ZONES,
                    "zone_count": len(ZONES),
                    "employees": args.employees,
                    "first_year": FIRST_YEAR,
                    "years": args.years,
                },
            )
            run_dbt(location, "seed", "--select", "tag:working_time")
            cur.execute(SCHEDULES)
            started = time.perf_counter()
            run_dbt(location, "run", "--select", "tag:working_time", "--vars", dbt_vars)
            build_wall = time.perf_counter() - started
            model_seconds = _model_timings(location)
            cur.execute("select count(*) from intermediate.int_working_intervals")
            (intervals,) = cur.fetchone()

            cur.execute(
                PROBES,
                {
                    "rows": args.rows,
                    "first_year": FIRST_YEAR,
                    "years": args.years,
                    "employees": args.employees,
                },
            )
            cur.execute("vacuum analyze bench_probes")
            joined = f"create table bench_result as {_compiled(location, dbt_vars, JOINED)}"
            pairs = [(_timed(cur, FLOOR), _timed(cur, joined)) for _ in range(args.repeat)]
            scalar = (
                _timed(cur, f"create table bench_result as {_compiled(location, dbt_vars, SCALAR)}")
                if args.scalar
                else None
            )
            cur.execute("select count(*) from intermediate.int_working_time_lookup")
            (lookup_rows,) = cur.fetchone()
    finally:
        conn.close()
        if not args.keep:
            drop_scratch_database(location)

    print(f"employees={args.employees} years={args.years} intervals={intervals} lookup rows={lookup_rows}")
    print(
        f"dbt run of the working-time models: {build_wall:.1f} s wall incl. dbt start-up; per model: "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in model_seconds.items())
    )
    for floor, working in pairs:
        print(
            f"{args.rows} rows: floor (create table as select) {floor:.2f} s, "
            f"working minutes (hash-joined look-up) {working:.2f} s, ratio {working / floor:.2f}x"
        )
    if scalar is not None:
        floor = min(f for f, _ in pairs)
        print(f"scalar sub-query shape: {scalar:.2f} s, {scalar / floor:.2f}x the best floor")


if __name__ == "__main__":
    main()
