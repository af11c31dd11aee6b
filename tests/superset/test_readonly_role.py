"""The role Superset reads with sees the marts and nothing else, and cannot write anywhere."""

from __future__ import annotations

import psycopg2
import pytest

from orchestration.superset.readonly_role import ensure_readonly_role, readonly_location
from orchestration.warehouse import publish
from orchestration.warehouse.bootstrap import WarehouseUnavailableError, connect
from orchestration.warehouse.location import WarehouseLocation
from tests.support.password_roles import password_checked

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


def test_sees_the_marts_the_pipeline_publishes(readonly):
    """Published marts are moved in from the candidate schema, where the schema's default privileges of
    `marts` do not reach: publishing gives them the grants (a replaced table's, or the defaults for a new
    one), and the role cannot read the candidate itself."""
    location, role, password = readonly
    conn = connect(location)
    try:
        publish.prepare_candidate(conn)
        with conn, conn.cursor() as cur:
            cur.execute("create table marts__candidate.fresh as select 3 as id")
            cur.execute("drop table marts__candidate.probe")
            cur.execute("create table marts__candidate.probe as select 4 as id")
        assert publish.publish(conn, ["fresh", "probe"]) == ["fresh", "probe"]
        publish.prepare_candidate(conn)
    finally:
        conn.close()
    assert _as_role(location, role, password, "select id from marts.fresh") == [(3,)]
    assert _as_role(location, role, password, "select id from marts.probe") == [(4,)]
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        _as_role(location, role, password, "select id from marts__candidate.probe")


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


LIFT_THE_LOCKS = "set default_transaction_read_only = off"


def test_provisioning_leaves_no_write_path(readonly):
    """What PostgreSQL's privilege functions say the role could create: nothing (embedded: a superuser
    provisions, so the PUBLIC grants on large-object functions can be revoked)."""
    location, role, password = readonly
    assert ensure_readonly_role(location, role, password) == []


@pytest.mark.parametrize(
    "statement",
    [
        "create temporary table sneaky (id int)",
        "create temporary view sneaky as select 1",
        "create function pg_temp.sneaky() returns int language sql as 'select 1'",
        "select lo_create(0)",
        "select lo_creat(-1)",
        "select lo_from_bytea(0, 'written')",
        "select lo_import('/etc/hostname')",
        "insert into marts.probe values (2)",
        "create table marts.sneaky (id int)",
        "create table public.sneaky (id int)",
        "create schema sneaky",
    ],
)
def test_cannot_write_with_the_read_only_default_lifted(readonly, statement):
    """PostgreSQL lets any role lift default_transaction_read_only: privileges alone must refuse."""
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        _as_role(*readonly, LIFT_THE_LOCKS, statement)


def test_cannot_create_a_large_object_through_libpq(readonly):
    """libpq's client-side large-object calls (what psycopg2's lobject uses) are refused the same way."""
    conn = connect(readonly_location(*readonly))
    try:
        with conn.cursor() as cur:
            cur.execute(LIFT_THE_LOCKS)
        # psycopg2 raises the client-side call's failure as OperationalError, with the server's message
        with pytest.raises(psycopg2.OperationalError, match="permission denied for function lo_creat"):
            conn.lobject(0, "wb").write(b"written")
    finally:
        conn.close()


def _role_settings(location: WarehouseLocation, role: str) -> list[str]:
    conn = connect(location)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "select unnest(setconfig) from pg_db_role_setting s join pg_roles r on r.oid = s.setrole "
                "where r.rolname = %s order by 1",
                (role,),
            )
            return [setting for (setting,) in cur.fetchall()]
    finally:
        conn.close()


def test_what_the_role_changes_on_itself_is_undone_by_the_next_provisioning(readonly, pg_server):
    """PostgreSQL 18 lets a role ALTER its own settings and password (no grant prevents it): provisioning
    puts both back, and in between the changes open no write path (the tests above)."""
    location, role, password = readonly
    with password_checked(pg_server, [role]):
        _as_role(
            location,
            role,
            password,
            LIFT_THE_LOCKS,
            f"alter role {role} set default_transaction_read_only = off",
            f"alter role {role} in database {location.database} set statement_timeout = 0",
            f"alter role {role} password 'chosen-by-a-bi-user'",
        )
        assert _role_settings(location, role) == [
            "default_transaction_read_only=off",
            "statement_timeout=0",
        ]
        with pytest.raises(WarehouseUnavailableError, match="password authentication failed"):
            _as_role(location, role, password, "select 1")

        ensure_readonly_role(location, role, password)

        assert _role_settings(location, role) == ["default_transaction_read_only=on"]
        assert _as_role(location, role, password, "show default_transaction_read_only") == [("on",)]
