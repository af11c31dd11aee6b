"""A warehouse password may hold any character: every consumer gets it intact, no output ever shows it.

Real paths against a role that must log in with that password (``scram-sha-256``, see
tests/support/password_roles.py): the CLI's ``check`` and ``warehouse dbt`` in subprocesses, Dagster's
PostgreSQL storage with a materialisation through the warehouse resource, and the SQLAlchemy URL
Superset is given.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import psutil
import psycopg2.extensions
import pytest
import sqlalchemy
from sqlalchemy.engine import make_url

from orchestration.defs.resources import WarehouseResource
from orchestration.paths import PROJECT_ROOT
from orchestration.runtime.instance import open_instance
from orchestration.superset.provision import superset_database_uri
from orchestration.superset.readonly_role import ensure_readonly_role, readonly_location
from orchestration.warehouse.bootstrap import WarehouseUnavailableError, connect, dagster_storage_url
from orchestration.warehouse.location import WarehouseLocation
from tests.superset.roles import drop_role, unique_role_name
from tests.support.password_roles import (
    HOSTILE_PASSWORD,
    PASSWORD_TOKEN,
    as_role,
    create_login_role,
    password_checked,
)

TCP = WarehouseLocation("db.example", 6543, "bi user", HOSTILE_PASSWORD, "sales/2026", False)
SOCKET = WarehouseLocation("/run/pg dir", 5432, "bi", HOSTILE_PASSWORD, "b24ops", False)
IPV6 = WarehouseLocation("::1", 5432, "bi", HOSTILE_PASSWORD, "b24ops", False)


def assert_never_shown(*outputs: str) -> None:
    for output in outputs:
        assert PASSWORD_TOKEN not in output, output[-2000:]


@pytest.mark.parametrize("location", [TCP, SOCKET, IPV6], ids=["tcp", "socket", "ipv6"])
def test_every_url_form_carries_the_password_intact(location):
    url = location.libpq_url()
    assert WarehouseLocation.from_url(url) == location
    assert psycopg2.extensions.parse_dsn(url)["password"] == HOSTILE_PASSWORD  # libpq's own parser
    alchemy = make_url(location.libpq_url(driver="postgresql+psycopg2"))  # Dagster's storage, Superset
    assert (alchemy.username, alchemy.password) == (location.user, HOSTILE_PASSWORD)
    assert alchemy.database == location.database
    assert location.dbt_env()["B24OPS_PG_PASSWORD"] == HOSTILE_PASSWORD
    assert_never_shown(location.redacted(), repr(location))


@pytest.fixture
def owner_role(pg_server: WarehouseLocation, fresh_database: WarehouseLocation) -> Iterator[str]:
    role = unique_role_name()
    create_login_role(pg_server, role, HOSTILE_PASSWORD, superuser=True)
    yield role
    drop_role(fresh_database, role)


@pytest.fixture
def readonly_role_name(fresh_database: WarehouseLocation) -> Iterator[str]:
    role = unique_role_name()
    yield role
    drop_role(fresh_database, role)


@pytest.fixture
def hostile(
    pg_server: WarehouseLocation, fresh_database: WarehouseLocation, owner_role: str, readonly_role_name: str
) -> Iterator[WarehouseLocation]:
    """The test database as a role whose password is HOSTILE_PASSWORD, checked by the server."""
    with password_checked(pg_server, [owner_role, readonly_role_name]):
        yield as_role(fresh_database, owner_role, HOSTILE_PASSWORD)


def _cli(location: WarehouseLocation, *args: str, env: dict[str, str] | None = None):
    environment = {k: v for k, v in os.environ.items() if k not in {"B24_WEBHOOK_URL", "DAGSTER_STORAGE_URL"}}
    environment.update({"WAREHOUSE_URL": location.libpq_url(), "COLUMNS": "200", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=PROJECT_ROOT,
        check=False,
        timeout=300,
    )


@pytest.mark.integration
def test_the_server_checks_the_password(hostile):
    """Without this, the tests below would prove nothing: the embedded server trusts local logins."""
    connect(hostile).close()
    with pytest.raises(WarehouseUnavailableError, match="password authentication failed") as failure:
        connect(as_role(hostile, hostile.user, HOSTILE_PASSWORD[:-1]))
    assert_never_shown(str(failure.value))


@pytest.mark.integration
def test_check_command_reaches_the_warehouse(hostile):
    result = _cli(hostile, "check")
    warehouse_row = next(line for line in result.stdout.splitlines() if line.startswith("│ warehouse "))
    assert " ok " in warehouse_row, result.stdout + result.stderr
    assert_never_shown(result.stdout, result.stderr)


@pytest.mark.integration
def test_dbt_connects_through_the_profile(hostile, tmp_path: Path):
    logs = tmp_path / "dbt-logs"
    result = _cli(
        hostile,
        "warehouse",
        "dbt",
        "debug",
        env={
            "DBT_LOG_PATH": str(logs),
            "DBT_TARGET_PATH": str(tmp_path / "target"),
            "DBT_USE_COLORS": "false",
        },
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Connection test: [OK connection ok]" in result.stdout
    assert_never_shown(result.stdout, result.stderr, *(p.read_text() for p in logs.rglob("*") if p.is_file()))


@pytest.mark.integration
def test_dagster_storage_and_a_materialisation(hostile, tmp_path: Path, monkeypatch, capfd):
    monkeypatch.setenv("WAREHOUSE_URL", hostile.libpq_url())

    @dg.asset
    def warehouse_probe(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connection() as conn, conn.cursor() as cur:
            cur.execute("select current_user")
            return dg.MaterializeResult(metadata={"user": cur.fetchone()[0]})

    with open_instance(dagster_storage_url(hostile, ""), tmp_path / "dagster_home") as instance:
        result = dg.materialize(
            [warehouse_probe],
            instance=instance,
            resources={"warehouse": WarehouseResource(url=dg.EnvVar("WAREHOUSE_URL"))},
        )
        assert result.success
        assert instance.get_run_by_id(result.run_id) is not None  # stored in the warehouse's database
        stored = [repr(entry) for entry in instance.all_logs(result.run_id)]
    output = capfd.readouterr()
    assert_never_shown(output.out, output.err, *stored)


@pytest.mark.integration
def test_superset_connects_with_its_url_and_password(hostile, fresh_database, readonly_role_name):
    ensure_readonly_role(fresh_database, readonly_role_name, HOSTILE_PASSWORD)
    uri = superset_database_uri(fresh_database, readonly_role_name)
    assert_never_shown(uri)
    # Superset stores the URL with the password masked and sets the real one on it (URL.set)
    for url in (
        make_url(uri).set(password=HOSTILE_PASSWORD),
        readonly_location(fresh_database, readonly_role_name, HOSTILE_PASSWORD).libpq_url(
            driver="postgresql+psycopg2"
        ),
    ):
        engine = sqlalchemy.create_engine(url)
        try:
            with engine.connect() as conn:
                assert conn.execute(sqlalchemy.text("select current_user")).scalar() == readonly_role_name
        finally:
            engine.dispose()


@pytest.mark.integration
@pytest.mark.skipif(shutil.which("psql") is None, reason="psql is not installed")
def test_psql_gets_the_password_outside_its_command_line(hostile):
    """Every user of the machine can read a process's command line (ps): the password goes by PGPASSWORD."""
    environment = {**os.environ, "WAREHOUSE_URL": hostile.libpq_url()}
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "warehouse", "psql"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=environment,
        cwd=PROJECT_ROOT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while "psql" not in Path(psutil.Process(process.pid).exe()).name and time.monotonic() < deadline:
            time.sleep(0.1)
        command_line = psutil.Process(process.pid).cmdline()
        output, _ = process.communicate("select 'as ' || current_user;\n", timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "psql" in command_line[0]
    assert f"as {hostile.user}" in output, output
    assert_never_shown(" ".join(command_line), output)
