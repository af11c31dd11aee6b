"""Run the real dbt CLI from tests and benchmarks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.paths import DBT_PROJECT_DIR
from orchestration.warehouse.location import WarehouseLocation

if TYPE_CHECKING:
    from dagster_dbt import DbtCliResource, DbtProject


def dbt_target_dir(location: WarehouseLocation, target: str = "target") -> Path:
    """dbt's target folder for commands against ``location``: one per database (tests running side by
    side must not share dbt's artefacts), and several per database when asked for (``target``)."""
    return Path(tempfile.gettempdir()) / "b24ops-dbt" / location.database / target


def run_dbt(
    location: WarehouseLocation,
    *args: str,
    target: str = "target",
    environment: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the real dbt CLI against ``location``, with ``environment`` added to this process's (a window run:
    ``orchestration.defs.dbt.window_env``); raise with dbt's output when it fails."""
    work_dir = dbt_target_dir(location).parent
    env = {
        **os.environ,
        **(environment or {}),
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


def private_dbt_project(folder: Path) -> tuple[DbtProject, DbtCliResource]:
    """A copy of the dbt project in ``folder`` and a dbt resource on it, as ``orchestration.defs.dbt``
    makes them: for tests of the project's shared state (target/partial_parse.msgpack), which another test
    running side by side (pytest-xdist) may rewrite at any moment in the real project."""
    from dagster_dbt import DbtCliResource, DbtProject

    from orchestration.defs.dbt import DBT_EXECUTABLE

    copy = folder / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    project = DbtProject(project_dir=copy, profiles_dir=copy)
    return project, DbtCliResource(project_dir=project, profiles_dir=str(copy), dbt_executable=DBT_EXECUTABLE)
