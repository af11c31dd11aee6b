"""The role Superset reads with sees the marts and nothing else, and cannot write anywhere."""

from __future__ import annotations

import psycopg2
import pytest

from orchestration.superset.readonly_role import ensure_readonly_role, readonly_location
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation

pytestmark = pytest.mark.integration


def _prepare_layers(location: WarehouseLocation) -> None:
    """One table in each layer, as dbt would leave them (created by the warehouse owner)."""
    conn = connect(location)
    try:
        with conn, conn.cursor() as cur:
            for schema in ("staging", "intermediate", "marts", "public"):
                cur.execute(f"create table {schema}.probe as select 1 as id")
    finally:
        conn.close()


def _as_role(location: WarehouseLocation, role: str, password: str, *statements: str) -> list[tuple]:
    """Run the statements one by one (each its own transaction) as the role; the last one's rows."""
    conn = connect(readonly_location(location, role, password), autocommit=True)
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


@pytest.fixture
def readonly(
    fresh_database: WarehouseLocation, readonly_role_name: str
) -> tuple[WarehouseLocation, str, str]:
    _prepare_layers(fresh_database)
    password = "test-only-password"
    ensure_readonly_role(fresh_database, readonly_role_name, password)
    # twice: the pipeline runs it on every materialisation
    ensure_readonly_role(fresh_database, readonly_role_name, password)
    return fresh_database, readonly_role_name, password


def test_reads_the_marts(readonly):
    assert _as_role(*readonly, "select id from marts.probe") == [(1,)]


def test_sees_tables_dbt_creates_after_the_grant(readonly):
    location, role, password = readonly
    conn = connect(location)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("create table marts.rebuilt as select 2 as id")
    finally:
        conn.close()
    assert _as_role(location, role, password, "select id from marts.rebuilt") == [(2,)]


@pytest.mark.parametrize(
    "table", ["raw.users", "raw.deals", "staging.probe", "intermediate.probe", "public.probe"]
)
def test_cannot_read_other_layers(readonly, table):
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        _as_role(*readonly, f"select * from {table}")


@pytest.mark.parametrize(
    "statement",
    [
        "insert into marts.probe values (2)",
        "update marts.probe set id = 3",
        "delete from marts.probe",
        "truncate marts.probe",
        "drop table marts.probe",
        "create table marts.sneaky (id int)",
        "create table public.sneaky (id int)",
        "create temporary table sneaky (id int)",
        "insert into raw.users (id) values (1)",
        "create schema sneaky",
    ],
)
def test_cannot_write_anywhere(readonly, statement):
    with pytest.raises((psycopg2.errors.InsufficientPrivilege, psycopg2.errors.ReadOnlySqlTransaction)):
        _as_role(*readonly, statement)


def test_cannot_write_even_after_leaving_read_only_mode(readonly):
    """The read-only default is a lock the role may lift; the privileges must still refuse."""
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        _as_role(*readonly, "set default_transaction_read_only = off", "insert into marts.probe values (2)")
