"""The embedded server runs with the warehouse settings (orchestration/runtime/embedded_postgres.py), from its
first start on: a cluster initdb has just created is restarted before anyone connects to it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.paths import PROJECT_ROOT
from orchestration.runtime.embedded_postgres import SETTINGS_FILE, WAREHOUSE_SETTINGS
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation


def _embedded(data_dir: Path, action: str) -> str:
    """Start or stop the server under ``data_dir`` in a process of its own (the library keeps per-process
    state, and this process already runs the tests' server)."""
    code = (
        "import sys; from pathlib import Path; from orchestration.runtime import embedded_postgres;"
        f" print(embedded_postgres.{action}_embedded(Path(sys.argv[1])))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(data_dir)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def _settings(uri: str) -> dict[str, str]:
    conn = connect(WarehouseLocation.from_url(uri))
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select name, current_setting(name) from pg_settings where name = any(%s)",
                (list(WAREHOUSE_SETTINGS),),
            )
            return dict(cur.fetchall())
    finally:
        conn.close()


@pytest.mark.integration
def test_the_embedded_server_runs_with_the_warehouse_settings_from_its_first_start() -> None:
    # not under pytest's 0700 temporary folders: the server runs as its own OS user when the tests are root
    data_dir = PROJECT_ROOT / ".data" / f"settings-{os.getpid()}"
    data_dir.mkdir(parents=True, exist_ok=False)
    try:
        assert _settings(_embedded(data_dir, "start")) == WAREHOUSE_SETTINGS
        _embedded(data_dir, "stop")
        assert _settings(_embedded(data_dir, "start")) == WAREHOUSE_SETTINGS
        conf = (data_dir / "pg" / "postgresql.conf").read_text()
        assert conf.count(f"include_if_exists = '{SETTINGS_FILE}'") == 1
    finally:
        _embedded(data_dir, "stop")
        shutil.rmtree(data_dir, ignore_errors=True)
