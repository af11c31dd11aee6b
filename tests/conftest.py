"""Shared fixtures: a real PostgreSQL (embedded, or WAREHOUSE_URL), one fresh database per use."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from psycopg2 import sql

from orchestration.warehouse.bootstrap import connect, ensure_warehouse
from orchestration.warehouse.location import WarehouseLocation, resolve_warehouse


@pytest.fixture(scope="session")
def pg_server() -> WarehouseLocation:
    """The server the tests create their databases on."""
    return resolve_warehouse()


def _create_database(server: WarehouseLocation, prefix: str) -> WarehouseLocation:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    conn = connect(server.with_database("postgres"), autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    finally:
        conn.close()
    return server.with_database(name)


def _drop_database(location: WarehouseLocation) -> None:
    conn = connect(location.with_database("postgres"), autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(location.database))
            )
    finally:
        conn.close()


@pytest.fixture
def fresh_database(pg_server: WarehouseLocation) -> Iterator[WarehouseLocation]:
    """An empty database of its own, with the warehouse schemas and raw tables, dropped afterwards."""
    location = _create_database(pg_server, "b24ops_test")
    ensure_warehouse(location)
    yield location
    _drop_database(location)


@pytest.fixture(scope="module")
def module_database(pg_server: WarehouseLocation) -> Iterator[WarehouseLocation]:
    """Like ``fresh_database`` but shared by one test module (for expensive set-ups)."""
    location = _create_database(pg_server, "b24ops_test")
    ensure_warehouse(location)
    yield location
    _drop_database(location)
