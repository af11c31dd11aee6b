"""Materialise ingestion and marts for a range of days through Dagster.

The same code path as a backfill launched in the UI: the snapshot assets, then the partitioned change
assets over the whole range in ONE run (their single-run backfill policy), then the dbt models. Runs
are recorded in the Dagster instance, so they show in the UI afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from orchestration.assets.partitions import daily_partitions
from orchestration.run_errors import root_message

Progress = Callable[[str], None]


class SyncFailedError(RuntimeError):
    """A step of the sync failed; the message names the step and Dagster's error."""


def _assets_where(
    defs: dg.Definitions, partitioned: bool, group: str | None = None
) -> list[dg.AssetsDefinition]:
    chosen = []
    for asset in defs.assets or []:
        if not isinstance(asset, dg.AssetsDefinition):
            continue
        if (asset.partitions_def is not None) != partitioned:
            continue
        if group is not None and set(asset.group_names_by_key.values()) != {group}:
            continue
        chosen.append(asset)
    return chosen


def _check(result: dg.ExecuteInProcessResult, step: str) -> None:
    if result.success:
        return
    messages = [
        f"{event.step_key}: {root_message(event.step_failure_data.error)}"
        for event in result.all_events
        if event.is_step_failure and event.step_failure_data
    ]
    raise SyncFailedError(f"{step} failed — " + "; ".join(messages or ["see the Dagster run log"]))


def clamp_to_partitions(first_day: date, last_day: date) -> tuple[str, str]:
    keys = daily_partitions.get_partition_keys()
    first = max(first_day.isoformat(), keys[0])
    last = min(last_day.isoformat(), keys[-1])
    if first > last:
        raise SyncFailedError(
            f"no daily partition between {first_day} and {last_day} (partitions: {keys[0]} – {keys[-1]})"
        )
    return first, last


def sync(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    first_day: date,
    last_day: date,
    progress: Progress = lambda _message: None,
) -> None:
    """Snapshots → change windows ``first_day``..``last_day`` (one run) → dbt build."""
    first, last = clamp_to_partitions(first_day, last_day)
    resources = dict(defs.resources or {})
    raw_snapshots = _assets_where(defs, partitioned=False, group="raw")
    progress(f"reference data: {len(raw_snapshots)} assets")
    _check(
        dg.materialize(raw_snapshots, resources=resources, instance=instance, raise_on_error=False),
        "reference data",
    )
    progress(f"changes {first} – {last} in one run")
    changes = _assets_where(defs, partitioned=True)
    tags = {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}
    _check(
        dg.materialize(changes, resources=resources, instance=instance, tags=tags, raise_on_error=False),
        f"changes {first} – {last}",
    )
    progress("dbt build")
    models = [asset for asset in _assets_where(defs, partitioned=False) if asset not in raw_snapshots]
    _check(dg.materialize(models, resources=resources, instance=instance, raise_on_error=False), "dbt build")
