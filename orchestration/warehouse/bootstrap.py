"""Make the warehouse ready: reachable, databases and schemas present, raw tables created.

Idempotent by construction (``if not exists`` everywhere), so ``make demo`` can run again on an
existing ``.data/`` and every asset may call it before writing.
"""

from __future__ import annotations

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import connection as Connection

from orchestration.warehouse.location import (
    DAGSTER_DATABASE,
    WAREHOUSE_DATABASE,
    WarehouseLocation,
    resolve_dagster_storage,
    resolve_warehouse,
)
from orchestration.warehouse.raw_tables import create_raw_tables

SCHEMAS = ("raw", "staging", "intermediate", "marts")


class WarehouseUnavailableError(RuntimeError):
    """The warehouse cannot be reached; the message names where, never with the password."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason  # PostgreSQL's own line, password masked


class WarehouseLostError(WarehouseUnavailableError):
    """The warehouse stopped answering in the middle of a command (stopped, restarted, the network cut)."""


def connect(location: WarehouseLocation, *, autocommit: bool = False) -> Connection:
    """Open a psycopg2 connection, turning driver noise into one clear line."""
    try:
        conn = psycopg2.connect(
            host=location.host,
            port=location.port,
            user=location.user,
            password=location.password or None,
            dbname=location.database,
            connect_timeout=10,
            application_name="b24ops",
        )
    except psycopg2.OperationalError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if location.password:
            first_line = first_line.replace(location.password, "***")
        where = location.redacted()
        raise WarehouseUnavailableError(
            f"cannot connect to the warehouse at {where}: {first_line} — {_what_to_do(location)}", first_line
        ) from None
    conn.autocommit = autocommit
    return conn


def _what_to_do(location: WarehouseLocation) -> str:
    """The next step for a warehouse that does not answer (docs/troubleshooting.md)."""
    if location.embedded:
        return "start the embedded warehouse: b24ops warehouse start (its log: .data/pg/log)"
    return (
        f"is PostgreSQL running at {location.host}:{location.port} and are the host, port, user and password"
        " of WAREHOUSE_URL right? (docs/troubleshooting.md)"
    )


def lost_warehouse(
    location: WarehouseLocation, failure: BaseException, during: str
) -> WarehouseLostError | None:
    """The one-line error for ``failure`` if the warehouse went away under it, else None.

    Gone means: the failure is (or wraps, as SQLAlchemy and Dagster wrap the driver's errors) a connection
    that PostgreSQL closed or refused, or the warehouse does not answer now. Dagster keeps its run storage
    there too, so a warehouse that stops mid-sync fails the sync in Dagster's own code with a SQLAlchemy
    error and several hundred lines of traceback (measured: 417 lines, issue #18 point 6)."""
    reason = _connection_lost(failure)
    try:
        connect(location).close()
    except WarehouseUnavailableError as now:
        reason = now.reason
    if reason is None:
        return None
    if location.password:
        reason = reason.replace(location.password, "***")
    return WarehouseLostError(
        f"the warehouse at {location.redacted()} stopped answering during {during}: {reason} — "
        f"{_what_to_do(location)}; then run it again: it redoes what was not finished"
    )


def _connection_lost(failure: BaseException) -> str | None:
    """PostgreSQL's first line if ``failure`` or an error it wraps is a lost or refused connection."""
    seen: set[int] = set()
    error: BaseException | None = failure
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        for candidate in (error, getattr(error, "orig", None)):  # SQLAlchemy's DBAPIError keeps the driver's
            if _is_connection_loss(candidate):
                text = str(candidate).strip()
                return text.splitlines()[0] if text else type(candidate).__name__
        error = error.__cause__ or error.__context__
    return None


# SQLSTATEs of a connection the server ended: admin_shutdown, crash_shutdown, cannot_connect_now (a
# statement error of the same class 57, query_canceled, is no lost warehouse); class 08 is the connection's
CONNECTION_ENDED = frozenset({"57P01", "57P02", "57P03"})


def _is_connection_loss(error: object) -> bool:
    if isinstance(error, psycopg2.InterfaceError):  # "connection already closed"
        return True
    if not isinstance(error, psycopg2.OperationalError):
        return False
    code = error.pgcode  # none when the socket itself failed: the server is gone
    return code is None or code.startswith("08") or code in CONNECTION_ENDED


def ensure_database(server: WarehouseLocation, database: str) -> WarehouseLocation:
    """The database ``database`` on ``server``'s PostgreSQL, created if it does not exist yet."""
    # No ``with conn``: psycopg2 opens a transaction for it, and CREATE DATABASE refuses to run in one.
    conn = connect(server.with_database("postgres"), autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute("select 1 from pg_database where datname = %s", (database,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("create database {}").format(sql.Identifier(database)))
    finally:
        conn.close()
    return server.with_database(database)


def ensure_warehouse(location: WarehouseLocation | None = None) -> WarehouseLocation:
    """Resolve, create (embedded only) and prepare the warehouse; return where it is."""
    location = location or resolve_warehouse()
    if location.embedded:
        ensure_database(location, WAREHOUSE_DATABASE)
        ensure_database(location, DAGSTER_DATABASE)
    conn = connect(location)
    try:
        with conn, conn.cursor() as cur:
            for schema in SCHEMAS:
                cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
            create_raw_tables(cur)
    finally:
        conn.close()
    return location


def dagster_storage_url(location: WarehouseLocation, configured: str | None = None) -> str:
    """The SQLAlchemy URL Dagster's run, event and schedule storage should use (``configured``:
    ``DAGSTER_STORAGE_URL``)."""
    return resolve_dagster_storage(location, configured).libpq_url(driver="postgresql+psycopg2")
