"""The warehouse role Superset reads the marts with: ``select`` on schema ``marts`` and nothing else.

Raw, staging and intermediate hold the portal's personal data unmodelled (phone numbers, e-mails,
comments); BI users writing SQL in Superset must not reach them, and must not change anything. Three
locks: privileges (usage + select on marts only), ``default_transaction_read_only`` on the role (no
temporary tables either), and Superset's database settings (no DML, no CTAS).
"""

from __future__ import annotations

from psycopg2 import sql

from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation

MARTS_SCHEMA = "marts"
HIDDEN_SCHEMAS = ("raw", "staging", "intermediate", "public")


def ensure_readonly_role(warehouse: WarehouseLocation, role: str, password: str) -> None:
    """Create or update ``role`` with ``password`` and exactly the read-only grants. Idempotent."""
    name = sql.Identifier(role)
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
            cur.execute(sql.SQL("alter role {} set default_transaction_read_only = on").format(name))
            cur.execute(
                sql.SQL("grant connect on database {} to {}").format(sql.Identifier(warehouse.database), name)
            )
            for schema in HIDDEN_SCHEMAS:
                cur.execute(
                    sql.SQL("revoke all on all tables in schema {} from {}").format(
                        sql.Identifier(schema), name
                    )
                )
                cur.execute(sql.SQL("revoke all on schema {} from {}").format(sql.Identifier(schema), name))
            marts = sql.Identifier(MARTS_SCHEMA)
            cur.execute(sql.SQL("grant usage on schema {} to {}").format(marts, name))
            cur.execute(sql.SQL("grant select on all tables in schema {} to {}").format(marts, name))
            # dbt re-creates mart tables on every build: the tables it creates later are readable too.
            cur.execute(
                sql.SQL("alter default privileges in schema {} grant select on tables to {}").format(
                    marts, name
                )
            )
    finally:
        conn.close()


def readonly_location(warehouse: WarehouseLocation, role: str, password: str) -> WarehouseLocation:
    """Where Superset connects: the same server and database, as the read-only role."""
    return WarehouseLocation(
        warehouse.host, warehouse.port, role, password, warehouse.database, warehouse.embedded
    )
