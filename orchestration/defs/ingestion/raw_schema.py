"""The column schema every raw asset shows in the Dagster UI: the one layout all ``raw`` tables share.

The layout itself is created by :func:`orchestration.warehouse.raw_tables.create_raw_tables`; this is its
description for the UI (column, PostgreSQL type, nullability, meaning). tests/definitions compares it with
the tables that function creates, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import dagster as dg

_NOT_NULL = dg.TableColumnConstraints(nullable=False)

RAW_COLUMN_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn(
            "portal_id",
            "text",
            "Which portal the row came from (B24_PORTAL_ID; several portals may share one warehouse).",
            constraints=_NOT_NULL,
        ),
        dg.TableColumn("id", "bigint", "The record's ID in the portal.", constraints=_NOT_NULL),
        dg.TableColumn(
            "change_stamp",
            "timestamp with time zone",
            "The portal's change stamp (DATE_MODIFY, LAST_UPDATED, …); empty for entities without one.",
        ),
        dg.TableColumn(
            "payload_hash",
            "text",
            "md5 of the canonical JSON payload: identifies a version of the record.",
            constraints=_NOT_NULL,
        ),
        dg.TableColumn(
            "payload", "jsonb", "The record exactly as the REST API returned it.", constraints=_NOT_NULL
        ),
        dg.TableColumn(
            "partition_key",
            "text",
            "The daily partition (YYYY-MM-DD) that first observed this version, or 'snapshot'.",
            constraints=_NOT_NULL,
        ),
        dg.TableColumn(
            "loaded_at",
            "timestamp with time zone",
            "When this version was first stored.",
            constraints=_NOT_NULL,
        ),
        dg.TableColumn(
            "last_seen_at",
            "timestamp with time zone",
            "When this version was last observed (a record may revert to an older version).",
            constraints=_NOT_NULL,
        ),
    ],
    constraints=dg.TableConstraints(other=["primary key (portal_id, id, payload_hash)"]),
)


def raw_table_metadata(table: str) -> dict[str, object]:
    """Definition metadata of the raw asset stored in ``raw.<table>``: its columns and its table name."""
    return {"dagster/column_schema": RAW_COLUMN_SCHEMA, "dagster/table_name": f"raw.{table}"}
