"""Asset checks on the partitioned raw tables, evaluated over the window a run covered.

* ``matches_portal_total`` — the portal's own ``total`` for the window (one ``start=0, select=[ID]`` call,
  the only request of the checks) against the records whose *current* stored version is stamped in the
  window (deletions found by the sweep left out). Both counts stop where the feed's read began, on the
  portal's clock (the ``time.start`` of its first answer, ``portal_started_at`` on the materialisation;
  less the feed's ``settle``): a record stamped before it was in the portal while the load read the
  window, so it must be stored. The machine's clock would not do: a portal whose clock is behind it stamps
  records created after the read before the machine's "then", and they would count as lost. Fewer stored
  than the portal counts = records lost on the way (a page cut short, a ``total`` the rows do not reach):
  ERROR, and the check is blocking, so the run fails before any model
  reads the window. More stored than counted = records changed again or deleted since (a live portal; the
  next run and the deletion sweep heal it): WARN.
* ``no_duplicate_versions`` — no (id, change stamp) stored twice. The loader's key (id, payload_hash)
  already makes a re-load a no-op, so a second row for one stamp means the same version came back with a
  different payload (a volatile field, a portal-side bug) and the marts would see two candidates.
* ``mart_fields_present`` — every row in the window carries the payload keys the staging models read:
  a ``select`` that lost a field, or a portal that dropped one, fails here instead of in a mart's NULLs.
* ``no_quarantined_records`` — how many records of the window's read this run set aside in
  ``raw.quarantine`` (no usable ID or change stamp): WARN; the asset itself fails above
  ``B24_QUARANTINE_MAX_SHARE`` (``orchestration/defs/ingestion/quarantine.py``).
"""

import time
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
from psycopg2 import sql
from psycopg2.extensions import connection as Connection

from orchestration.defs.ingestion.raw_changes import CHANGE_FEEDS, ChangeFeed, window_params
from orchestration.defs.partitions import ChangeWindow, daily_partitions, portal_time_zone
from orchestration.defs.resources import Bitrix24Resource, WarehouseResource

# Payload keys the staging models read (dbt_project/models/staging/bitrix24/stg_bitrix24__*.sql), limited
# to those every record carries; optional ones (COMPANY_ID on a deal without a company) may be absent.
MART_FIELDS: dict[str, tuple[str, ...]] = {
    table: tuple(names.split())
    for table, names in {
        "deals": "ID TITLE STAGE_ID STAGE_SEMANTIC_ID CATEGORY_ID ASSIGNED_BY_ID CREATED_BY_ID DATE_CREATE "
        "DATE_MODIFY CLOSED OPPORTUNITY CURRENCY_ID",
        "activities": "ID OWNER_ID OWNER_TYPE_ID TYPE_ID PROVIDER_ID PROVIDER_TYPE_ID RESPONSIBLE_ID "
        "AUTHOR_ID CREATED LAST_UPDATED START_TIME END_TIME COMPLETED DIRECTION",
        "calls": "ID CALL_ID PORTAL_USER_ID CALL_TYPE CALL_DURATION CALL_START_DATE CALL_FAILED_CODE "
        "CRM_ENTITY_TYPE CRM_ENTITY_ID",
        "stage_history": "ID TYPE_ID OWNER_ID CREATED_TIME CATEGORY_ID STAGE_ID STAGE_SEMANTIC_ID",
        "leads": "ID TITLE STATUS_ID STATUS_SEMANTIC_ID ASSIGNED_BY_ID CREATED_BY_ID DATE_CREATE DATE_MODIFY "
        "SOURCE_ID",
        "lead_stage_history": "ID TYPE_ID OWNER_ID CREATED_TIME STATUS_ID STATUS_SEMANTIC_ID",
    }.items()
}


def _window(context: dg.AssetCheckExecutionContext) -> ChangeWindow:
    keys = context.partition_key_range
    return ChangeWindow.from_partition_keys(keys.start, keys.end, portal_time_zone())


def current_in_window(
    conn: Connection, table: str, portal_id: str, window: ChangeWindow, until: datetime | None = None
) -> int:
    """Records whose newest stored version is stamped in ``window`` (before ``until``), not deleted since."""
    start, end = window.start, window.end if until is None else min(window.end, until)
    query = sql.SQL(
        """
        with touched as (
            select distinct id from {raw_table}
            where portal_id = %(portal)s and change_stamp >= %(start)s and change_stamp < %(end)s
        ),
        latest as (
            select distinct on (v.id) v.id, v.change_stamp, v.last_seen_at
            from {raw_table} v join touched using (id)
            where v.portal_id = %(portal)s
            order by v.id, v.change_stamp desc nulls last, v.last_seen_at desc, v.loaded_at desc
        )
        select count(*) from latest l
        where l.change_stamp >= %(start)s and l.change_stamp < %(end)s
          and not exists (
              select 1 from raw.deletions d
              where d.portal_id = %(portal)s and d.entity = %(table)s and d.id = l.id
                and d.detected_at > l.last_seen_at
          )
        """
    ).format(raw_table=sql.Identifier("raw", table))
    with conn.cursor() as cur:
        cur.execute(query, {"portal": portal_id, "start": start, "end": end, "table": table})
        return int(cur.fetchone()[0])


def duplicate_versions(conn: Connection, table: str, portal_id: str, window: ChangeWindow) -> int:
    """(id, change stamp) pairs stored under more than one payload inside ``window``."""
    start, end = window.start, window.end
    query = sql.SQL(
        """
        select count(*) from (
            select 1 from {raw_table}
            where portal_id = %s and change_stamp >= %s and change_stamp < %s
            group by id, change_stamp having count(*) > 1
        ) doubled
        """
    ).format(raw_table=sql.Identifier("raw", table))
    with conn.cursor() as cur:
        cur.execute(query, (portal_id, start, end))
        return int(cur.fetchone()[0])


def rows_missing_fields(
    conn: Connection, table: str, portal_id: str, window: ChangeWindow, fields: tuple[str, ...]
) -> tuple[int, dict[str, int]]:
    """Rows in ``window`` lacking any of ``fields``, and how often each field is missing."""
    start, end = window.start, window.end
    per_field = sql.SQL(", ").join(
        sql.SQL("count(*) filter (where not payload ? {})").format(sql.Literal(name)) for name in fields
    )
    query = sql.SQL(
        "select count(*) filter (where not payload ?& %s), {per_field} from {raw_table}"
        " where portal_id = %s and change_stamp >= %s and change_stamp < %s"
    ).format(per_field=per_field, raw_table=sql.Identifier("raw", table))
    with conn.cursor() as cur:
        cur.execute(query, (list(fields), portal_id, start, end))
        row = cur.fetchone()
    missing = {name: int(count) for name, count in zip(fields, row[1:], strict=True) if count}
    return int(row[0]), missing


def quarantined_in_read(
    conn: Connection, table: str, portal_id: str, window: ChangeWindow, since: datetime
) -> int:
    """Records of ``table`` the read of ``window`` set aside in ``raw.quarantine`` at or after ``since``."""
    with conn.cursor() as cur:
        cur.execute(
            "select count(*) from raw.quarantine where portal_id = %s and entity = %s and change_window = %s"
            " and last_seen_at >= %s",
            (portal_id, table, window.describe(), since),
        )
        return int(cur.fetchone()[0])


CheckBody = Callable[
    [dg.AssetCheckExecutionContext, ChangeFeed, Bitrix24Resource, WarehouseResource], dg.AssetCheckResult
]


def _count_check(
    context: dg.AssetCheckExecutionContext,
    feed: ChangeFeed,
    bitrix24: Bitrix24Resource,
    warehouse: WarehouseResource,
) -> dg.AssetCheckResult:
    window = _window(context)
    until = _read_started(context, feed) - feed.settle
    params = {**window_params(feed, window, until), "select": ["ID"], "start": 0}
    portal_total = bitrix24.client().call(feed.method, params).total
    with warehouse.connection() as conn:
        stored = current_in_window(conn, feed.table, bitrix24.portal_id, window, until)
    counted = f"{window.start.isoformat()} – {min(window.end, until).isoformat()}"
    metadata = {"window": counted, "portal_total": portal_total, "stored_current": stored}
    if portal_total is None:
        return dg.AssetCheckResult(
            passed=True, severity=dg.AssetCheckSeverity.WARN, metadata={**metadata, "note": "no total"}
        )
    if stored < portal_total:
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={**metadata, "difference": stored - portal_total},
            description=f"{stored:,} records stored of the portal's {portal_total:,} for {counted}",
        )
    return dg.AssetCheckResult(
        passed=stored == portal_total,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={**metadata, "difference": stored - portal_total},
    )


def _read_started(context: dg.AssetCheckExecutionContext, feed: ChangeFeed) -> datetime:
    """When this run's read of the feed began on the portal's clock (whole seconds down, as its stamps are),
    from the feed's materialisation in this run; without one (a check run on its own, an answer without a
    ``time`` member) the run's start on this machine's clock."""
    records = context.instance.get_records_for_run(
        context.run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    ).records
    for record in records:
        materialization = record.asset_materialization
        if materialization is None or materialization.asset_key != dg.AssetKey(["raw", feed.table]):
            continue
        started = materialization.metadata.get("portal_started_at")
        if started is not None and started.value:
            return datetime.fromisoformat(str(started.value)).astimezone(ZoneInfo(portal_time_zone()))
    return _run_started(context)


def _run_started(context: dg.AssetCheckExecutionContext) -> datetime:
    """When the run began (before its load read the portal), whole seconds down: the portal's stamps are."""
    record = context.instance.get_run_record_by_id(context.run.run_id)
    started = record.start_time if record is not None and record.start_time else time.time()
    return datetime.fromtimestamp(int(started) - 1, ZoneInfo(portal_time_zone()))


def _duplicates_check(
    context: dg.AssetCheckExecutionContext,
    feed: ChangeFeed,
    bitrix24: Bitrix24Resource,
    warehouse: WarehouseResource,
) -> dg.AssetCheckResult:
    window = _window(context)
    with warehouse.connection() as conn:
        doubled = duplicate_versions(conn, feed.table, bitrix24.portal_id, window)
    return dg.AssetCheckResult(
        passed=doubled == 0, metadata={"window": window.describe(), "doubled_versions": doubled}
    )


def _fields_check(
    context: dg.AssetCheckExecutionContext,
    feed: ChangeFeed,
    bitrix24: Bitrix24Resource,
    warehouse: WarehouseResource,
) -> dg.AssetCheckResult:
    window = _window(context)
    fields = MART_FIELDS[feed.table]
    with warehouse.connection() as conn:
        incomplete, by_field = rows_missing_fields(conn, feed.table, bitrix24.portal_id, window, fields)
    return dg.AssetCheckResult(
        passed=incomplete == 0,
        metadata={"window": window.describe(), "incomplete_rows": incomplete, "missing_by_field": by_field},
    )


def _quarantine_check(
    context: dg.AssetCheckExecutionContext,
    feed: ChangeFeed,
    bitrix24: Bitrix24Resource,
    warehouse: WarehouseResource,
) -> dg.AssetCheckResult:
    window = _window(context)
    with warehouse.connection() as conn:
        count = quarantined_in_read(conn, feed.table, bitrix24.portal_id, window, _run_started(context))
    return dg.AssetCheckResult(
        passed=count == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"window": window.describe(), "quarantined": count},
        description=None if count == 0 else f"{count:,} records set aside in raw.quarantine",
    )


CHECKS: dict[str, tuple[CheckBody, str]] = {
    "matches_portal_total": (
        _count_check,
        "Current versions stored for the window equal the portal's total.",
    ),
    "no_duplicate_versions": (_duplicates_check, "No (id, change stamp) version stored twice in the window."),
    "mart_fields_present": (
        _fields_check,
        "Every row of the window carries the payload keys the marts read.",
    ),
    "no_quarantined_records": (
        _quarantine_check,
        "No record of the window's read was set aside in raw.quarantine.",
    ),
}


def _build_check(feed: ChangeFeed, name: str, body: CheckBody, description: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["raw", feed.table]),
        name=name,
        description=description,
        partitions_def=daily_partitions,
        blocking=True,  # an ERROR keeps the models from reading the window and fails the run
    )
    def _check(
        context: dg.AssetCheckExecutionContext, bitrix24: Bitrix24Resource, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        return body(context, feed, bitrix24, warehouse)

    return _check


raw_asset_checks = [
    _build_check(feed, name, body, description)
    for feed in CHANGE_FEEDS
    for name, (body, description) in CHECKS.items()
]
