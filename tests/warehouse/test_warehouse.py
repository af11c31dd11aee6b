"""The warehouse against a real PostgreSQL: embedded by default, WAREHOUSE_URL when set."""

import subprocess
import sys

import psycopg2
import pytest

from orchestration.warehouse.bootstrap import (
    SCHEMAS,
    WarehouseUnavailableError,
    connect,
    ensure_warehouse,
    lost_warehouse,
)
from orchestration.warehouse.location import resolve_warehouse
from orchestration.warehouse.raw_tables import RAW_ENTITIES


def _schemas_and_tables(location):
    conn = connect(location)
    try:
        with conn.cursor() as cur:
            cur.execute("select schema_name from information_schema.schemata")
            schemas = {row[0] for row in cur.fetchall()}
            cur.execute("select table_name from information_schema.tables where table_schema = 'raw'")
            tables = {row[0] for row in cur.fetchall()}
    finally:
        conn.close()
    return schemas, tables


def test_embedded_server_starts_and_is_prepared(monkeypatch):
    monkeypatch.delenv("WAREHOUSE_URL", raising=False)
    location = ensure_warehouse()
    assert location.embedded and location.is_socket
    schemas, tables = _schemas_and_tables(location)
    assert set(SCHEMAS) <= schemas
    assert set(RAW_ENTITIES) <= tables


def test_preparing_twice_is_harmless(fresh_database):
    ensure_warehouse(fresh_database)
    ensure_warehouse(fresh_database)
    assert set(RAW_ENTITIES) <= _schemas_and_tables(fresh_database)[1]


def test_warehouse_url_is_honoured(monkeypatch, fresh_database):
    monkeypatch.setenv("WAREHOUSE_URL", fresh_database.libpq_url())
    location = resolve_warehouse()
    assert not location.embedded
    assert location.database == fresh_database.database
    assert set(SCHEMAS) <= _schemas_and_tables(ensure_warehouse(location))[0]


def test_unreachable_warehouse_is_one_clear_line_without_the_password(monkeypatch):
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://bi:TopSecret42@127.0.0.1:1/sales")
    with pytest.raises(WarehouseUnavailableError) as caught:
        ensure_warehouse()
    message = str(caught.value)
    assert "\n" not in message
    assert "TopSecret42" not in message
    assert "cannot connect to the warehouse at postgresql://bi:***@127.0.0.1:1/sales" in message


@pytest.mark.parametrize(
    "command",
    [["warehouse", "url"], ["sync", "--from", "2026-11-01", "--to", "2026-11-02"], ["report", "deals"]],
    ids=["warehouse-url", "sync", "report"],
)
def test_cli_reports_an_unreachable_warehouse_in_one_line(command):
    """#18 point 6: a warehouse that does not answer (nothing listens on the port) is one line naming where
    and what to do — no traceback — and exit 1, for every command that needs it."""
    env = {
        "WAREHOUSE_URL": "postgresql://bi:TopSecret42@127.0.0.1:1/sales",
        "B24_WEBHOOK_URL": "http://127.0.0.1:1/rest/1/hooksecret/",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *command],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "TopSecret42" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        "error: cannot connect to the warehouse at postgresql://bi:***@127.0.0.1:1/sales"
    )
    assert lines[0].endswith(
        "is PostgreSQL running at 127.0.0.1:1 and are the host, port, user and password of WAREHOUSE_URL"
        " right? (docs/troubleshooting.md)"
    ), lines[0]


def test_connection_is_real_postgres(fresh_database):
    conn = connect(fresh_database)
    try:
        with conn.cursor() as cur:
            cur.execute("show server_version_num")
            assert int(cur.fetchone()[0]) >= 150000
    finally:
        conn.close()


def test_warehouse_dbt_runs_dbt_on_the_configured_warehouse(fresh_database):
    """`b24ops warehouse dbt …` hands dbt the warehouse's connection: dbt debug connects to that database."""
    env = {"WAREHOUSE_URL": fresh_database.libpq_url(), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "warehouse", "dbt", "debug"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert f"database: {fresh_database.database}" in result.stdout
    assert "All checks passed" in result.stdout


def test_only_a_lost_connection_is_a_lost_warehouse(fresh_database):
    """#18 point 6: a statement error (here a statement timeout, an OperationalError too) while the warehouse
    answers is not reported as a warehouse gone; a connection the server ended is, even once it is back."""
    conn = connect(fresh_database)
    try:
        with conn.cursor() as cur:
            cur.execute("set statement_timeout = 10")
            with pytest.raises(psycopg2.OperationalError) as timeout:
                cur.execute("select pg_sleep(1)")
    finally:
        conn.close()
    assert lost_warehouse(fresh_database, timeout.value, "the sync") is None
    victim, killer = connect(fresh_database), connect(fresh_database, autocommit=True)
    try:
        with killer.cursor() as cur:
            cur.execute("select pg_terminate_backend(%s)", (victim.get_backend_pid(),))
        with pytest.raises(psycopg2.OperationalError) as ended, victim.cursor() as cur:
            cur.execute("select 1")
    finally:
        victim.close()
        killer.close()
    lost = lost_warehouse(fresh_database, RuntimeError("wrapped"), "the sync")
    assert lost is None  # nothing in it says so, and the warehouse answers
    try:
        raise RuntimeError("a step failed") from ended.value
    except RuntimeError as wrapped:
        lost = lost_warehouse(fresh_database, wrapped, "the sync")
    assert lost is not None and "stopped answering during the sync: server closed the connection" in str(lost)
