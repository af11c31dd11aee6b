"""Shared fixtures: a real PostgreSQL (embedded, or WAREHOUSE_URL), one fresh database per use."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orchestration.warehouse.location import WarehouseLocation, resolve_warehouse
from orchestration.warehouse.scratch import create_scratch_database, drop_scratch_database


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
