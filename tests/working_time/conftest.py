"""The scenario portal, built once for the package: staging inputs, dbt seed, dbt run, compiled macros."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from psycopg2.extensions import cursor as Cursor

from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation
from orchestration.warehouse.scratch import create_scratch_database, drop_scratch_database
from testkit.dbt import run_dbt
from tests.working_time import scenario
from tests.working_time.oracle import WorkingCalendar
from tests.working_time.probes import PROBE_QUERY, WorkingTimeDatabase, compile_inline


def _execute(location: WarehouseLocation, step: Callable[[Cursor], None]) -> None:
    conn = connect(location)
    try:
        with conn, conn.cursor() as cur:
            step(cur)
    finally:
        conn.close()


@pytest.fixture(scope="package")
def working_time_db(pg_server: WarehouseLocation) -> Iterator[WorkingTimeDatabase]:
    location = create_scratch_database(pg_server, "b24ops_wt")
    try:
        _execute(location, scenario.create_inputs)
        run_dbt(location, "seed", "--select", "tag:working_time")
        _execute(location, scenario.fill_seeds)
        run_dbt(location, "run", "--select", "tag:working_time", "--vars", scenario.DBT_VARS)
        yield WorkingTimeDatabase(location, compile_inline(location, PROBE_QUERY))
    finally:
        drop_scratch_database(location)


@pytest.fixture(scope="package")
def oracle() -> WorkingCalendar:
    return scenario.oracle_calendar()
