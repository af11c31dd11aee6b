"""Bulk-load observed record versions into a raw table with COPY, idempotently.

A record that cannot be stored or typed (no usable ID, a change stamp missing or null, a datetime that is
none by :func:`~orchestration.warehouse.values.portal_datetime`) goes to
``raw.quarantine`` with the reason instead, and the rest of the window loads: one odd record never rejects a
feed. Strings are made storable by :func:`~orchestration.warehouse.values.pg_safe`; when that changed
anything, the original record (ASCII-escaped JSON text, exact) rides along in the payload (``ORIGINAL_KEY``).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from psycopg2 import sql
from psycopg2.extensions import connection as Connection

from orchestration.warehouse.raw_tables import RawEntity
from orchestration.warehouse.values import pg_safe, portal_datetime

# Rows per COPY round: bounds the memory of a year-long backfill (about 1 KB of JSON a row).
CHUNK_ROWS = 20_000

INCOMING_COLUMNS = "portal_id, id, change_stamp, payload_hash, payload, partition_key"
# The payload key holding the original of a record whose strings had to be cleaned (staging never reads it).
ORIGINAL_KEY = "_b24ops_original"

PartitionOf = Callable[[Mapping[str, Any]], str]


@dataclass(frozen=True)
class LoadResult:
    rows_received: int
    versions_added: int
    quarantined: int = 0
    reasons: Counter[str] = field(default_factory=Counter)  # quarantine reasons, counted
    # rows and new versions per partition key (the day a version is attributed to): a backfill's run loads
    # many days, and each day's materialisation records its own share
    # (orchestration/defs/ingestion/run_metadata.py).
    # A quarantined record has no day: it counts in rows_received only.
    rows_by_partition: Counter[str] = field(default_factory=Counter)
    versions_by_partition: Counter[str] = field(default_factory=Counter)

    @property
    def quarantined_share(self) -> float:
        return self.quarantined / self.rows_received if self.rows_received else 0.0


class Unloadable(ValueError):
    """Why a record cannot be stored as a version (the quarantine's ``reason``)."""


def original_text(record: Mapping[str, Any]) -> str:
    """The record exactly as received, as JSON text any PostgreSQL column can hold (ASCII escapes)."""
    return json.dumps(record, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


def canonical_json(record: Mapping[str, Any]) -> str:
    """One text per content, whatever the key order the portal used."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _copy_escape(text: str) -> str:
    # COPY text format: backslash, tab, newline and carriage return must be escaped.
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy_line(
    entity: RawEntity,
    portal_id: str,
    partition_of: PartitionOf,
    record: Mapping[str, Any],
    time_zone: str | None,
) -> tuple[str, str]:
    """The partition key and COPY line of ``record``, or :class:`Unloadable` saying why it has none."""
    try:
        record_id = int(record[entity.id_field])
    except (KeyError, TypeError, ValueError):
        raise Unloadable(f"no usable {entity.id_field}: {record.get(entity.id_field)!r}") from None
    stamp = "\\N"
    if entity.change_stamp_field:
        name = entity.change_stamp_field
        if record.get(name) in (None, ""):
            raise Unloadable(f"{name} missing" if name not in record else f"{name} empty")
        try:
            stamp = portal_datetime(record[name], time_zone).isoformat()
        except ValueError as error:
            raise Unloadable(f"{name}: {error}") from None
    for name in entity.datetime_fields:
        if record.get(name) not in (None, ""):
            try:
                portal_datetime(record[name], time_zone)
            except ValueError as error:
                raise Unloadable(f"{name}: {error}") from None
    stored = pg_safe(record)
    if stored != record:
        stored = {**stored, ORIGINAL_KEY: original_text(record)}
    payload = canonical_json(stored)
    fields = (
        portal_id,
        str(record_id),
        stamp,
        hashlib.md5(payload.encode()).hexdigest(),
        _copy_escape(payload),
        key := partition_of(record),
    )
    return key, "\t".join(fields) + "\n"


def _quarantine(
    cur: Any, entity: RawEntity, portal_id: str, window: str, record: Mapping[str, Any], reason: str
) -> None:
    payload = original_text(record)
    record_id = record.get(entity.id_field) if isinstance(record, Mapping) else None
    cur.execute(
        """
        insert into raw.quarantine
            (portal_id, entity, record_id, change_window, payload, payload_hash, reason)
        values (%s, %s, %s, %s, %s, %s, %s)
        on conflict (portal_id, entity, payload_hash) do update
            set last_seen_at = now(), reason = excluded.reason, change_window = excluded.change_window
        """,
        (
            portal_id,
            entity.table,
            None if record_id is None else pg_safe(str(record_id)),
            window,
            payload,
            hashlib.md5(payload.encode()).hexdigest(),
            reason,
        ),
    )


def load_versions(
    conn: Connection,
    entity: RawEntity,
    *,
    portal_id: str,
    partition_key: str | PartitionOf,
    records: Iterable[Mapping[str, Any]],
    time_zone: str | None = None,
    window: str = "",
) -> LoadResult:
    """Store each record as a version; a version already stored only gets its ``last_seen_at`` bumped.

    ``partition_key`` is a constant or a function of the record (a backfill loads many days at once
    and attributes each version to the day of its change stamp). ``time_zone`` is the portal's: the zone of
    a change stamp without an offset (without it such a record is quarantined). ``window`` names the read
    in the quarantine. Runs in the caller's transaction: commit after the whole window is loaded, so a crash
    leaves either the whole window or nothing.
    """
    partition_of = partition_key if callable(partition_key) else (lambda _record: partition_key)
    target = sql.Identifier("raw", entity.table)
    received = 0
    loaded_by_partition, added = Counter[str](), Counter[str]()
    reasons: Counter[str] = Counter()
    rows = iter(records)
    with conn.cursor() as cur:
        cur.execute(
            "create temp table if not exists _raw_incoming ("
            " portal_id text, id bigint, change_stamp timestamptz, payload_hash text, payload jsonb,"
            " partition_key text) on commit drop"
        )
        while chunk := list(islice(rows, CHUNK_ROWS)):
            lines = []
            for record in chunk:
                try:
                    key, line = _copy_line(entity, portal_id, partition_of, record, time_zone)
                except Unloadable as reason:
                    _quarantine(cur, entity, portal_id, window, record, str(reason))
                    reasons[str(reason).split(":")[0]] += 1
                else:
                    lines.append(line)
                    loaded_by_partition[key] += 1
            buffer = io.StringIO("".join(lines))
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
                    returning (xmax = 0) as inserted, partition_key
                    """
                ).format(target=target)
            )
            added.update(key for inserted, key in cur.fetchall() if inserted)
            received += len(chunk)
    return LoadResult(
        rows_received=received,
        versions_added=added.total(),
        quarantined=sum(reasons.values()),
        reasons=reasons,
        rows_by_partition=loaded_by_partition,
        versions_by_partition=added,
    )
