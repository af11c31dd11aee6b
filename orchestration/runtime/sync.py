"""Materialise ingestion and marts for a range of days through Dagster.

The same code path as a backfill launched in the UI, in dependency order: the snapshot assets; the
partitioned change assets over the whole range in ONE run (their single-run backfill policy); then one run
of the unpartitioned dbt models (staging, intermediate, dimensions) and the windowed marts over the same
range (one dbt invocation each), published together when both passed. Runs are recorded in the Dagster
instance, so they show in the UI afterwards.

A :class:`SyncObserver` follows each step live: Dagster's events of the step's run as they are stored, and
the request counters (:class:`~orchestration.bitrix24.stats.ExtractStats`) of every Bitrix24 client the run
creates — the CLI draws its progress bars from them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from orchestration.bitrix24 import Bitrix24Client
from orchestration.bitrix24.stats import ExtractStats
from orchestration.defs.partitions import daily_partitions
from orchestration.defs.resources import Bitrix24Resource
from orchestration.defs.run_errors import root_message
from orchestration.runtime.orphan_runs import fail_orphaned_runs, runner_tags

Progress = Callable[[str], None]

# Dagster's console logger prints every engine event at DEBUG; a person running the CLI wants our
# progress lines and real problems. The runs keep their full event logs in the instance (UI).
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
# The job name dg.materialize gives its runs: sync runs look the same in the UI as before.
SYNC_JOB_NAME = "__ephemeral_asset_job__"

Definition = dg.AssetsDefinition | dg.AssetChecksDefinition


class SyncFailedError(RuntimeError):
    """A step of the sync failed; the message names the step and the root cause."""


@dataclass(frozen=True)
class SyncStep:
    """One Dagster run of the sync: what it materialises and over which daily partitions."""

    name: str
    definitions: tuple[Definition, ...]
    partition_keys: tuple[str, ...] = ()  # the range's days for a partitioned step, () otherwise
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def assets(self) -> list[dg.AssetsDefinition]:
        return [d for d in self.definitions if not isinstance(d, dg.AssetChecksDefinition)]

    @property
    def extracts(self) -> bool:
        """Whether the step reads the portal (its assets are the raw ones)."""
        return any(_is_raw(asset) for asset in self.assets)

    @property
    def asset_step_keys(self) -> frozenset[str]:
        """The run's step keys that materialise assets (asset checks run as steps of their own)."""
        return frozenset(asset.node_def.name for asset in self.assets)

    @property
    def expected_materializations(self) -> int:
        """One per asset key, and per day for partitioned assets (a single-run backfill records each day)."""
        days = len(self.partition_keys)
        return sum(len(asset.keys) * (days if asset.partitions_def else 1) for asset in self.assets)


class SyncObserver(Protocol):
    """Follows a sync while it runs; every call comes from the thread that executes the steps."""

    def step_started(self, step: SyncStep) -> None: ...

    def client_created(self, stats: ExtractStats) -> None:
        """A step created a Bitrix24 client; ``stats`` counts its requests and rows as they happen."""
        ...

    def event(self, entry: dg.EventLogEntry) -> None:
        """An event of the step's run, as Dagster stores it (step starts, materialisations, …)."""
        ...

    def step_finished(self, step: SyncStep, seconds: float, success: bool) -> None:
        """The step's run ended (``success`` False: it failed or could not start; the sync raises next)."""
        ...


@dataclass(frozen=True)
class PlainLines:
    """The observer of callers that want one line at the start and the end of each step."""

    progress: Progress

    def step_started(self, step: SyncStep) -> None:
        self.progress(f"{step.name}: {len(step.definitions)} asset definitions")

    def client_created(self, stats: ExtractStats) -> None:
        pass

    def event(self, entry: dg.EventLogEntry) -> None:
        pass

    def step_finished(self, step: SyncStep, seconds: float, success: bool) -> None:
        if success:
            self.progress(f"{step.name}: done in {seconds:,.0f} s")


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


def plan_steps(defs: dg.Definitions, first: str, last: str) -> list[SyncStep]:
    """The three steps of a sync of the partitions ``first``..``last``, empty ones left out."""
    window_tags = {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}
    days = tuple(daily_partitions.get_partition_keys_in_range(dg.PartitionKeyRange(first, last)))
    # The deletion sweep reads every ID of the portal: it has its own weekly schedule, not a place in a
    # sync. Provisioning Superset ("bi") needs a running Superset: `make up` and the UI do it.
    assets = [
        asset
        for asset in defs.assets or []
        if isinstance(asset, dg.AssetsDefinition) and _group(asset) not in {"reconciliation", "bi"}
    ]
    raw_checks = [check for check in defs.asset_checks or [] if isinstance(check, dg.AssetChecksDefinition)]
    steps = [
        SyncStep("reference data", tuple(a for a in assets if _is_raw(a) and a.partitions_def is None)),
        SyncStep(
            f"changes {first} – {last}",
            (*(a for a in assets if _is_raw(a) and a.partitions_def), *raw_checks),
            days,
            window_tags,
        ),
        # the dbt models and the windowed marts in ONE run: its last dbt step publishes what both built,
        # or nothing (orchestration/warehouse/publish.py)
        SyncStep(
            f"dbt models and marts {first} – {last}",
            tuple(a for a in assets if not _is_raw(a)),
            days,
            window_tags,
        ),
    ]
    return [step for step in steps if step.definitions]


def _watched(resource: Bitrix24Resource, on_client: Callable[[ExtractStats], None]) -> Bitrix24Resource:
    """The same portal resource, telling ``on_client`` about every client a step creates.

    It derives from the resource's own class, so a subclass's client settings (e.g. the tests' short
    timeouts and skipped waits) stay in force."""

    class WatchedBitrix24Resource(type(resource)):  # type: ignore[misc]
        def client(self, **options: Any) -> Bitrix24Client:
            client = super().client(**options)
            on_client(client.stats)
            return client

    # exclude_unset keeps the dg.EnvVar values as they are: the secret is still read only at run time.
    return WatchedBitrix24Resource(**resource.model_dump(exclude_unset=True))


def _run_step(
    step: SyncStep, defs: dg.Definitions, instance: dg.DagsterInstance, observer: SyncObserver
) -> dg.ExecuteInProcessResult:
    """``dg.materialize`` of the step, with the observer subscribed to the run's events before it starts."""
    resources = dict(defs.resources or {})
    if isinstance(resources.get("bitrix24"), Bitrix24Resource):
        resources["bitrix24"] = _watched(resources["bitrix24"], observer.client_created)
    job = dg.Definitions(
        jobs=[dg.define_asset_job(SYNC_JOB_NAME)], assets=list(step.definitions), resources=resources
    ).resolve_job_def(SYNC_JOB_NAME)
    run_id = str(uuid.uuid4())  # Dagster's run ids are UUID4 strings
    instance.add_event_listener(run_id, observer.event)
    return job.execute_in_process(
        run_config=QUIET_RUN_CONFIG,
        instance=instance,
        raise_on_error=False,
        tags={**step.tags, **runner_tags()},
        run_id=run_id,
    )


def sync(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    first_day: date,
    last_day: date,
    progress: Progress = lambda _message: None,
    observer: SyncObserver | None = None,
) -> list[ExtractSummary]:
    """Snapshots → change windows → dbt models and windowed marts, for ``first_day``..``last_day``.

    ``observer`` follows the steps live; without one, ``progress`` gets a line at each step's start and end.
    ``progress`` gets a ``warning:`` line per check that failed with WARN severity; one that failed with ERROR
    severity (a blocking check: the run stopped) raises :class:`SyncFailedError` with one line per check.
    Returns what each raw asset cost (rows, requests, waits), read from its materialisation metadata.
    """
    observer = observer or PlainLines(progress)
    first, last = clamp_to_partitions(first_day, last_day)
    fail_orphaned_runs(instance)  # of an earlier sync killed mid-run
    summaries: list[ExtractSummary] = []
    for step in plan_steps(defs, first, last):
        observer.step_started(step)
        started, success = time.monotonic(), False
        try:
            result = _run_step(step, defs, instance, observer)
            success = result.success
        finally:
            observer.step_finished(step, time.monotonic() - started, success)
        failed_checks = failed_check_lines(result)
        if not success or failed_checks:
            raise SyncFailedError(failure_message(step, result, failed_checks))
        for line in warned_check_lines(result):
            progress(f"warning: {line}")
        # A run over many partitions records one materialisation per partition: each its own rows, the
        # run's cost on one of them (orchestration/defs/ingestion/run_metadata.py), so the sums are the run's.
        by_asset: dict[str, ExtractSummary] = {}
        for event in result.get_asset_materialization_events():
            summary = ExtractSummary.from_event(event)
            earlier = by_asset.get(summary.asset)
            by_asset[summary.asset] = earlier + summary if earlier else summary
        summaries += by_asset.values()
    return [summary for summary in summaries if summary.asset.startswith("raw/")]


def failure_message(step: SyncStep, result: dg.ExecuteInProcessResult, failed_checks: list[str]) -> str:
    """What failed, in words: the root cause of each failed step, then one line per failed asset check."""
    causes = [
        f"{event.step_key}: {root_message(event.step_failure_data.error)}"
        for event in result.all_events
        if event.is_step_failure and event.step_failure_data
    ]
    if failed_checks:
        # a blocking check's failure fails its step too; the check's own line says why
        causes = [cause for cause in causes if "blocking asset check" not in cause.lower()]
        causes.append(f"{len(failed_checks)} asset check(s) failed:")
    head = f"{step.name} failed — " + "; ".join(causes or ["see the Dagster run log"])
    return "\n".join([head, *(f"  {line}" for line in failed_checks)])


def _check_line(evaluation: dg.AssetCheckEvaluation) -> str:
    """``raw/deals matches_portal_total: 37 records stored of the portal's 543 for …``: one line a check."""
    metadata = {key: getattr(value, "value", value) for key, value in evaluation.metadata.items()}
    detail = evaluation.description or ", ".join(
        f"{key} {value}" for key, value in metadata.items() if not isinstance(value, dict)
    )
    return f"{evaluation.asset_key.to_user_string()} {evaluation.check_name}: {detail}"


def failed_check_lines(result: dg.ExecuteInProcessResult) -> list[str]:
    """One line per asset check of the run that failed with ERROR severity (these fail the sync)."""
    return [
        _check_line(evaluation)
        for evaluation in result.get_asset_check_evaluations()
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    ]


def warned_check_lines(result: dg.ExecuteInProcessResult) -> list[str]:
    """One line per asset check of the run that failed with WARN severity (printed, the sync goes on)."""
    return [
        _check_line(evaluation)
        for evaluation in result.get_asset_check_evaluations()
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    ]


@dataclass(frozen=True)
class ExtractSummary:
    """One raw asset's materialisation, as the CLI summarises it."""

    asset: str
    rows: int
    http_requests: int
    retries: int
    pacing_wait_seconds: float

    def __add__(self, other: ExtractSummary) -> ExtractSummary:
        """Two partitions of one asset's run together."""
        return ExtractSummary(
            self.asset,
            self.rows + other.rows,
            self.http_requests + other.http_requests,
            self.retries + other.retries,
            self.pacing_wait_seconds + other.pacing_wait_seconds,
        )

    @classmethod
    def from_event(cls, event: dg.DagsterEvent) -> ExtractSummary:
        materialization = event.step_materialization_data.materialization
        metadata = {key: getattr(value, "value", value) for key, value in materialization.metadata.items()}
        return cls(
            asset=materialization.asset_key.to_user_string(),
            # a comment older than its deal's window is stored under its own day, counted with the run
            rows=int(metadata.get("rows", 0) or 0) + int(metadata.get("rows_outside_window", 0) or 0),
            http_requests=int(metadata.get("http_requests", 0) or 0),
            retries=int(metadata.get("retries", 0) or 0),
            pacing_wait_seconds=float(metadata.get("pacing_wait_seconds", 0.0) or 0.0),
        )
