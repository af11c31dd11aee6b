"""A small emulated portal loaded into raw tables and built with the real dbt, shared by the marts tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest
from psycopg2.extensions import connection as Connection

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.model import PortalData
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation
from tests.support.dbt import run_dbt
from tests.support.raw_from_portal import load_portal

# 10 managers × 30 days: ~700 deals, ~3,500 activities, ~4,500 calls — every contact kind and call outcome
# occurs, and one dbt build takes ~10 s.
PORTAL_CONFIG = GeneratorConfig(seed=7, managers=10, departments=2, days=30, end_date=date(2026, 11, 1))


def dbt_vars(portal: PortalData, **extra: str) -> str:
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


@pytest.fixture(scope="module")
def built_warehouse(module_database: WarehouseLocation, portal: PortalData) -> tuple[WarehouseLocation, str]:
    """The module database with the portal in raw and a full ``dbt build``; returns it and dbt's stdout."""
    load_portal(module_database, portal)
    result = run_dbt(module_database, "build", "--vars", dbt_vars(portal))
    return module_database, result.stdout


@pytest.fixture(scope="module")
def warehouse_conn(built_warehouse: tuple[WarehouseLocation, str]) -> Iterator[Connection]:
    conn = connect(built_warehouse[0])
    yield conn
    conn.close()
