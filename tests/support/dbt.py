"""Run the real dbt CLI from tests."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from orchestration.warehouse.location import WarehouseLocation
from tests.support.paths import PROJECT_ROOT

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def run_dbt(location: WarehouseLocation, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real dbt CLI against ``location``; raise with dbt's output when it fails."""
    # A target/log folder per database: tests running side by side must not share dbt's artefacts.
    work_dir = Path(tempfile.gettempdir()) / "b24ops-dbt" / location.database
    env = {
        **os.environ,
        **location.dbt_env(),
        "DBT_TARGET_PATH": str(work_dir / "target"),
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
