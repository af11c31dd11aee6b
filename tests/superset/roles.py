"""Throw-away warehouse roles for tests: roles are global to the PostgreSQL server, databases are not."""

from __future__ import annotations

import secrets

from psycopg2 import sql

from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation


def unique_role_name() -> str:
    return f"b24ops_ro_test_{secrets.token_hex(4)}"


def drop_role(location: WarehouseLocation, role: str) -> None:
    """Drop ``role`` after removing what it was granted in ``location``'s database."""
    conn = connect(location, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute("select 1 from pg_roles where rolname = %s", (role,))
            if cur.fetchone():
                cur.execute(sql.SQL("drop owned by {}").format(sql.Identifier(role)))
                cur.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))
    finally:
        conn.close()
