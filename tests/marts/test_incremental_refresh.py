"""An incremental run over a window after late data arrives leaves the marts as a full refresh builds them,
and re-running the window changes nothing; a run at a later snapshot moves the backlog as a full refresh
at that snapshot does. The portal has leads (#15), so the request models are compared too.

The window reaches dbt as the windowed Dagster asset passes it, in dbt's environment (window_env), and as
vars (how a run by hand gives it): both compile the windowed models and their tests to the same SQL."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from psycopg2.extensions import cursor as Cursor

from bitrix24_emulator.generator import generate
from bitrix24_emulator.generator.history import portal_as_of
from bitrix24_emulator.model import PortalData, Table
from orchestration.defs.dbt import WINDOWED_MARTS, window_env
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation
from testkit.backlog import backlog_holders_without_a_row, deal_backlog_days_not_summing
from testkit.dbt import dbt_target_dir, run_dbt
from testkit.raw_from_portal import load_portal
from testkit.warehouse import query
from tests.marts.conftest import PORTAL_CONFIG, build_models_and_seeds, dbt_vars

# the start of the dbt invocation, stamped as staged_at (macros/latest_version.sql): differs between any two
RUN_STARTED_AT = re.compile(r"'\d{4}-\d\d-\d\dT[\d:]+\.\d+\+00:00'::timestamptz")

MARTS = (
    'marts."managerControl_Deal"',
    "marts.calls",
    "marts.fct_manager_daily_deals",
    "marts.fct_manager_daily_calls",
    "marts.fct_manager_daily_backlog_snapshots",
    "marts.fct_manager_daily_backlog",
    "marts.fct_manager_call_patterns",
    "marts.dim_departments",
    'marts."managerControl_Request"',
    "marts.fct_manager_daily_leads",
    "marts.fct_lead_backlog_spans",
    "intermediate.int_request_chains",
    "intermediate.int_requests_first_touched",
    "intermediate.int_lead_contacts_unioned",
    # the manager rows: the former responsibles user.get does not list among them (int_responsibles_seen)
    "intermediate.int_responsibles_seen",
    "intermediate.int_users_unknown",
    "marts.dim_managers",
)

# A user user.get never lists (deleted): held a few open deals and leads, handed over in the window
FORMER_ID = 99_001


@pytest.fixture(scope="module")
def portal() -> PortalData:
    """The shared marts portal with a share of the requests arriving as leads."""
    return generate(replace(PORTAL_CONFIG, lead_share=0.3))


def _checksums(location: WarehouseLocation) -> dict[str, str]:
    conn = connect(location)
    try:
        with conn.cursor() as cur:
            out = {}
            for mart in MARTS:
                # staged_at says when a row was written, not what it holds
                row = "(to_jsonb(t) - 'staged_at')::text"
                rows = f"coalesce(string_agg({row}, '|' order by {row}), '')"
                cur.execute(f"select count(*) || ':' || md5({rows}) from {mart} as t")
                out[mart] = cur.fetchone()[0]
            return out
    finally:
        conn.close()


def test_window_run_after_late_data_equals_full_refresh(
    fresh_database: WarehouseLocation, portal: PortalData
) -> None:
    snapshot = datetime.fromisoformat(portal.snapshot_at)
    window_start = snapshot - timedelta(days=10)
    # 1. history up to the window (the portal as REST showed it then), built from scratch; a few open deals
    # and leads are then held by a user user.get does not list, and handed over in the window
    before, after = _handed_over_by_a_deleted_user(portal_as_of(portal, window_start), portal, window_start)
    load_portal(fresh_database, before, observed_at=window_start)
    build_models_and_seeds(fresh_database, portal)
    # 2. the window's data arrives (deals edited, late first touches of older deals); incremental run of it
    load_portal(fresh_database, after, observed_at=snapshot)
    window = {
        "window_start": window_start.date().isoformat(),
        "window_end": (snapshot + timedelta(days=1)).date().isoformat(),
    }
    # ... and a lead converted long ago, first contacted on the lead, is reassigned (nothing else of its
    # chain changed in the window): only the lead's change can bring the chain into the run
    request_id, old_responsible = _reassign_a_quiet_converted_lead(fresh_database, portal, window, snapshot)
    assert _compiled_window_models(fresh_database, portal, window) > 0
    # (the window as the Dagster asset passes it)
    run_dbt(fresh_database, "run", "--vars", dbt_vars(portal), environment=window_env(window))
    # the former responsible keeps the backlog days they held: the per-manager rows sum to the portal's
    assert all(days > 0 for days in _former_backlog_days(fresh_database))
    assert deal_backlog_days_not_summing(fresh_database) == []
    assert backlog_holders_without_a_row(fresh_database) == []
    incremental = _checksums(fresh_database)
    assert _responsible(fresh_database, request_id) != old_responsible
    # 3. re-running the same partition changes nothing (the window as vars, as by hand)
    run_dbt(fresh_database, "run", "--vars", dbt_vars(portal, **window))
    assert _checksums(fresh_database) == incremental
    # 4. a full refresh over the same raw data
    run_dbt(fresh_database, "run", "--full-refresh", "--vars", dbt_vars(portal))
    assert _checksums(fresh_database) == incremental


def _edited(table: Table, ids: set[str], changes: dict[str, str]) -> Table:
    """``table`` with ``changes`` made to the rows of ``ids``."""
    key = table.index_of(table.id_field)
    rows = [
        tuple(changes.get(column, value) for column, value in zip(table.fields, row, strict=True))
        if row[key] in ids
        else row
        for row in table.rows
    ]
    return replace(table, rows=rows)


def _handed_over_by_a_deleted_user(
    before: PortalData, portal: PortalData, window_start: datetime
) -> tuple[PortalData, PortalData]:
    """The portal at the window's start and at its end, with three deals and three leads (open, not changed
    for a week before the window) held by FORMER_ID until a handover to their employee in the window; user.get
    lists FORMER_ID in neither (a deleted user), so only the older versions name them at the end."""
    handed_over_at = (datetime.fromisoformat(portal.snapshot_at) - timedelta(hours=3)).isoformat()
    held, handed = dict(before.tables), dict(portal.tables)
    for name, semantic in (("deals", "STAGE_SEMANTIC_ID"), ("leads", "STATUS_SEMANTIC_ID")):
        table = portal.tables[name]
        records = [table.as_dict(row) for row in table.rows]
        quiet = [
            record["ID"]
            for record in records
            if record[semantic] == "P"
            and datetime.fromisoformat(record["DATE_MODIFY"]) < window_start - timedelta(days=7)
        ]
        chosen = set(sorted(quiet, key=int)[:3])
        assert len(chosen) == 3, name
        held[name] = _edited(before.tables[name], chosen, {"ASSIGNED_BY_ID": str(FORMER_ID)})
        handed[name] = _edited(table, chosen, {"DATE_MODIFY": handed_over_at})
    return replace(before, tables=held), replace(portal, tables=handed)


def _former_backlog_days(location: WarehouseLocation) -> tuple[int, int]:
    """The days of deal and lead backlog (any measure) FORMER_ID's spans hold."""
    [days] = query(
        location,
        "select (select coalesce(sum(least(to_date, %(end)s) - from_date), 0)"
        "        from intermediate.int_deal_backlog_spans where manager_id = %(id)s),"
        "       (select coalesce(sum(least(to_date, %(end)s) - from_date), 0)"
        "        from marts.fct_lead_backlog_spans where manager_id = %(id)s)",
        {"id": FORMER_ID, "end": date(2100, 1, 1)},
    )
    return days


def _compiled_window_models(location: WarehouseLocation, portal: PortalData, window: dict[str, str]) -> int:
    """Compile the windowed models and their tests with the window in dbt's environment and as vars; assert
    the SQL is the same, and return how many compiled files hold the window's start."""
    trees = []
    for target, extra, environment in (("window-env", {}, window_env(window)), ("window-vars", window, {})):
        run_dbt(
            location,
            "compile", "--select", *WINDOWED_MARTS.split(), "--vars", dbt_vars(portal, **extra),
            target=target, environment=environment,
        )  # fmt: skip
        compiled = dbt_target_dir(location, target) / "compiled"
        trees.append(
            {
                path.relative_to(compiled): RUN_STARTED_AT.sub("run_started_at", path.read_text())
                for path in compiled.rglob("*.sql")
            }
        )
    assert trees[0] == trees[1]
    return sum(window["window_start"] in sql for sql in trees[0].values())


def _responsible(location: WarehouseLocation, request_id: str) -> int:
    conn = connect(location)
    try:
        with conn.cursor() as cur:
            cur.execute(
                'select responsible_id from marts."managerControl_Request" where request_id = %s',
                (request_id,),
            )
            return cur.fetchone()[0]
    finally:
        conn.close()


def _compiled_rows(
    location: WarehouseLocation, portal: PortalData, window: dict[str, str], query: str
) -> Cursor:
    """Rows of ``query`` (dbt Jinja) compiled with the window's vars."""
    compiled = run_dbt(
        location, "compile", "--quiet", "--vars", dbt_vars(portal, **window), "--inline", query
    ).stdout.strip()
    conn = connect(location, autocommit=True)
    cur = conn.cursor()
    cur.execute(compiled)
    return cur


def _reassign_a_quiet_converted_lead(
    location: WarehouseLocation, portal: PortalData, window: dict[str, str], snapshot: datetime
) -> tuple[str, int]:
    """Store a new version of a converted lead (a lead-to-deal chain first contacted on the lead, that no
    record of changed in the window) with another responsible, edited in the window; returns the chain's
    request_id and its responsible before."""
    # staging as the unpartitioned run leaves it, so the window's change sets can be asked
    run_dbt(location, "run", "--exclude", *WINDOWED_MARTS.split(), "--vars", dbt_vars(portal, **window))
    cur = _compiled_rows(
        location,
        portal,
        window,
        """
        select mart.request_id, mart.lead_id, mart.responsible_id,
               (select min(user_id) from {{ ref('stg_bitrix24__users') }} as users
                where users.user_type = 'employee' and users.user_id <> mart.responsible_id)
        from {{ ref('managerControl_Request') }} as mart
        where mart.request_kind = 'lead_to_deal' and mart.first_touch_on_lead
          and mart.request_id not in ({{ requests_changed_in_window() }})
        order by mart.request_id
        limit 1
        """,
    )
    request_id, lead_id, old_responsible, new_responsible = cur.fetchone()
    edited = (snapshot - timedelta(hours=2)).isoformat()
    cur.execute(
        """
        insert into raw.leads (portal_id, id, change_stamp, payload_hash, payload, partition_key)
        select portal_id, id, %(edited)s, md5(payload_hash || 'reassigned'),
               payload || %(edits)s::jsonb, partition_key
        from raw.leads
        where id = %(lead_id)s
        order by change_stamp desc nulls last, last_seen_at desc
        limit 1
        """,
        {
            "lead_id": lead_id,
            "edited": edited,
            "edits": json.dumps(
                {
                    "ASSIGNED_BY_ID": str(new_responsible),
                    "DATE_MODIFY": edited,
                    "MODIFY_BY_ID": str(new_responsible),
                }
            ),
        },
    )
    cur.connection.close()
    return request_id, old_responsible


def _deal_mart_checksum(location: WarehouseLocation) -> tuple[str, int]:
    """managerControl_Deal without snapshot_at (when each row was last computed), and its overdue total."""
    [(checksum, overdue)] = query(
        location,
        "select md5(string_agg((to_jsonb(t) - 'snapshot_at')::text, '|' order by t.deal_id)),"
        " sum(t.overdue_activity_count)::int"
        ' from marts."managerControl_Deal" as t',
    )
    return checksum, overdue


def test_run_at_a_later_snapshot_equals_full_refresh_there(
    fresh_database: WarehouseLocation, portal: PortalData
) -> None:
    snapshot = datetime.fromisoformat(portal.snapshot_at)
    earlier = (snapshot - timedelta(days=4)).isoformat()
    load_portal(fresh_database, portal)
    run_dbt(
        fresh_database,
        "build",
        "--resource-type",
        "model",
        "--resource-type",
        "seed",
        "--vars",
        dbt_vars(portal, snapshot_at=earlier),
    )
    _, overdue_before = _deal_mart_checksum(fresh_database)
    waits_before = _untouched_waits(fresh_database)
    # the next day's run: no new data, only the snapshot moved on (deadlines passed meanwhile)
    window = {
        "window_start": (snapshot - timedelta(days=1)).isoformat(),
        "window_end": snapshot.isoformat(),
    }
    run_dbt(fresh_database, "run", "--select", *WINDOWED_MARTS.split(), "--vars", dbt_vars(portal, **window))
    incremental, overdue_after = _deal_mart_checksum(fresh_database)
    assert overdue_after != overdue_before  # the case under test: deadlines passed between the snapshots
    # ... and untouched deals and requests waited longer: their stored rows were re-measured, not re-derived,
    # and the daily cohorts' pending sums set by fct_manager_daily_deals' post-hook
    waits = _untouched_waits(fresh_database)
    assert waits["managerControl_Deal"] > waits_before["managerControl_Deal"]

    run_dbt(
        fresh_database,
        "run",
        "--full-refresh",
        "--select",
        *WINDOWED_MARTS.split(),
        "--vars",
        dbt_vars(portal),
    )
    assert _deal_mart_checksum(fresh_database) == (incremental, overdue_after)
    assert _untouched_waits(fresh_database) == waits


# A user user.get never lists, named by a call and a planned activity that arrive between two runs
ARRIVING_ID = 99_002


def _unknown_users(location: WarehouseLocation) -> list[tuple]:
    return query(
        location,
        "select user_id, full_name, user_type, deals, leads, calls, meetings_held,"
        " activities_planned, held_deals_or_leads from intermediate.int_users_unknown order by 1",
    )


def test_unknown_users_of_an_incremental_run_equal_a_full_refresh(
    fresh_database: WarehouseLocation, portal: PortalData
) -> None:
    """int_users_unknown reads the records of the candidates only that int_users_named (incremental over
    staging) and int_responsibles_seen hold. After incremental runs (a) a user user.get never listed, named by
    a call and a planned activity staged in a later run, and (b) an employee user.get stops listing, whose
    records were all staged in the first, are rows with every record they name counted, as a full refresh
    counts them. (a) fails if int_users_named did not read what staging wrote since its last build, (b) if it
    held the users user.get did not list as employees only."""
    # observed at the portal's "now", a month ago: the later runs' versions are observed at the wall clock's
    load_portal(fresh_database, portal, observed_at=datetime.fromisoformat(portal.snapshot_at))
    selection = ("--select", "+int_users_unknown", "--vars", dbt_vars(portal))
    run_dbt(fresh_database, "run", *selection)
    assert _unknown_users(fresh_database) == []
    conn = connect(fresh_database, autocommit=True)
    with conn.cursor() as cur:
        # (a) a new version of a call and of a planned to-do names ARRIVING_ID
        for table, field, record in (
            ("calls", "PORTAL_USER_ID", "select min(call_row_id) from staging.stg_bitrix24__calls"),
            (
                "activities",
                "RESPONSIBLE_ID",
                "select min(activity_id) from staging.stg_bitrix24__activities where activity_kind = 'todo'",
            ),
        ):
            cur.execute(
                f"""
                insert into raw.{table} (portal_id, id, change_stamp, payload_hash, payload, partition_key)
                select portal_id, id, change_stamp, md5(payload_hash || 'arriving'),
                       payload || jsonb_build_object('{field}', '{ARRIVING_ID}'), partition_key
                from raw.{table}
                where id = ({record})
                order by change_stamp desc nulls last, last_seen_at desc
                limit 1
                """
            )
        run_dbt(fresh_database, "run", *selection)
        # (b) the employee on the most calls of those no deal or lead names (int_responsibles_seen would hold
        # them otherwise): user.get no longer lists them; the next run stages nothing of theirs
        cur.execute(
            "select portal_user_id from staging.stg_bitrix24__calls"
            " where portal_user_id not in (select user_id from intermediate.int_responsibles_seen)"
            " group by 1 order by count(*) desc, 1 limit 1"
        )
        (gone,) = cur.fetchone()
        cur.execute(
            "insert into raw.deletions (portal_id, entity, id) values ('default', 'users', %s)", (gone,)
        )
    conn.close()
    run_dbt(fresh_database, "run", *selection)
    incremental = _unknown_users(fresh_database)
    counted = {row[0]: row[3:8] for row in incremental}
    assert counted[ARRIVING_ID] == (0, 0, 1, 0, 1)
    assert counted[gone][2] > 0  # their calls
    run_dbt(fresh_database, "run", "--full-refresh", *selection)
    assert _unknown_users(fresh_database) == incremental


def _untouched_waits(location: WarehouseLocation) -> dict[str, str | float]:
    """What the untouched records' waits reach: the request mart without snapshot_at, the deal cohorts of
    fct_manager_daily_deals (its backlog columns depend on the runs that observed them, not on this rule),
    and managerControl_Deal's total pending minutes."""
    [(requests, cohorts, deal_pending)] = query(
        location,
        """
        select
            (select md5(string_agg((to_jsonb(t) - 'snapshot_at')::text, '|' order by t.request_id))
             from marts."managerControl_Request" as t),
            (select md5(string_agg(concat_ws(',', report_date, manager_id, deals_created, deals_untouched,
                                             response_working_minutes_sum, pending_working_minutes_sum),
                                   '|' order by report_date, manager_id))
             from marts.fct_manager_daily_deals),
            (select sum(pending_working_minutes)::float from marts."managerControl_Deal")
        """,
    )
    return {
        "managerControl_Request": requests,
        "fct_manager_daily_deals": cohorts,
        "managerControl_Deal": deal_pending,
    }
