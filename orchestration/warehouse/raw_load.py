"""Bulk-load observed record versions into a raw table with COPY, idempotently."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from psycopg2 import sql
from psycopg2.extensions import connection as Connection

from orchestration.warehouse.raw_tables import RawEntity


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


def load_versions(
    conn: Connection,
    entity: RawEntity,
    *,
    portal_id: str,
    partition_key: str,
    records: Iterable[Mapping[str, Any]],
) -> LoadResult:
    """Store each record as a version; a version already stored only gets its ``last_seen_at`` bumped.

    Runs in the caller's transaction: commit after the whole window is loaded, so a crash leaves
    either the whole window or nothing.
    """
    buffer = io.StringIO()
    received = 0
    for record in records:
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
        buffer.write("\t".join(fields) + "\n")
        received += 1
    buffer.seek(0)
    target = sql.Identifier("raw", entity.table)
    with conn.cursor() as cur:
        cur.execute(
            "create temp table if not exists _raw_incoming ("
            " portal_id text, id bigint, change_stamp timestamptz, payload_hash text, payload jsonb,"
            " partition_key text) on commit drop"
        )
        cur.execute("truncate _raw_incoming")
        cur.copy_expert(
            "copy _raw_incoming (portal_id, id, change_stamp, payload_hash, payload, partition_key) from stdin",
            buffer,
        )
        cur.execute(
            sql.SQL(
                """
                insert into {target} (portal_id, id, change_stamp, payload_hash, payload, partition_key)
                select distinct on (portal_id, id, payload_hash)
                       portal_id, id, change_stamp, payload_hash, payload, partition_key
                from _raw_incoming
                on conflict (portal_id, id, payload_hash) do update set last_seen_at = now()
                returning (xmax = 0) as inserted
                """
            ).format(target=target)
        )
        added = sum(1 for (inserted,) in cur.fetchall() if inserted)
    return LoadResult(rows_received=received, versions_added=added)
