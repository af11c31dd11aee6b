"""Dagster's home folder: run, event and schedule storage in the warehouse's PostgreSQL server.

Two ways in, neither touching this process's environment: :func:`open_instance` for the runs the CLI makes
in its own process, :func:`dagster_environment` for the Dagster processes it starts (``b24ops up``).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster._core.instance.ref import InstanceRef

from orchestration.paths import DATA_DIR

DAGSTER_HOME = DATA_DIR / "dagster_home"
STORAGE_URL_ENV = "B24OPS_DAGSTER_STORAGE_URL"

# The URL stays out of the file (it holds the password): dagster.yaml names an environment variable, which
# the processes `b24ops up` starts get in their own environment; the CLI's own runs pass it directly.
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
    # (orchestration/defs/alerts/schedules.py)
    tag_concurrency_limits:
      - key: dagster/partition
        value:
          applyLimitPerUniqueValue: true
        limit: 1
telemetry:
  enabled: false
# no "new user experience" pop-up on the first visit of the UI (DagsterInstance.nux_enabled)
nux:
  enabled: false
"""


def prepare_dagster_home(home: Path = DAGSTER_HOME) -> Path:
    """Write dagster.yaml (if missing or outdated)."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text() != _DAGSTER_YAML:
        config.write_text(_DAGSTER_YAML)
    return home


def dagster_environment(storage_url: str, home: Path = DAGSTER_HOME) -> dict[str, str]:
    """What a Dagster process started by the CLI needs in its environment to find this instance."""
    return {"DAGSTER_HOME": str(prepare_dagster_home(home)), STORAGE_URL_ENV: storage_url}


def open_instance(storage_url: str, home: Path = DAGSTER_HOME) -> dg.DagsterInstance:
    """The instance for runs made in this process: dagster.yaml with the storage URL given, not looked up."""
    overrides = {"storage": {"postgres": {"postgres_url": storage_url}}}
    ref = InstanceRef.from_dir(str(prepare_dagster_home(home)), overrides=overrides)
    return dg.DagsterInstance.from_ref(ref)
