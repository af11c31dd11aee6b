"""The working-day cadence: a run of today's window every 10 minutes, and a run queue that lets one run of a
window through at a time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
import yaml
from dagster._core.run_coordinator import QueuedRunCoordinator

from orchestration.defs.alerts.schedules import OPERATIONAL_CRON, WINDOW_TAG
from orchestration.defs.definitions import defs
from orchestration.paths import PROJECT_ROOT
from orchestration.runtime.instance import _DAGSTER_YAML


def test_each_tick_runs_todays_window_with_the_marts_and_the_alerts() -> None:
    tick = datetime(2026, 11, 16, 10, 10, tzinfo=ZoneInfo("Europe/Moscow"))
    operational_today = defs.get_schedule_def("operational_today")
    request = operational_today(dg.build_schedule_context(scheduled_execution_time=tick))
    assert request.partition_key == "2026-11-16"
    assert OPERATIONAL_CRON == "*/10 8-19 * * 1-5"
    job = defs.resolve_job_def("operational_refresh")
    keys = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    assert {
        "raw/deals",
        "staging/stg_bitrix24__deals",  # the marts read staging, not raw
        "marts/managerControl_Deal",
        "marts/sla_alerts",
        "alerts/sla_alert_deliveries",
    } <= keys


@pytest.mark.parametrize(
    "instance_yaml", [_DAGSTER_YAML, (PROJECT_ROOT / "deploy" / "dagster.yaml").read_text()]
)
def test_the_run_queue_runs_one_run_per_window_at_a_time(instance_yaml: str) -> None:
    """Both instances (local and docker-compose) queue a second run of the same day's window."""
    config = yaml.safe_load(instance_yaml)["run_coordinator"]["config"]
    limits = QueuedRunCoordinator(**config).get_run_queue_config().tag_concurrency_limits
    assert {"key": WINDOW_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits
