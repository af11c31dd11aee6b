"""Dagster's home folder: run, event and schedule storage in the warehouse's PostgreSQL server."""

from __future__ import annotations

import os
from pathlib import Path

from orchestration.warehouse.bootstrap import dagster_storage_url
from orchestration.warehouse.embedded import DEFAULT_DATA_DIR
from orchestration.warehouse.location import WarehouseLocation

DAGSTER_HOME = DEFAULT_DATA_DIR / "dagster_home"
STORAGE_URL_ENV = "B24OPS_DAGSTER_STORAGE_URL"

# The URL stays out of the file: dagster.yaml names the environment variable, the process sets it.
_DAGSTER_YAML = f"""\
storage:
  postgres:
    postgres_url:
      env: {STORAGE_URL_ENV}
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 2
    # one run per day's window at a time: an overlapping pass of the same day waits in the queue
    # (orchestration/alerts/schedules.py)
    tag_concurrency_limits:
      - key: dagster/partition
        value:
          applyLimitPerUniqueValue: true
        limit: 1
telemetry:
  enabled: false
"""


def prepare_dagster_home(warehouse: WarehouseLocation, home: Path = DAGSTER_HOME) -> Path:
    """Write dagster.yaml (if missing) and point this process's environment at it."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text() != _DAGSTER_YAML:
        config.write_text(_DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ[STORAGE_URL_ENV] = dagster_storage_url(warehouse)
    return home
