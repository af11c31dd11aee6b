"""The Dagster definitions as a committed text snapshot: every asset key with its group, deps, partitions
and checks, every job with the assets and checks it selects, every schedule and sensor.

A change of the graph that nobody meant — a lost dependency, a job selecting one asset more, a schedule
renamed by a folder move — fails here with the difference. When a change is meant to alter the graph,
re-record the snapshot and commit it with the change (its diff is the change to the graph):

    RECORD_GRAPH=1 .venv/bin/pytest tests/definitions/test_asset_graph.py
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import dagster as dg

from orchestration.defs.definitions import build_definitions
from orchestration.settings import Settings

SNAPSHOT = Path(__file__).with_name("asset_graph.txt")


def _key(key: dg.AssetKey) -> str:
    return key.to_user_string()


def _partitions(partitions: dg.PartitionsDefinition | None) -> str:
    if partitions is None:
        return "none"
    if isinstance(partitions, dg.TimeWindowPartitionsDefinition):
        start = partitions.start.isoformat()
        end = partitions.end.isoformat() if partitions.end else "open"
        return (
            f"time window {partitions.cron_schedule} {partitions.timezone} from {start} to {end}"
            f" (end offset {partitions.end_offset})"
        )
    if isinstance(partitions, dg.StaticPartitionsDefinition):
        return f"static {','.join(partitions.get_partition_keys())}"
    return type(partitions).__name__


def graph_snapshot(defs: dg.Definitions) -> str:
    """The definitions in a deterministic text form, one fact per line, sorted."""
    graph = defs.resolve_asset_graph()
    lines: list[str] = []
    for key in sorted(graph.get_all_asset_keys(), key=_key):
        node = graph.get(key)
        lines.append(f"asset {_key(key)}")
        lines.append(f"  group {node.group_name}")
        lines.append(f"  partitions {_partitions(node.partitions_def)}")
        lines.extend(f"  dep {_key(parent)}" for parent in sorted(node.parent_keys, key=_key))
        lines.extend(f"  check {check.name}" for check in sorted(node.check_keys, key=lambda c: c.name))
    repository = defs.get_repository_def()
    for job in sorted(repository.get_all_jobs(), key=lambda job: job.name):
        if job.name.startswith("__ASSET_JOB"):
            continue  # Dagster's implicit job of every asset
        lines.append(f"job {job.name}")
        lines.append(f"  partitions {_partitions(job.partitions_def)}")
        layer = job.asset_layer.data
        selected = {key for node in layer for key in node.assets_def.keys}
        lines.extend(f"  asset {_key(key)}" for key in sorted(selected, key=_key))
        checks = {check for node in layer for check in node.assets_def.check_keys}
        lines.extend(
            f"  check {_key(check.asset_key)}:{check.name}"
            for check in sorted(checks, key=lambda c: (_key(c.asset_key), c.name))
        )
    for schedule in sorted(repository.schedule_defs, key=lambda schedule: schedule.name):
        lines.append(f"schedule {schedule.name}")
        lines.append(f"  job {schedule.job_name}")
        lines.append(f"  cron {schedule.cron_schedule} {schedule.execution_timezone}")
        lines.append(f"  default {schedule.default_status.value}")
    for sensor in sorted(repository.sensor_defs, key=lambda sensor: sensor.name):
        lines.append(f"sensor {sensor.name}")
        lines.append(f"  type {sensor.sensor_type.value}")
        lines.append(f"  default {sensor.default_status.value}")
        lines.extend(f"  job {name}" for name in sorted(target.job_name for target in sensor.targets))
    return "\n".join(lines) + "\n"


def test_the_asset_graph_is_the_committed_snapshot() -> None:
    # the settings that shape the graph, fixed: schedules off (the default status), the default sales scope
    snapshot = graph_snapshot(build_definitions(Settings(schedules_on=False)))
    if os.environ.get("RECORD_GRAPH") == "1":
        SNAPSHOT.write_text(snapshot)
    recorded = SNAPSHOT.read_text()
    difference = "".join(difflib.unified_diff(recorded.splitlines(True), snapshot.splitlines(True)))
    assert snapshot == recorded, (
        f"the asset graph changed (re-record: see the module's docstring):\n{difference}"
    )
