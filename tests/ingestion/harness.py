"""Running the ingestion assets through Dagster against an emulated portal, and reading back what they stored.

The definitions are built the way ``orchestration/defs/definitions.py`` builds them (its resources, read from
the environment), plus the reconciliation asset and the raw checks. Comparisons are with the emulator's own
tables: the ground truth of what the portal holds at the end of the test.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from bitrix24_emulator.model import PortalData
from bitrix24_emulator.testing import listed_by_user_get
from orchestration.bitrix24 import Bitrix24Client, ClientSettings
from orchestration.defs.definitions import build_resources
from orchestration.defs.ingestion.raw_changes import change_assets
from orchestration.defs.ingestion.raw_checks import raw_asset_checks
from orchestration.defs.ingestion.raw_snapshots import snapshot_assets
from orchestration.defs.ingestion.reconciliation import reconciliation_assets
from orchestration.defs.partitions import daily_partitions
from orchestration.defs.resources import Bitrix24Resource
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation
from testkit.warehouse import query

# raw table -> (emulator table, change stamp field or None)
ENTITIES: dict[str, tuple[str, str | None]] = {
    "deals": ("deals", "DATE_MODIFY"),
    "leads": ("leads", "DATE_MODIFY"),
    "lead_stage_history": ("lead_stage_history", "CREATED_TIME"),
    "activities": ("activities", "LAST_UPDATED"),
    "calls": ("calls", "CALL_START_DATE"),
    "stage_history": ("stage_history", "CREATED_TIME"),
    "users": ("users", None),
    "departments": ("departments", None),
}
Version = tuple[int, datetime | None]


class SkippingClock:
    """Wall time for stamps, but waits are skipped (and added to ``now``).

    The emulator runs with its limits off, so the client's waits (backoff, a 429 without
    ``operating_reset_at`` = one minute) only cost test time; the retry decisions stay the production ones.
    """

    def __init__(self) -> None:
        self.skipped = 0.0

    def now(self) -> float:
        return time.time() + self.skipped

    def sleep(self, seconds: float) -> None:
        self.skipped += max(0.0, seconds)


class ImpatientBitrix24(Bitrix24Resource):
    """The production resource with a short read timeout and no real waiting, for fault-injection runs."""

    timeout_s: float = 1.0

    def client(self) -> Bitrix24Client:
        settings = ClientSettings(
            webhook_url=self.webhook_url, plan=self.plan, timeout_s=self.timeout_s, backoff_base_s=0.01
        )
        return Bitrix24Client(settings, clock=SkippingClock())


def definitions(bitrix24: Bitrix24Resource | None = None) -> dg.Definitions:
    resources: dict[str, Any] = build_resources()
    if bitrix24 is not None:
        resources["bitrix24"] = bitrix24
    return dg.Definitions(
        assets=[*snapshot_assets, *change_assets, *reconciliation_assets],
        asset_checks=raw_asset_checks,
        resources=resources,
    )


def impatient(webhook_url: str) -> ImpatientBitrix24:
    return ImpatientBitrix24(webhook_url=webhook_url, plan="unlimited")


def history_days(portal: PortalData) -> tuple[str, str]:
    """The first and last partition holding a change stamp of ``portal`` (a narrow range keeps Dagster's
    per-partition bookkeeping small; the extraction cost does not depend on it)."""
    zone = ZoneInfo(portal.portal_time_zone)
    days = {
        stamp.astimezone(zone).date().isoformat()
        for table, (_, field) in ENTITIES.items()
        if field
        for _, stamp in portal_versions(portal, table)
        if stamp is not None
    }
    keys = daily_partitions.get_partition_keys()
    return max(min(days), keys[0]), min(max(days), keys[-1])


def history_dates(portal: PortalData) -> tuple[date, date]:
    """:func:`history_days` as dates, for ``sync``: a sync of them loads the whole portal, without the
    per-partition bookkeeping of the empty days around its history."""
    first, last = history_days(portal)
    return date.fromisoformat(first), date.fromisoformat(last)


def run_snapshots(defs: dg.Definitions, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    return dg.materialize(snapshot_assets, resources=defs.resources, instance=instance, raise_on_error=False)


def run_changes(
    defs: dg.Definitions, instance: dg.DagsterInstance, first: str, last: str, *, checks: bool = True
) -> dg.ExecuteInProcessResult:
    """The change assets over ``first``..``last`` in ONE run (their single-run backfill policy)."""
    tags = {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}
    selection: list[Any] = [*change_assets, *(raw_asset_checks if checks else [])]
    return dg.materialize(
        selection, resources=defs.resources, instance=instance, tags=tags, raise_on_error=False
    )


def run_reconciliation(defs: dg.Definitions, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        reconciliation_assets, resources=defs.resources, instance=instance, raise_on_error=False
    )


def failures(result: dg.ExecuteInProcessResult) -> list[str]:
    return [
        f"{event.step_key}: {event.step_failure_data.error.to_string()[:2000]}"
        for event in result.all_events
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error
    ]


def check_results(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {
        f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}": evaluation
        for evaluation in result.get_asset_check_evaluations()
    }


def retry_causes(*results: dg.ExecuteInProcessResult) -> set[str]:
    """Every retry cause the client reported in the materialisations' metadata."""
    causes: set[str] = set()
    for result in results:
        for event in result.all_events:
            if event.is_step_materialization:
                metadata = event.step_materialization_data.materialization.metadata
                causes.update(metadata["retries_by_cause"].value if "retries_by_cause" in metadata else {})
    return causes


def _stamp(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value not in (None, "") else None


def portal_versions(portal: PortalData, table: str) -> list[Version]:
    """(id, change stamp) of every record the portal holds now (none of a table it lacks: a deals-only
    portal has no leads)."""
    source, stamp = ENTITIES[table]
    if source not in portal.tables:
        return []
    rows = portal.tables[source]
    id_pos = rows.index_of(rows.id_field)
    stamp_pos = rows.index_of(stamp) if stamp else None
    # user.get does not list bots (bitrix24_emulator.testing.listed_by_user_get)
    served = [r for r in rows.rows if listed_by_user_get(rows.as_dict(r))] if source == "users" else rows.rows
    return [(int(row[id_pos]), _stamp(row[stamp_pos]) if stamp_pos is not None else None) for row in served]


def versions_on_day(portal: PortalData, table: str, day: str) -> list[Version]:
    """What a sync of the one partition ``day`` stores of ``table``: the versions stamped that day in the
    portal's zone; every version of a table without a change stamp (a snapshot: users, departments)."""
    versions = portal_versions(portal, table)
    if ENTITIES[table][1] is None:
        return versions
    zone = ZoneInfo(portal.portal_time_zone)
    return [
        (record_id, stamp)
        for record_id, stamp in versions
        if stamp is not None and stamp.astimezone(zone).date().isoformat() == day
    ]


def execute(location: WarehouseLocation, text: str, params: Iterable[Any] = ()) -> None:
    conn = connect(location)
    try:
        with conn.cursor() as cur:
            cur.execute(text, tuple(params))
        conn.commit()
    finally:
        conn.close()


def stored_versions(location: WarehouseLocation, table: str) -> list[Version]:
    """Every stored (id, change stamp), one per stored row: doubles show up as repeats."""
    return [(int(i), s) for i, s in query(location, f"select id, change_stamp from raw.{table}")]


def current_versions(location: WarehouseLocation, table: str) -> list[Version]:
    """The current version of every record as staging sees it (mirrors ``macros/latest_version.sql``)."""
    rows = query(
        location,
        f"""
        select distinct on (v.id) v.id, v.change_stamp
        from raw.{table} v
        where not exists (
            select 1 from raw.deletions d
            where d.portal_id = v.portal_id and d.entity = %s and d.id = v.id
              and d.detected_at > v.last_seen_at
        )
        order by v.id, v.change_stamp desc nulls last, v.last_seen_at desc, v.loaded_at desc
        """,
        (table,),
    )
    return [(int(i), s) for i, s in rows]
