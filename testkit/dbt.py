"""Run the real dbt CLI from tests and benchmarks."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from orchestration.paths import DBT_PROJECT_DIR
from orchestration.warehouse.location import WarehouseLocation


def dbt_target_dir(location: WarehouseLocation, target: str = "target") -> Path:
    """dbt's target folder for commands against ``location``: one per database (tests running side by
    side must not share dbt's artefacts), and several per database when asked for (``target``)."""
    return Path(tempfile.gettempdir()) / "b24ops-dbt" / location.database / target


def run_dbt(
    location: WarehouseLocation, *args: str, target: str = "target"
) -> subprocess.CompletedProcess[str]:
    """Run the real dbt CLI against ``location``; raise with dbt's output when it fails."""
    work_dir = dbt_target_dir(location).parent
    env = {
        **os.environ,
        **location.dbt_env(),
        "DBT_TARGET_PATH": str(dbt_target_dir(location, target)),
        "DBT_LOG_PATH": str(work_dir / "logs"),
    }
    dbt = Path(sys.executable).parent / "dbt"
    result = subprocess.run(
        [str(dbt), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"dbt {' '.join(args)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
        )
    return result
