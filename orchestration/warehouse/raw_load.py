"""Bulk-load observed record versions into a raw table with COPY, idempotently."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

from psycopg2 import sql
from psycopg2.extensions import connection as Connection

from orchestration.warehouse.raw_tables import RawEntity

# Rows per COPY round: bounds the memory of a year-long backfill (about 1 KB of JSON a row).
CHUNK_ROWS = 20_000

INCOMING_COLUMNS = "portal_id, id, change_stamp, payload_hash, payload, partition_key"

PartitionOf = Callable[[Mapping[str, Any]], str]


@dataclass(frozen=True)
class LoadResult:
    rows_received: int
    versions_added: int


def canonical_json(record: Mapping[str, Any]) -> str:
    """One text per content, whatever the key order the portal used."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _copy_escape(text: str) -> str:
    # COPY text format: backslash, tab, newline and carriage return must be escaped.
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy_line(entity: RawEntity, portal_id: str, partition_key: str, record: Mapping[str, Any]) -> str:
    payload = canonical_json(record)
    stamp = record.get(entity.change_stamp_field) if entity.change_stamp_field else None
    fields = (
        portal_id,
        str(int(record[entity.id_field])),
        str(stamp) if stamp else "\\N",
        hashlib.md5(payload.encode()).hexdigest(),
        _copy_escape(payload),
        partition_key,
    )
    return "\t".join(fields) + "\n"


def load_versions(
    conn: Connection,
    entity: RawEntity,
    *,
    portal_id: str,
    partition_key: str | PartitionOf,
    records: Iterable[Mapping[str, Any]],
) -> LoadResult:
    """Store each record as a version; a version already stored only gets its ``last_seen_at`` bumped.

    ``partition_key`` is a constant or a function of the record (a backfill loads many days at once
    and attributes each version to the day of its change stamp). Runs in the caller's transaction:
    commit after the whole window is loaded, so a crash leaves either the whole window or nothing.
    """
    partition_of = partition_key if callable(partition_key) else (lambda _record: partition_key)
    target = sql.Identifier("raw", entity.table)
    received = added = 0
    rows = iter(records)
    with conn.cursor() as cur:
        cur.execute(
            "create temp table if not exists _raw_incoming ("
            " portal_id text, id bigint, change_stamp timestamptz, payload_hash text, payload jsonb,"
            " partition_key text) on commit drop"
        )
        while chunk := list(islice(rows, CHUNK_ROWS)):
            buffer = io.StringIO("".join(_copy_line(entity, portal_id, partition_of(r), r) for r in chunk))
            cur.execute("truncate _raw_incoming")
            cur.copy_expert(f"copy _raw_incoming ({INCOMING_COLUMNS}) from stdin", buffer)
            cur.execute(
                sql.SQL(
                    """
                    insert into {target} (portal_id, id, change_stamp, payload_hash, payload, partition_key)
                    select distinct on (portal_id, id, payload_hash)
                           portal_id, id, change_stamp, payload_hash, payload, partition_key
                    from _raw_incoming
                    order by portal_id, id, payload_hash, partition_key
                    on conflict (portal_id, id, payload_hash) do update set last_seen_at = now()
                    returning (xmax = 0) as inserted
                    """
                ).format(target=target)
            )
            added += sum(1 for (inserted,) in cur.fetchall() if inserted)
            received += len(chunk)
    return LoadResult(rows_received=received, versions_added=added)
