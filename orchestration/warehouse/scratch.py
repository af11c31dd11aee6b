"""Throw-away databases on the warehouse's server, for tests and benchmarks that must not touch its data."""

from __future__ import annotations

import uuid

from psycopg2 import sql

from orchestration.warehouse.bootstrap import connect, ensure_warehouse
from orchestration.warehouse.location import WarehouseLocation


def create_scratch_database(server: WarehouseLocation, prefix: str) -> WarehouseLocation:
    """A new, prepared (schemas and raw tables) database named ``<prefix>_<random>``."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = connect(server.with_database("postgres"), autocommit=True)
    try:
        with admin.cursor() as cur:
            cur.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    finally:
        admin.close()
    return ensure_warehouse(server.with_database(name))


def drop_scratch_database(location: WarehouseLocation) -> None:
    """Drop it, closing any session still connected to it."""
    admin = connect(location.with_database("postgres"), autocommit=True)
    try:
        with admin.cursor() as cur:
            cur.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(location.database))
            )
    finally:
        admin.close()
