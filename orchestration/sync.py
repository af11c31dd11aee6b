"""Materialise ingestion and marts for a range of days through Dagster.

The same code path as a backfill launched in the UI, in dependency order: the snapshot assets; the
partitioned change assets over the whole range in ONE run (their single-run backfill policy); the
unpartitioned dbt models (staging, intermediate, dimensions); the windowed marts over the same range in
one dbt run. Runs are recorded in the Dagster instance, so they show in the UI afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from orchestration.assets.partitions import daily_partitions
from orchestration.run_errors import root_message

Progress = Callable[[str], None]

# Dagster's console logger prints every engine event at DEBUG; a person running the CLI wants our
# progress lines and real problems. The runs keep their full event logs in the instance (UI).
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


class SyncFailedError(RuntimeError):
    """A step of the sync failed; the message names the step and the root cause."""


def clamp_to_partitions(first_day: date, last_day: date) -> tuple[str, str]:
    keys = daily_partitions.get_partition_keys()
    first, last = max(first_day.isoformat(), keys[0]), min(last_day.isoformat(), keys[-1])
    if first > last:
        raise SyncFailedError(
            f"no daily partition between {first_day} and {last_day} (partitions: {keys[0]} – {keys[-1]})"
        )
    return first, last


def _group(asset: dg.AssetsDefinition) -> str:
    groups = set(asset.group_names_by_key.values())
    return groups.pop() if len(groups) == 1 else "mixed"


def _is_raw(asset: dg.AssetsDefinition) -> bool:
    return _group(asset) == "raw"


def sync(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    first_day: date,
    last_day: date,
    progress: Progress = lambda _message: None,
) -> list[ExtractSummary]:
    """Snapshots → change windows → dbt models → windowed marts, for ``first_day``..``last_day``.

    Returns what each raw asset cost (rows, requests, waits), read from its materialisation metadata.
    """
    first, last = clamp_to_partitions(first_day, last_day)
    window_tags = {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}
    # The deletion sweep reads every ID of the portal: it has its own weekly schedule, not a place in a
    # sync. Provisioning Superset ("bi") needs a running Superset: `make up` and the UI do it.
    assets = [
        asset
        for asset in defs.assets or []
        if isinstance(asset, dg.AssetsDefinition) and _group(asset) not in {"reconciliation", "bi"}
    ]
    raw_checks = [check for check in defs.asset_checks or [] if isinstance(check, dg.AssetChecksDefinition)]
    steps = [
        ("reference data", [a for a in assets if _is_raw(a) and a.partitions_def is None], {}),
        (
            f"changes {first} – {last}",
            [*(a for a in assets if _is_raw(a) and a.partitions_def), *raw_checks],
            window_tags,
        ),
        ("dbt models", [a for a in assets if not _is_raw(a) and a.partitions_def is None], {}),
        (f"marts {first} – {last}", [a for a in assets if not _is_raw(a) and a.partitions_def], window_tags),
    ]
    summaries: list[ExtractSummary] = []
    for step, selected, tags in steps:
        if not selected:
            continue
        progress(f"{step}: {len(selected)} asset definitions")
        started = time.monotonic()
        result = dg.materialize(
            selected,
            resources=dict(defs.resources or {}),
            instance=instance,
            tags=tags,
            run_config=QUIET_RUN_CONFIG,
            raise_on_error=False,
        )
        if not result.success:
            messages = [
                f"{event.step_key}: {root_message(event.step_failure_data.error)}"
                for event in result.all_events
                if event.is_step_failure and event.step_failure_data
            ]
            raise SyncFailedError(f"{step} failed — " + "; ".join(messages or ["see the Dagster run log"]))
        # A run over many partitions records one materialisation per partition, all with the run's metadata.
        by_asset = {}
        for event in result.get_asset_materialization_events():
            summary = ExtractSummary.from_event(event)
            by_asset.setdefault(summary.asset, summary)
        summaries += by_asset.values()
        progress(f"{step}: done in {time.monotonic() - started:,.0f} s")
    return [summary for summary in summaries if summary.asset.startswith("raw/")]


@dataclass(frozen=True)
class ExtractSummary:
    """One raw asset's materialisation, as the CLI summarises it."""

    asset: str
    rows: int
    http_requests: int
    retries: int
    pacing_wait_seconds: float

    @classmethod
    def from_event(cls, event: dg.DagsterEvent) -> ExtractSummary:
        materialization = event.step_materialization_data.materialization
        metadata = {key: getattr(value, "value", value) for key, value in materialization.metadata.items()}
        return cls(
            asset=materialization.asset_key.to_user_string(),
            rows=int(metadata.get("rows", 0) or 0),
            http_requests=int(metadata.get("http_requests", 0) or 0),
            retries=int(metadata.get("retries", 0) or 0),
            pacing_wait_seconds=float(metadata.get("pacing_wait_seconds", 0.0) or 0.0),
        )
