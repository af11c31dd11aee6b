"""An incremental run over a window after late data arrives leaves the marts as a full refresh builds them,
and re-running the window changes nothing; a run at a later snapshot moves the backlog as a full refresh
at that snapshot does."""

from __future__ import annotations

from datetime import datetime, timedelta

from bitrix24_emulator.generator.history import portal_as_of
from bitrix24_emulator.model import PortalData
from orchestration.assets.dbt import WINDOWED_MARTS
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation
from testkit.dbt import run_dbt
from testkit.raw_from_portal import load_portal
from tests.marts.conftest import build_models_and_seeds, dbt_vars

MARTS = (
    'marts."managerControl_Deal"',
    "marts.calls",
    "marts.fct_manager_daily_deals",
    "marts.fct_manager_daily_calls",
    "marts.fct_manager_daily_backlog_snapshots",
    "marts.fct_manager_daily_backlog",
    "marts.fct_manager_call_patterns",
    "marts.dim_departments",
)


def _checksums(location: WarehouseLocation) -> dict[str, str]:
    conn = connect(location)
    try:
        with conn.cursor() as cur:
            out = {}
            for mart in MARTS:
                rows = "coalesce(string_agg(t::text, '|' order by t::text), '')"
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
    # 1. history up to the window (the portal as REST showed it then), built from scratch
    before = portal_as_of(portal, window_start)
    load_portal(fresh_database, before, observed_at=window_start)
    build_models_and_seeds(fresh_database, portal)
    # 2. the window's data arrives (deals edited, late first touches of older deals); incremental run of it
    load_portal(fresh_database, portal, observed_at=snapshot)
    window = {
        "window_start": window_start.date().isoformat(),
        "window_end": (snapshot + timedelta(days=1)).date().isoformat(),
    }
    run_dbt(fresh_database, "run", "--vars", dbt_vars(portal, **window))
    incremental = _checksums(fresh_database)
    # 3. re-running the same partition changes nothing
    run_dbt(fresh_database, "run", "--vars", dbt_vars(portal, **window))
    assert _checksums(fresh_database) == incremental
    # 4. a full refresh over the same raw data
    run_dbt(fresh_database, "run", "--full-refresh", "--vars", dbt_vars(portal))
    assert _checksums(fresh_database) == incremental


def _deal_mart_checksum(location: WarehouseLocation) -> tuple[str, int]:
    """managerControl_Deal without snapshot_at (when each row was last computed), and its overdue total."""
    conn = connect(location)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select md5(string_agg((to_jsonb(t) - 'snapshot_at')::text, '|' order by t.deal_id)),"
                " sum(t.overdue_activity_count)::int"
                ' from marts."managerControl_Deal" as t'
            )
            checksum, overdue = cur.fetchone()
            return checksum, overdue
    finally:
        conn.close()


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
    # the next day's run: no new data, only the snapshot moved on (deadlines passed meanwhile)
    window = {
        "window_start": (snapshot - timedelta(days=1)).isoformat(),
        "window_end": snapshot.isoformat(),
    }
    run_dbt(fresh_database, "run", "--select", *WINDOWED_MARTS.split(), "--vars", dbt_vars(portal, **window))
    incremental, overdue_after = _deal_mart_checksum(fresh_database)
    assert overdue_after != overdue_before  # the case under test: deadlines passed between the snapshots

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
