"""Benchmark of the whole dbt project on a generated portal loaded straight into ``raw``.

1. Generate the portal with the emulator's generator and load it into ``raw`` with COPY (the same
   ``load_versions`` the ingestion assets use), skipping HTTP: exporting 10^7 rows through the emulator
   at the cloud's 2 req/s would take hours (see the "Extraction" section of docs/benchmarks.md).
   The generator holds a whole portal in memory (~13 MB per manager-year), so a long history is made in
   ``--slices`` slices of ``--days`` days each, ending one after another; the ids of every older slice
   are shifted by ``slice × 10^8`` so its deals, activities, calls, ... do not become versions of the
   newer slice's records. Users, departments, pipelines and stages come from the newest slice only.
2. ``dbt seed`` + ``dbt build`` (models, seeds, data and unit tests) at the snapshot of the newest slice;
   per-node execution times from dbt's ``run_results.json``.
3. The working-minutes columns of ``managerControl_Deal`` against a plain ``create table as select`` of
   the same deals' columns with calendar minutes (the floor), alternately ``--repeat`` times.
4. The daily incremental run for the last ``--window-days`` (each value one run), as the Dagster job
   runs it: first a day of changes arrives (every record of the change-stamped tables stamped inside the
   window gets a new version of its current version, the volume ingestion writes for those days), then the
   unpartitioned ``dbt build`` (incremental staging, small models; the same vars every day, so it reuses
   a parse made once beforehand, as the Dagster asset does) and the windowed one (``--select`` the
   partitioned asset's models, the window in dbt's environment and the full build's vars, so it reuses
   that build's parse, as the Dagster asset reuses one: orchestration.defs.dbt.window_env).
   Staging re-derives the records observed since its last build, inclusive, minus var
   ``staging_overlap`` (default 1 day). The whole history here is loaded within the hour, so the default
   would re-derive all of it; the runs pass ``staging_overlap: 0 seconds`` and, before the full build, a
   new version of the day before the first window is loaded, so that — as in steady state — the previous
   load is one day of changes and the run re-derives it and the window's (see docs/benchmarks.md). Before
   the timed windows, the previous day's run (that day's window, the same snapshot) runs once, timed apart:
   the first run after a full build is the only one to read the freshly built tables for the first time.

Run: ``.venv/bin/python bench/dbt_build.py [--managers 70] [--days 365] [--slices 1] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from psycopg2 import sql

from bench.autovacuum import wait_until_quiet
from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.model import PortalData, Table
from orchestration.defs.dbt import PRODUCTION_BUILD, WINDOWED_MARTS, window_env
from orchestration.warehouse.bootstrap import connect, ensure_database, ensure_warehouse
from orchestration.warehouse.location import WarehouseLocation, resolve_warehouse
from orchestration.warehouse.raw_load import load_versions
from orchestration.warehouse.raw_tables import RAW_ENTITIES
from orchestration.warehouse.scratch import create_scratch_database, drop_scratch_database
from testkit.dbt import dbt_target_dir, run_dbt
from testkit.raw_from_portal import RAW_TABLE_OF

END_DATE = date(2026, 11, 1)
PORTAL_TIME_ZONE = "Europe/Moscow"
ID_SHIFT = 100_000_000
# Reference data: taken from the newest slice only (older slices' rows would be versions of the same ids).
REFERENCE_TABLES = {"users", "departments", "categories", "statuses"}
# The daily run as the Dagster assets make it: the partitioned selection, dbt build without unit tests.
WINDOWED_SELECTION = WINDOWED_MARTS.split()
# The unpartitioned dbt asset's vars (the portal's, here the defaults) and the staging overlap (see the
# module docstring); the same every day.
UNPARTITIONED_VARS = {"staging_overlap": "0 seconds"}
UNPARTITIONED_TARGET = "target-unpartitioned"
RAW_TABLES = sorted({*RAW_TABLE_OF.values(), "calendar_settings"})


def _shift(value: Any, offset: int) -> Any:
    """``value`` (an id as the REST API sends it: a string or an int, or empty) plus ``offset``."""
    if value is None or value == "":
        return value
    return type(value)(int(value) + offset)


# Per table: the fields that hold an id of a sliced entity, and when (a predicate on the row as a dict).
ID_FIELDS: dict[str, list[tuple[str, Callable[[dict[str, Any]], bool]]]] = {
    "deals": [("ID", lambda r: True), ("LEAD_ID", lambda r: True)],
    "leads": [("ID", lambda r: True)],
    "stage_history": [("ID", lambda r: True), ("OWNER_ID", lambda r: True)],
    "lead_stage_history": [("ID", lambda r: True), ("OWNER_ID", lambda r: True)],
    "activities": [("ID", lambda r: True), ("OWNER_ID", lambda r: str(r["OWNER_TYPE_ID"]) in ("1", "2"))],
    "calls": [
        ("ID", lambda r: True),
        ("CRM_ACTIVITY_ID", lambda r: True),
        ("CRM_ENTITY_ID", lambda r: r["CRM_ENTITY_TYPE"] in ("DEAL", "LEAD")),
    ],
    "timeline_comments": [
        ("ID", lambda r: True),
        ("ENTITY_ID", lambda r: str(r["ENTITY_TYPE"]).lower() in ("deal", "lead")),
    ],
    "absences": [("ID", lambda r: True)],
}


def _records(name: str, table: Table, offset: int) -> Iterator[dict[str, Any]]:
    fields = ID_FIELDS.get(name, []) if offset else []
    for row in table.rows:
        record = table.as_dict(row)
        for field_name, applies in fields:
            if applies(record):
                record[field_name] = _shift(record[field_name], offset)
        yield record


def _load_slice(location: WarehouseLocation, portal: PortalData, index: int) -> None:
    """Load one generated slice into raw in one transaction (newest slice = index 0)."""
    conn = connect(location)
    try:
        for name, raw_name in RAW_TABLE_OF.items():
            table = portal.tables.get(name)
            if table is None or (index > 0 and name in REFERENCE_TABLES):
                continue
            load_versions(
                conn,
                RAW_ENTITIES[raw_name],
                portal_id="default",
                partition_key="snapshot",
                records=_records(name, table, index * ID_SHIFT),
            )
        if index == 0:
            load_versions(
                conn,
                RAW_ENTITIES["calendar_settings"],
                portal_id="default",
                partition_key="snapshot",
                records=[{"ID": 1, **portal.calendar_settings}],
            )
        conn.commit()
    finally:
        conn.close()


CHANGE_STAMPED = [
    "deals",
    "leads",
    "activities",
    "calls",
    "stage_history",
    "lead_stage_history",
    "timeline_comments",
]


def _new_versions(cur, start: datetime, end: datetime, label: str) -> dict[str, int]:
    """A new version of every change-stamped record whose current version is stamped in [start, end).

    One new version per record, made from its current exported version (staging's order among the versions
    the portal gave, not those made here), as a re-export of the window stores: the payload gains one key
    the models do not read, so the typed rows stay the same; the new version wins (same change stamp, newer
    sighting), and staging must re-derive the record. A label used before on a reused database
    (``--database``) adds no version: the one it made is sighted again, which staging re-derives the same
    way — so repeated runs leave each record two versions, not one more per run (session 16 found 46 on the
    last day's activities after 45 day runs with labels of their own, which slowed every model that reads a
    record's versions).
    """
    counts = {}
    for table in CHANGE_STAMPED:
        cur.execute(
            sql.SQL(
                """
                insert into {table} (portal_id, id, change_stamp, payload_hash, payload, partition_key)
                select portal_id, id, change_stamp, md5(payload_hash || %(label)s),
                       payload || jsonb_build_object('BENCH_VERSION', %(label)s), partition_key
                from (
                    select distinct on (portal_id, id) *
                    from {table}
                    where change_stamp >= %(start)s and change_stamp < %(end)s
                      and not payload ? 'BENCH_VERSION'
                    order by portal_id, id, change_stamp desc nulls last, last_seen_at desc, loaded_at desc
                ) as current_versions
                on conflict (portal_id, id, payload_hash) do update set last_seen_at = now()
                """
            ).format(table=sql.Identifier("raw", table)),
            {"label": label, "start": start, "end": end},
        )
        counts[table] = cur.rowcount
    return counts


def _loaded_slices(location: WarehouseLocation) -> set[int]:
    """The slices raw already holds: each is loaded in one transaction, all its tables or none, and its
    deal ids lie in [slice × ID_SHIFT, (slice + 1) × ID_SHIFT), so an interrupted load resumes."""
    conn = connect(location)
    try:
        with conn.cursor() as cur:
            cur.execute("select distinct id / %s from raw.deals", (ID_SHIFT,))
            return {int(index) for (index,) in cur.fetchall()}
    finally:
        conn.close()


def _node_timings(location: WarehouseLocation, target: str) -> dict[str, float]:
    """Execution time of every node (model, seed, test) of the last dbt command, from run_results.json."""
    results = dbt_target_dir(location, target) / "run_results.json"
    return {r["unique_id"]: r["execution_time"] for r in json.loads(results.read_text())["results"]}


def _timed_dbt(
    location: WarehouseLocation, *args: str, target: str = "target", environment: dict[str, str] | None = None
) -> tuple[float, dict[str, float]]:
    started = time.perf_counter()
    run_dbt(location, *args, target=target, environment=environment)
    return time.perf_counter() - started, _node_timings(location, target)


def _timed(cur, statement: str) -> float:
    """Seconds to run ``statement`` (a create table bench_result as ...); the table is dropped again."""
    started = time.perf_counter()
    cur.execute(statement)
    seconds = time.perf_counter() - started
    cur.execute("drop table bench_result")
    return seconds


MART = 'marts."managerControl_Deal"'
REQUEST_MART = 'marts."managerControl_Request"'
# the request models (#15), whose node times the report lists in every run
REQUEST_MODELS = (
    "int_lead_contacts_unioned",
    "int_request_chains",
    "int_requests_first_touched",
    "managerControl_Request",
    "fct_manager_daily_leads",
    "fct_lead_backlog_spans",
)
FLOOR = (
    "create table bench_result as select d.deal_id, d.responsible_id, d.created_at, d.first_touch_at, "
    "extract(epoch from d.first_touch_at - d.created_at) / 60 as response_minutes, "
    f"extract(epoch from d.snapshot_at - d.created_at) / 60 as pending_minutes from {MART} as d"
)
UNTOUCHED = "case when d.first_touch_at is null then d.snapshot_at end"
# The three look-ups managerControl_Deal makes (created, first touch, snapshot for untouched deals).
WORKING = (
    "select d.deal_id, d.responsible_id, d.created_at, d.first_touch_at, "
    "({{ working_seconds_at('w_touched', 'd.first_touch_at') }} "
    " - {{ working_seconds_at('w_created', 'd.created_at') }}) / 60.0 as response_minutes, "
    f"({{{{ working_seconds_at('w_snapshot', '{UNTOUCHED}') }}}} "
    " - {{ working_seconds_at('w_created', 'd.created_at') }}) / 60.0 as pending_minutes "
    f"from {MART} as d "
    "{{ working_time_join('w_created', 'd.responsible_id', 'd.created_at') }} "
    "{{ working_time_join('w_touched', 'd.responsible_id', 'd.first_touch_at') }} "
    f"{{{{ working_time_join('w_snapshot', 'd.responsible_id', '{UNTOUCHED}') }}}}"
)


def full_vars(snapshot: datetime) -> str:
    """The full build's --vars. The windowed runs pass the same string, so that dbt reuses that build's
    parse (a different vars string re-parses the whole project)."""
    return json.dumps({"snapshot_at": snapshot.isoformat()})


def run_summary(run: dict[str, Any]) -> str:
    """A daily run's two wall times, as the scripts print them."""
    return f"rest {run['rest']['wall_s']:.1f} s, windowed marts {run['windowed_marts']['wall_s']:.1f} s"


def daily_run(
    location: WarehouseLocation,
    snapshot: datetime,
    window_start: datetime,
    window_end: datetime,
    measured_at: datetime | None = None,
) -> dict[str, Any]:
    """A daily run as the Dagster job makes it, timed: the unpartitioned build (the same vars every day, so it
    reuses one parse), then the windowed one for [window_start, window_end) at ``snapshot`` (the full
    build's vars, the window in dbt's environment, so it reuses the full build's parse). ``measured_at``:
    the windowed run's instant instead of ``snapshot`` (in the environment, so the parse is still reused):
    a run later in the day, whose untouched records have waited longer since the previous run."""
    window = {"window_start": window_start.isoformat(), "window_end": window_end.isoformat()}
    if measured_at is not None:
        window["snapshot_at"] = measured_at.isoformat()
    rest_wall, rest_nodes = _timed_dbt(
        location,
        *PRODUCTION_BUILD,
        "--exclude",
        *WINDOWED_SELECTION,
        "--vars",
        json.dumps(UNPARTITIONED_VARS),
        target=UNPARTITIONED_TARGET,
    )
    marts_wall, marts_nodes = _timed_dbt(
        location,
        *PRODUCTION_BUILD,
        "--select",
        *WINDOWED_SELECTION,
        "--vars",
        full_vars(snapshot),
        environment=window_env(window),
    )
    return {
        "rest": {"wall_s": rest_wall, "nodes": rest_nodes},
        "windowed_marts": {"wall_s": marts_wall, "nodes": marts_nodes},
    }


def _compiled(location: WarehouseLocation, dbt_vars: str, query: str) -> str:
    return run_dbt(location, "compile", "--quiet", "--vars", dbt_vars, "--inline", query).stdout.strip()


def _counts(cur, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cur.execute(sql.SQL("select count(*) from {}").format(sql.SQL(table)))
        (counts[table],) = cur.fetchone()
    return counts


def _short(unique_id: str) -> str:
    kind, _project, *rest = unique_id.split(".")
    return f"{rest[-1] if kind == 'model' else '.'.join(rest)} ({kind})"


def _portal_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(PORTAL_TIME_ZONE))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--managers", type=int, default=70)
    parser.add_argument("--days", type=int, default=365, help="days per slice")
    parser.add_argument("--slices", type=int, default=1, help="generator runs, one after another in time")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--lead-share", type=float, default=0.0, help="GeneratorConfig.lead_share (0: a deals-only portal)"
    )
    parser.add_argument("--repeat", type=int, default=2, help="floor / working-minutes pairs, alternately")
    parser.add_argument("--window-days", type=int, nargs="+", default=[1, 7])
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--database",
        help="use this database, created if missing; generate and load only the slices its raw.deals "
        "lacks (an earlier --load-only or --keep run, or one interrupted); never dropped",
    )
    parser.add_argument("--load-only", action="store_true", help="stop after loading raw (implies --keep)")
    parser.add_argument(
        "--settle",
        action="store_true",
        help="before each day's run, wait until autovacuum has finished with the writes before it "
        "(bench/autovacuum.py): runs hours after the full build and after each other, as in production",
    )
    args = parser.parse_args()

    server = resolve_warehouse()
    if args.database:
        location = ensure_warehouse(ensure_database(server, args.database))
        keep = True
    else:
        location = create_scratch_database(server, "b24ops_dbtbench")
        keep = args.keep or args.load_only
    print(f"database {location.database}")

    def settled() -> dict[str, object] | None:
        return wait_until_quiet(location) if args.settle else None

    report: dict[str, Any] = {
        "managers": args.managers,
        "days": args.days,
        "slices": args.slices,
        "lead_share": args.lead_share,
        "database": location.database,
    }
    snapshot = _portal_midnight(END_DATE)
    try:
        load_seconds: list[tuple[float, float]] = []
        present = _loaded_slices(location)
        for index in (index for index in range(args.slices) if index not in present):
            started = time.perf_counter()
            config = GeneratorConfig(
                seed=args.seed + index,
                managers=args.managers,
                days=args.days,
                end_date=END_DATE - timedelta(days=index * args.days),
                lead_share=args.lead_share,
            )
            portal = generate(config)
            generated = time.perf_counter()
            _load_slice(location, portal, index)
            loaded = time.perf_counter()
            del portal
            gc.collect()
            load_seconds.append((generated - started, loaded - generated))
            print(f"slice {index}: generated {generated - started:.0f} s, loaded {loaded - generated:.0f} s")
        report["slices_generate_load_s"] = load_seconds

        conn = connect(location, autocommit=True)
        with conn.cursor() as cur:
            cur.execute("vacuum analyze")
            report["raw_rows"] = _counts(cur, [f"raw.{t}" for t in RAW_TABLES])
            cur.execute("select pg_database_size(current_database())")
            (report["raw_bytes"],) = cur.fetchone()
        print("raw rows:", report["raw_rows"])
        if args.load_only:
            return

        with conn.cursor() as cur:
            # the previous load, as in steady state: one day of changes (see the module docstring)
            first_window = _portal_midnight(END_DATE - timedelta(days=max(args.window_days)))
            report["previous_day_versions"] = _new_versions(
                cur, first_window - timedelta(days=1), first_window, "previous-day"
            )

        report["seed_s"], _ = _timed_dbt(location, "seed", "--vars", full_vars(snapshot))
        # --full-refresh: a reused database (--database) still holds the previous run's incremental tables
        wall, nodes = _timed_dbt(location, "build", "--full-refresh", "--vars", full_vars(snapshot))
        report["full_build"] = {"wall_s": wall, "nodes": nodes}
        print(f"full dbt build: {wall:.1f} s wall")

        with conn.cursor() as cur:
            report["mart_rows"] = _counts(
                cur,
                [
                    MART,
                    REQUEST_MART,
                    "marts.calls",
                    "marts.fct_manager_daily_deals",
                    "marts.fct_manager_daily_calls",
                ],
            )
            cur.execute(f"vacuum analyze {MART}")
            working = f"create table bench_result as {_compiled(location, full_vars(snapshot), WORKING)}"
            report["working_minutes_vs_floor"] = [
                {"floor_s": _timed(cur, FLOOR), "working_s": _timed(cur, working)} for _ in range(args.repeat)
            ]
            report["mart_copy_floor_s"] = _timed(cur, f"create table bench_result as select * from {MART}")

        # The unpartitioned asset passes the same vars every day and reuses one parse (reuse_parse in
        # orchestration/defs/dbt.py): its runs here get a target folder of their own, parsed once
        # beforehand; the windowed runs pass the full build's vars in its folder and their window in dbt's
        # environment (window_env), so they reuse the full build's parse.
        run_dbt(location, "parse", "--vars", json.dumps(UNPARTITIONED_VARS), target=UNPARTITIONED_TARGET)

        # The previous day's run, as in steady state: the daily run after the one a full build is followed
        # by. It reads the tables the build wrote for the first time (setting their hint bits, with no
        # visibility map yet); the day after, the tables are as every other day finds them. Timed, not
        # counted (docs/benchmarks.md).
        report["previous_day_run_settled"] = settled()
        report["previous_day_run"] = daily_run(
            location, snapshot, first_window - timedelta(days=1), first_window
        )
        print(f"previous day's run: {run_summary(report['previous_day_run'])}")
        report["incremental"] = []
        for window_days in args.window_days:
            window_start = _portal_midnight(END_DATE - timedelta(days=window_days))
            window_settled = settled()
            with conn.cursor() as cur:
                touched = _new_versions(cur, window_start, snapshot, f"window-{window_days}")
            run = {
                "window_days": window_days,
                "settled": window_settled,
                "new_versions": touched,
                **daily_run(location, snapshot, window_start, snapshot),
            }
            report["incremental"].append(run)
            print(f"{window_days}-day window: {run_summary(run)}")
        conn.close()
    finally:
        if not keep:
            drop_scratch_database(location)

    _print(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))


def _print(report: dict[str, Any]) -> None:
    full = report["full_build"]
    total = sum(full["nodes"].values())
    print(f"\nfull dbt build {full['wall_s']:.1f} s wall; node execution times add up to {total:.1f} s")
    for unique_id, seconds in sorted(full["nodes"].items(), key=lambda kv: -kv[1])[:15]:
        print(f"  {_short(unique_id):60} {seconds:8.1f} s {100 * seconds / total:5.1f} %")
    _print_request_models("full build", full["nodes"])
    tests = sum(s for u, s in full["nodes"].items() if u.startswith(("test.", "unit_test.")))
    print(f"  all data and unit tests together: {tests:.1f} s {100 * tests / total:.1f} %")
    print("mart rows:", report["mart_rows"])
    for pair in report["working_minutes_vs_floor"]:
        print(
            f"working minutes {pair['working_s']:.2f} s vs floor {pair['floor_s']:.2f} s: "
            f"{pair['working_s'] / pair['floor_s']:.2f}x"
        )
    model = next(s for u, s in full["nodes"].items() if u.endswith(".managerControl_Deal"))
    print(
        f"managerControl_Deal in the build {model:.1f} s vs a copy of the finished mart "
        f"{report['mart_copy_floor_s']:.2f} s: {model / report['mart_copy_floor_s']:.1f}x"
    )
    for run in report["incremental"]:
        marts, rest = run["windowed_marts"]["wall_s"], run["rest"]["wall_s"]
        print(
            f"{run['window_days']}-day window ({sum(run['new_versions'].values()):,} new versions): "
            f"rest of the project {rest:.1f} s, windowed models {marts:.1f} s, "
            f"together {100 * (marts + rest) / full['wall_s']:.1f} % of the full build"
        )
        nodes = {**run["rest"]["nodes"], **run["windowed_marts"]["nodes"]}
        for unique_id, seconds in sorted(nodes.items(), key=lambda kv: -kv[1])[:8]:
            print(f"    {_short(unique_id):60} {seconds:8.1f} s")
        _print_request_models(f"{run['window_days']}-day window", nodes)


def _print_request_models(label: str, nodes: dict[str, float]) -> None:
    times = {u.rsplit(".", 1)[-1]: s for u, s in nodes.items() if u.startswith("model.")}
    print(f"  request models, {label}: " + ", ".join(f"{m} {times.get(m, 0):.1f} s" for m in REQUEST_MODELS))


if __name__ == "__main__":
    main()
