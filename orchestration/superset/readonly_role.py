"""The warehouse role Superset reads the marts with: ``select`` on schema ``marts`` and nothing else.

Raw, staging and intermediate hold the portal's personal data unmodelled (phone numbers, e-mails,
comments); BI users writing SQL in Superset must not reach them, and must not change anything.

Read-only is enforced by privileges, because the role can lift every setting itself: PostgreSQL 18 lets
any role ``SET default_transaction_read_only = off`` and ``ALTER ROLE <itself> SET …`` or ``PASSWORD``,
and no grant takes that away. So the role gets usage + select on marts only, and loses what PostgreSQL
gives every role through ``PUBLIC``: ``TEMPORARY`` on the database, ``CREATE`` on schema public (before
PostgreSQL 15), and ``EXECUTE`` of the functions that create large objects (creating one needs no
privilege, and its creator owns and may write it). ``default_transaction_read_only`` stays as a second
lock, and Superset's database settings (no DML, no CTAS) as a third. Each provisioning resets the role's
password and every setting it may have changed on itself.
"""

from __future__ import annotations

import logging

from psycopg2 import sql
from psycopg2.extensions import cursor as Cursor

from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation

MARTS_SCHEMA = "marts"
HIDDEN_SCHEMAS = ("raw", "staging", "intermediate", "public")
# Every way to create a large object (lo_import from a server file is superuser-only already); libpq's
# client-side lo_import/lo_creat call these too, and the server checks EXECUTE on that path as well.
LARGE_OBJECT_CREATORS = ("lo_creat(integer)", "lo_create(oid)", "lo_from_bytea(oid, bytea)")

log = logging.getLogger(__name__)


def ensure_readonly_role(warehouse: WarehouseLocation, role: str, password: str) -> list[str]:
    """Create or update ``role`` with ``password`` and exactly the read-only grants. Idempotent.

    Returns the write paths the role still has (empty when the warehouse user could close them all:
    revoking from ``PUBLIC`` on pg_catalog functions needs a superuser); each is logged as a warning.
    """
    name = sql.Identifier(role)
    database = sql.Identifier(warehouse.database)
    conn = connect(warehouse)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("select 1 from pg_roles where rolname = %s", (role,))
            verb = "alter" if cur.fetchone() else "create"
            # sql.Literal: the password is sent inside the statement, never formatted into a log line.
            cur.execute(
                sql.SQL(
                    verb + " role {} with login nosuperuser nocreatedb nocreaterole noinherit password {}"
                ).format(name, sql.Literal(password))
            )
            _reset_settings(cur, role)
            cur.execute(sql.SQL("alter role {} set default_transaction_read_only = on").format(name))
            cur.execute(sql.SQL("grant connect on database {} to {}").format(database, name))
            # dbt's incremental models build in temporary tables: the warehouse user keeps TEMPORARY.
            cur.execute(sql.SQL("grant temporary on database {} to current_user").format(database))
            cur.execute(sql.SQL("revoke temporary on database {} from public, {}").format(database, name))
            cur.execute("revoke create on schema public from public")
            for function in LARGE_OBJECT_CREATORS:
                cur.execute(f"revoke execute on function pg_catalog.{function} from public")
            for schema in HIDDEN_SCHEMAS:
                cur.execute(
                    sql.SQL("revoke all on all tables in schema {} from {}").format(
                        sql.Identifier(schema), name
                    )
                )
                cur.execute(sql.SQL("revoke all on schema {} from {}").format(sql.Identifier(schema), name))
            marts = sql.Identifier(MARTS_SCHEMA)
            cur.execute(sql.SQL("revoke create on schema {} from {}").format(marts, name))
            cur.execute(sql.SQL("grant usage on schema {} to {}").format(marts, name))
            cur.execute(sql.SQL("grant select on all tables in schema {} to {}").format(marts, name))
            # dbt re-creates mart tables on every build: the tables it creates later are readable too.
            cur.execute(
                sql.SQL("alter default privileges in schema {} grant select on tables to {}").format(
                    marts, name
                )
            )
            gaps = write_paths(cur, role)
    finally:
        conn.close()
    for gap in gaps:
        log.warning("the read-only role %s can still %s (see docs/superset.md)", role, gap)
    return gaps


def _reset_settings(cur: Cursor, role: str) -> None:
    """Drop every ``ALTER ROLE … [IN DATABASE …] SET`` of ``role``: it may have set them on itself."""
    cur.execute(
        """
        select d.datname from pg_db_role_setting s
        join pg_roles r on r.oid = s.setrole
        left join pg_database d on d.oid = s.setdatabase
        where r.rolname = %s
        """,
        (role,),
    )
    for (database,) in cur.fetchall():
        scope = sql.SQL(" in database {}").format(sql.Identifier(database)) if database else sql.SQL("")
        cur.execute(sql.SQL("alter role {}{} reset all").format(sql.Identifier(role), scope))


def write_paths(cur: Cursor, role: str) -> list[str]:
    """What ``role`` could still create in this database, as PostgreSQL's privilege functions see it."""
    cur.execute(
        """
        select 'create temporary tables' where has_database_privilege(%(role)s, current_database(), 'TEMP')
        union all
        select 'create schemas' where has_database_privilege(%(role)s, current_database(), 'CREATE')
        union all
        select 'create objects in schema ' || nspname from pg_namespace
        where nspname not like 'pg\\_%%' and nspname <> 'information_schema'
          and has_schema_privilege(%(role)s, oid, 'CREATE')
        union all
        select 'create large objects with ' || f from unnest(%(functions)s::text[]) f
        where has_function_privilege(%(role)s, 'pg_catalog.' || f, 'EXECUTE')
        """,
        {"role": role, "functions": list(LARGE_OBJECT_CREATORS)},
    )
    return [gap for (gap,) in cur.fetchall()]


def readonly_location(warehouse: WarehouseLocation, role: str, password: str) -> WarehouseLocation:
    """Where Superset connects: the same server and database, as the read-only role."""
    return WarehouseLocation(
        warehouse.host, warehouse.port, role, password, warehouse.database, warehouse.embedded
    )
