"""The ``raw`` schema: one table per Bitrix24 entity, every observed version of every record kept.

All raw tables share one shape, so one loader and one staging pattern serve them all:

==============  =================================================================================
portal_id       which portal the row came from (several portals may share one warehouse)
id              the record's id in the portal
change_stamp    the portal's change stamp (DATE_MODIFY, LAST_UPDATED, ...) or NULL if it has none
payload_hash    md5 of the canonical JSON payload: identifies a *version* of the record
payload         the record exactly as the REST API returned it
partition_key   the Dagster partition (``YYYY-MM-DD``) that first observed this version, or ``snapshot``
loaded_at       when this version was first stored
last_seen_at    when this version was last observed (a record may revert to an older version)
==============  =================================================================================

The primary key ``(portal_id, id, payload_hash)`` makes a re-load of the same data a no-op: a
re-run partition or backfill leaves the table as one run would, and a changed record adds a version.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg2 import sql
from psycopg2.extensions import cursor as Cursor


@dataclass(frozen=True)
class RawEntity:
    """A Bitrix24 entity as stored in ``raw``."""

    table: str
    id_field: str = "ID"
    change_stamp_field: str | None = None
    # the other datetimes staging types (b24_timestamp): a record with one that is not a datetime is
    # quarantined by the loader, never cast into a wrong moment or a failed dbt run
    datetime_fields: tuple[str, ...] = ()


RAW_ENTITIES: dict[str, RawEntity] = {
    entity.table: entity
    for entity in (
        RawEntity("users"),  # user.get TIMESTAMP_X is not reliably ISO; versions are by content
        RawEntity("departments"),
        # calendar.settings.get returns one object without an id; the extractor stores it as ID 1.
        RawEntity("calendar_settings"),
        # calendar.accessibility.get absence-chart entries, flattened with the USER_ID they belong to.
        RawEntity("absences"),
        # crm.category.list returns camelCase items with a lower-case id.
        RawEntity("pipelines", id_field="id"),
        RawEntity("stages"),
        RawEntity(
            "deals",
            change_stamp_field="DATE_MODIFY",
            datetime_fields=("DATE_CREATE", "MOVED_TIME", "LAST_ACTIVITY_TIME"),
        ),
        RawEntity(
            "leads",
            change_stamp_field="DATE_MODIFY",
            datetime_fields=("DATE_CREATE", "MOVED_TIME", "LAST_ACTIVITY_TIME"),
        ),
        RawEntity(
            "activities",
            change_stamp_field="LAST_UPDATED",
            datetime_fields=("CREATED", "START_TIME", "END_TIME", "DEADLINE"),
        ),
        RawEntity("stage_history", change_stamp_field="CREATED_TIME"),
        # crm.stagehistory.list of leads: a table and an ID sequence of their own in the portal
        # (docs/bitrix24-api.md § crm.stagehistory.list — leads), so a table of their own here.
        RawEntity("lead_stage_history", change_stamp_field="CREATED_TIME"),
        RawEntity("calls", change_stamp_field="CALL_START_DATE"),
        RawEntity("timeline_comments", change_stamp_field="CREATED"),
    )
}


def create_raw_tables(cur: Cursor) -> None:
    """Create every raw table and the deletions ledger (idempotent)."""
    cur.execute(
        """
        create table if not exists raw.deletions (
            portal_id   text        not null,
            entity      text        not null,
            id          bigint      not null,
            detected_at timestamptz not null default now(),
            primary key (portal_id, entity, id)
        )
        """
    )
    # Records that could not be stored or typed (orchestration/warehouse/raw_load.py): the original as
    # ASCII-escaped JSON text (exact, whatever it held), why, and which read saw it first and last.
    cur.execute(
        """
        create table if not exists raw.quarantine (
            portal_id     text        not null,
            entity        text        not null,
            record_id     text,
            change_window text        not null,
            payload       text        not null,
            payload_hash  text        not null,
            reason        text        not null,
            first_seen_at timestamptz not null default now(),
            last_seen_at  timestamptz not null default now(),
            primary key (portal_id, entity, payload_hash)
        )
        """
    )
    for entity in RAW_ENTITIES.values():
        table = sql.Identifier("raw", entity.table)
        cur.execute(
            sql.SQL(
                """
                create table if not exists {table} (
                    portal_id     text        not null,
                    id            bigint      not null,
                    change_stamp  timestamptz,
                    payload_hash  text        not null,
                    payload       jsonb       not null,
                    partition_key text        not null,
                    loaded_at     timestamptz not null default now(),
                    last_seen_at  timestamptz not null default now(),
                    primary key (portal_id, id, payload_hash)
                )
                """
            ).format(table=table)
        )
        # Incremental staging models re-derive the records observed since their last build.
        cur.execute(
            sql.SQL("create index if not exists {index} on {table} (portal_id, last_seen_at)").format(
                index=sql.Identifier(f"{entity.table}_last_seen"), table=table
            )
        )
