"""A small emulated portal loaded into raw tables and built with the real dbt, shared by the marts tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from psycopg2.extensions import connection as Connection

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.generator.history import end_of_day, portal_as_of
from bitrix24_emulator.model import PortalData
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation
from testkit.dbt import run_dbt
from testkit.raw_from_portal import load_portal

# 10 managers × 30 days: ~700 deals, ~3,500 activities, ~4,500 calls — every contact kind and call outcome
# occurs, and one dbt build takes ~10 s.
PORTAL_CONFIG = GeneratorConfig(seed=7, managers=10, departments=2, days=30, end_date=date(2026, 11, 1))

# Days a daily run observed, at their last second (their backlog is exact); the final load is a backfill at
# the portal's "now" (every other day's backlog is estimated from the versions the warehouse holds).
OBSERVED_DAYS = (date(2026, 10, 12), date(2026, 10, 20), date(2026, 10, 21))


def dbt_vars(portal: PortalData, **extra: object) -> str:
    """--vars for a reproducible build: the marts measure backlog and pending time at the portal's "now"."""
    return json.dumps({"snapshot_at": portal.snapshot_at, **extra})


def build_models_and_seeds(location: WarehouseLocation, portal: PortalData) -> None:
    """A from-scratch build of the models and seeds (no data tests: the incremental tests compare tables)."""
    run_dbt(
        location, "build", "--resource-type", "model", "--resource-type", "seed", "--vars", dbt_vars(portal)
    )


@pytest.fixture(scope="module")
def portal() -> PortalData:
    return generate(PORTAL_CONFIG)


def observe_past_days(location: WarehouseLocation, portal: PortalData, days: tuple[date, ...]) -> None:
    """Daily runs in the portal's past: each loads the portal as REST showed it at the end of an observed
    day and builds the models up to the backlog snapshot (the exact days)."""
    for day in days:
        instant = end_of_day(portal, day)
        past = portal_as_of(portal, instant)
        load_portal(location, past, observed_at=instant)
        run_dbt(
            location, "build", "--resource-type", "model", "--resource-type", "seed",
            "--select", "+fct_manager_daily_backlog_snapshots", "--vars", dbt_vars(past),
        )  # fmt: skip


@pytest.fixture(scope="module")
def observed_days() -> tuple[date, ...]:
    """A module without backlog-history tests overrides it with () and saves the runs."""
    return OBSERVED_DAYS


@pytest.fixture(scope="module")
def built_warehouse(
    module_database: WarehouseLocation, portal: PortalData, observed_days: tuple[date, ...]
) -> tuple[WarehouseLocation, str]:
    """The module database after a few daily runs in the portal's past (``observed_days``) and a backfill of
    the whole portal with a full ``dbt build`` (the backlog snapshots keep their history); returns it and
    the last build's stdout."""
    observe_past_days(module_database, portal, observed_days)
    load_portal(module_database, portal, observed_at=datetime.fromisoformat(portal.snapshot_at))
    result = run_dbt(module_database, "build", "--full-refresh", "--vars", dbt_vars(portal))
    return module_database, result.stdout


@pytest.fixture(scope="module")
def warehouse_conn(built_warehouse: tuple[WarehouseLocation, str]) -> Iterator[Connection]:
    conn = connect(built_warehouse[0])
    yield conn
    conn.close()
