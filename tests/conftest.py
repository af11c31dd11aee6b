"""Shared fixtures: a real PostgreSQL (embedded, or WAREHOUSE_URL), one fresh database per use."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orchestration.warehouse.location import WarehouseLocation, resolve_warehouse
from orchestration.warehouse.scratch import create_scratch_database, drop_scratch_database

# The modules that build whole pipelines (syncs, demo runs, a Superset), the longest first. `make test` hands
# modules to its workers in collection order (--dist loadfile --no-loadscope-reorder): these start first and
# the many short modules fill in behind them, so both workers finish together. pytest-xdist's default order
# (most tests first) would start these few-test, long modules last, one worker running them while the other
# has nothing left. Keep the list in the order `make test`'s --durations shows.
LONGEST_FIRST = (
    "tests/cli/test_demo.py",
    "tests/superset/test_dashboards_browser.py",
    "tests/alerts/test_sla_alerts_e2e.py",
    "tests/integration/test_pipeline_skeleton.py",
    "tests/cli/test_sync_kill.py",
    "tests/working_time/test_incremental_calendar.py",
    "tests/cli/test_sync.py",
    "tests/marts/test_incremental_refresh.py",
    "tests/ingestion/test_failures.py",
    "tests/cli/test_report.py",
    "tests/definitions/test_partial_parse.py",
    "tests/marts/test_marts_against_emulator.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """LONGEST_FIRST's modules first, in its order; every other test keeps its place (a stable sort)."""
    rank = {module: position for position, module in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


@pytest.fixture(scope="session")
def pg_server() -> WarehouseLocation:
    """The server the tests create their databases on."""
    return resolve_warehouse()


@pytest.fixture
def fresh_database(pg_server: WarehouseLocation) -> Iterator[WarehouseLocation]:
    """An empty database of its own, with the warehouse schemas and raw tables, dropped afterwards."""
    location = create_scratch_database(pg_server, "b24ops_test")
    yield location
    drop_scratch_database(location)


@pytest.fixture(scope="module")
def module_database(pg_server: WarehouseLocation) -> Iterator[WarehouseLocation]:
    """Like ``fresh_database`` but shared by one test module (for expensive set-ups)."""
    location = create_scratch_database(pg_server, "b24ops_test")
    yield location
    drop_scratch_database(location)
