"""Load an emulated portal (:class:`bitrix24_emulator.model.PortalData`) straight into the ``raw`` tables.

The marts tests need the warehouse as ingestion would leave it, without running the REST extractor over
HTTP: each emulator table goes through the same :func:`load_versions` the ingestion assets use, so the
rows carry exactly the payloads the REST API would have returned.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from psycopg2 import sql

from bitrix24_emulator.model import PortalData, Table
from bitrix24_emulator.testing import listed_by_user_get
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation
from orchestration.warehouse.raw_load import load_versions
from orchestration.warehouse.raw_tables import RAW_ENTITIES

# Emulator table name -> raw table name (the emulator names tables after the REST methods' entities).
RAW_TABLE_OF = {
    "users": "users",
    "departments": "departments",
    "absences": "absences",
    "categories": "pipelines",
    "statuses": "stages",
    "deals": "deals",
    "leads": "leads",
    "activities": "activities",
    "stage_history": "stage_history",
    "lead_stage_history": "lead_stage_history",
    "calls": "calls",
    "timeline_comments": "timeline_comments",
}


def _records(table: Table) -> Iterator[dict[str, Any]]:
    # Absent keys and null values differ on the wire (department.get omits PARENT on the root), but
    # the staging models read both as NULL, so a plain zip is faithful enough. user.get lists no bot.
    for row in table.rows:
        record = table.as_dict(row)
        if table.name != "users" or listed_by_user_get(record):
            yield record


def load_portal(
    location: WarehouseLocation,
    portal: PortalData,
    *,
    portal_id: str = "default",
    observed_at: datetime | None = None,
) -> dict[str, int]:
    """Store every table of ``portal`` as raw versions in one transaction; returns rows per raw table.

    ``observed_at``: the instant the load stands for (a daily run in the portal's past) — the versions it
    stores or re-observes get it as ``loaded_at`` / ``last_seen_at`` instead of the wall clock's now().
    """
    loaded: dict[str, int] = {}
    conn = connect(location)
    try:
        for name, raw_name in RAW_TABLE_OF.items():
            table = portal.tables.get(name)
            if table is None:
                continue
            result = load_versions(
                conn,
                RAW_ENTITIES[raw_name],
                portal_id=portal_id,
                partition_key="snapshot",
                records=_records(table),
            )
            loaded[raw_name] = result.rows_received
        settings = {"ID": 1, **portal.calendar_settings}
        load_versions(
            conn,
            RAW_ENTITIES["calendar_settings"],
            portal_id=portal_id,
            partition_key="snapshot",
            records=[settings],
        )
        loaded["calendar_settings"] = 1
        if observed_at is not None:
            _stamp_observation(conn, [*RAW_TABLE_OF.values(), "calendar_settings"], observed_at)
        conn.commit()
    finally:
        conn.close()
    return loaded


def _stamp_observation(conn: Any, raw_tables: list[str], observed_at: datetime) -> None:
    # now() is the transaction's start: exactly the rows this load stored or re-observed carry it
    with conn.cursor() as cur:
        for name in raw_tables:
            cur.execute(
                sql.SQL(
                    "update {} set last_seen_at = %(at)s,"
                    " loaded_at = case when loaded_at = now() then %(at)s else loaded_at end"
                    " where last_seen_at = now()"
                ).format(sql.Identifier("raw", RAW_ENTITIES[name].table)),
                {"at": observed_at},
            )
