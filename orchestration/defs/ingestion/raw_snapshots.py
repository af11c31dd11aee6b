"""Unpartitioned raw assets: reference data re-read in full on every run.

Users, departments, the portal's calendar settings and the absence chart are small (hundreds to a
few thousand rows), so a full read costs a handful of requests. Each keeps every version it observes
(see ``orchestration/warehouse/raw_tables.py``): a re-run that sees nothing new adds nothing.

A list with a ``total`` (users, departments, pipelines, stages) is checked against it in the same step
(``matches_portal_total``, blocking): the distinct IDs the read delivered must be the portal's count, or the
run fails before any model reads a list with holes in it (a cut page, rows and ``total`` that disagree).
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import dagster as dg

from orchestration.bitrix24 import Bitrix24Client
from orchestration.bitrix24.stats import ExtractStats
from orchestration.defs.ingestion.quarantine import judge_quarantine, quarantine_metadata
from orchestration.defs.ingestion.raw_schema import raw_table_metadata
from orchestration.defs.ingestion.run_metadata import snapshot_metadata
from orchestration.defs.partitions import portal_time_zone
from orchestration.defs.resources import Bitrix24Resource, WarehouseResource
from orchestration.settings import portal_today
from orchestration.warehouse.raw_load import load_versions
from orchestration.warehouse.raw_tables import RAW_ENTITIES

SNAPSHOT_PARTITION = "snapshot"
# calendar.accessibility.get answers for a list of users at once; keep the query string modest.
ABSENCE_USERS_PER_CALL = 50
ABSENCE_HISTORY_DAYS = 3 * 365
ABSENCE_FUTURE_DAYS = 90

Fetch = Callable[[Bitrix24Client, "SnapshotContext"], Iterable[dict[str, Any]]]


@dataclass(frozen=True)
class SnapshotContext:
    today: date
    user_ids: list[int]


def fetch_users(client: Bitrix24Client, _: SnapshotContext) -> Iterator[dict[str, Any]]:
    # user.get lists fired (inactive) users anyway, which the reports need for their history; ADMIN_MODE lifts
    # the extranet visibility limit for an administrator's webhook (docs/bitrix24-api.md § user.get).
    for page in client.iter_offset("user.get", {"ADMIN_MODE": "True"}):
        yield from page


def fetch_departments(client: Bitrix24Client, _: SnapshotContext) -> Iterator[dict[str, Any]]:
    for page in client.iter_offset("department.get", {}):
        yield from page


def fetch_calendar_settings(client: Bitrix24Client, _: SnapshotContext) -> Iterator[dict[str, Any]]:
    # One object without an id: stored as record 1 (see raw_tables.RAW_ENTITIES).
    yield {"ID": 1, **client.call("calendar.settings.get").result}


def fetch_pipelines(client: Bitrix24Client, _: SnapshotContext) -> Iterator[dict[str, Any]]:
    # Unpaged: a portal has a handful of pipelines; the list sits under result.categories.
    answer = client.call("crm.category.list", {"entityTypeId": 2})
    client.stats.listed("crm.category.list", answer.total)
    yield from answer.result.get("categories", [])


def fetch_stages(client: Bitrix24Client, _: SnapshotContext) -> Iterator[dict[str, Any]]:
    # crm.status.list is unpaged and returns every reference list; staging keeps the deal stages.
    answer = client.call("crm.status.list", {"order": {"SORT": "ASC"}})
    client.stats.listed("crm.status.list", answer.total)
    yield from answer.result


def fetch_absences(client: Bitrix24Client, ctx: SnapshotContext) -> Iterator[dict[str, Any]]:
    """Absence-chart entries (FROM_HR) of every user over the reporting horizon.

    Calendar events (meetings) come back from the same method; only absence-chart entries count.
    """
    window = {
        "from": (ctx.today - timedelta(days=ABSENCE_HISTORY_DAYS)).isoformat(),
        "to": (ctx.today + timedelta(days=ABSENCE_FUTURE_DAYS)).isoformat(),
    }
    for start in range(0, len(ctx.user_ids), ABSENCE_USERS_PER_CALL):
        users = ctx.user_ids[start : start + ABSENCE_USERS_PER_CALL]
        result = client.call("calendar.accessibility.get", {"users": users, **window}).result or {}
        for user_id, entries in result.items():
            for entry in entries or []:
                if entry.get("FROM_HR"):
                    yield {**entry, "USER_ID": int(user_id)}


@dataclass(frozen=True)
class SnapshotSpec:
    """Which REST call fills which raw table."""

    table: str
    fetch: Fetch
    description: str
    deps: tuple[str, ...] = ()
    listed_by: str | None = None  # the list method whose ``total`` the delivered rows must match


SNAPSHOTS = (
    SnapshotSpec(
        "users",
        fetch_users,
        "Every employee of the portal (user.get), fired ones included.",
        listed_by="user.get",
    ),
    SnapshotSpec(
        "departments", fetch_departments, "The department tree (department.get).", listed_by="department.get"
    ),
    SnapshotSpec(
        "calendar_settings",
        fetch_calendar_settings,
        "The portal's working hours, weekends, holidays and extra working days (calendar.settings.get).",
    ),
    SnapshotSpec(
        "pipelines",
        fetch_pipelines,
        "Deal pipelines (crm.category.list, entityTypeId 2).",
        listed_by="crm.category.list",
    ),
    SnapshotSpec(
        "stages",
        fetch_stages,
        "Stage names and semantics of every pipeline (crm.status.list).",
        listed_by="crm.status.list",
    ),
    SnapshotSpec(
        "absences",
        fetch_absences,
        "Vacations and sick leave from the absence chart (calendar.accessibility.get, FROM_HR entries).",
        deps=("users",),
    ),
)


def _current_user_ids(conn: Any, portal_id: str) -> list[int]:
    with conn.cursor() as cur:
        cur.execute("select distinct id from raw.users where portal_id = %s order by id", (portal_id,))
        return [row[0] for row in cur.fetchall()]


COUNT_CHECK = "matches_portal_total"


def _distinct_ids(
    records: Iterable[dict[str, Any]], id_field: str, seen: set[str]
) -> Iterator[dict[str, Any]]:
    """The records unchanged, noting each one's ID in ``seen`` on the way to the loader."""
    for record in records:
        seen.add(str(record.get(id_field)))
        yield record


def count_check(spec: SnapshotSpec, delivered: int, stats: ExtractStats) -> dg.AssetCheckResult:
    """The distinct IDs a full read delivered against the ``total`` the portal announced for it."""
    assert spec.listed_by is not None
    total = stats.listed_totals.get(spec.listed_by)
    metadata: dict[str, Any] = {"portal_total": total, "delivered": delivered}
    if total is None:  # the portal did not say (a list without a count): nothing to hold the rows against
        return dg.AssetCheckResult(
            check_name=COUNT_CHECK, passed=True, metadata={**metadata, "note": "no total"}
        )
    return dg.AssetCheckResult(
        check_name=COUNT_CHECK,
        passed=delivered == total,
        metadata={**metadata, "difference": delivered - total},
        description=None
        if delivered == total
        else f"{spec.listed_by} delivered {delivered:,} of the {total:,} records its total announces",
    )


def _build_snapshot_asset(spec: SnapshotSpec) -> dg.AssetsDefinition:
    key = dg.AssetKey(["raw", spec.table])
    checks = (
        [
            dg.AssetCheckSpec(
                COUNT_CHECK,
                asset=key,
                blocking=True,
                description=f"The distinct records read equal the total {spec.listed_by} announces.",
            )
        ]
        if spec.listed_by
        else []
    )

    @dg.asset(
        key=key,
        check_specs=checks,
        deps=[dg.AssetKey(["raw", dep]) for dep in spec.deps],
        group_name="raw",
        description=spec.description,
        metadata=raw_table_metadata(spec.table),
        kinds={"bitrix24", "postgres"},
        owners=["team:data-engineering"],
    )
    def _snapshot(
        context: dg.AssetExecutionContext, bitrix24: Bitrix24Resource, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        client = bitrix24.client()
        entity = RAW_ENTITIES[spec.table]
        ids: set[str] = set()
        with warehouse.connection() as conn:
            snapshot = SnapshotContext(
                today=portal_today(portal_time_zone()), user_ids=_current_user_ids(conn, bitrix24.portal_id)
            )
            result = load_versions(
                conn,
                entity,
                portal_id=bitrix24.portal_id,
                partition_key=SNAPSHOT_PARTITION,
                records=_distinct_ids(spec.fetch(client, snapshot), entity.id_field, ids),
                time_zone=portal_time_zone(),
                window=SNAPSHOT_PARTITION,
            )
            conn.commit()
        judge_quarantine(context, spec.table, result, warehouse.quarantine_max_share)
        context.log.info(
            f"raw.{spec.table}: {result.rows_received} rows, {result.versions_added} new versions"
        )
        return dg.MaterializeResult(
            metadata={**snapshot_metadata(result, client.stats), **quarantine_metadata(result)},
            check_results=[count_check(spec, len(ids), client.stats)] if spec.listed_by else [],
        )

    return _snapshot


snapshot_assets = [_build_snapshot_asset(spec) for spec in SNAPSHOTS]
