"""The rows a build wrote into an incremental mart of the candidate, and applying them to another copy.

The candidate keeps its incremental marts between builds, in step with ``marts`` (orchestration/warehouse/
publish.py). Statement-level triggers on each such candidate table log the slice key (the model's dbt
``unique_key``: the key its delete+insert replaces) of every row a statement deletes, inserts or updates,
into a log table of its own (``marts__publish."changes__<mart>"``). With K the logged keys, two copies that
were equal stay equal when one of them gets, from the other, ``delete where key in K`` then ``insert the
other's rows where key in K``: every row outside K was left alone in both. That is how a passing build
reaches ``marts`` (the publish transaction) and how a failed one is undone in the candidate, both in
time proportional to the rows the build wrote; the key need not be unique (the daily facts replace whole
days), only indexed for the cost to stay proportional.

Which candidate tables are in step is recorded (``marts__publish.in_step``: name, the table's oid, its key):
a table dbt rebuilt (a ``table`` model, a full refresh) is another relation, with another oid and no
triggers, and is published whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from psycopg2 import sql
from psycopg2.extensions import cursor as Cursor

LOGS = "marts__publish"
IN_STEP = sql.Identifier(LOGS, "in_step")
PLANS_WITHOUT_INDEX = ("enable_seqscan", "enable_hashjoin", "enable_mergejoin")
EVENTS = {
    "insert": "new table as new_rows",
    "delete": "old table as old_rows",
    "update": "old table as old_rows new table as new_rows",
}


def log_table(name: str) -> sql.Identifier:
    return sql.Identifier(LOGS, f"changes__{name}")


def _capture_function(name: str) -> sql.Identifier:
    return sql.Identifier(LOGS, f"capture__{name}")


def ensure_in_step_table(cur: Cursor) -> None:
    cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(LOGS)))
    cur.execute(
        sql.SQL(
            "create table if not exists {} (name text primary key, relid oid not null, slice_key text[])"
        ).format(IN_STEP)
    )


def _relid(cur: Cursor, schema: str, name: str) -> int | None:
    cur.execute("select to_regclass(%s)::oid", (sql.Identifier(schema, name).as_string(cur),))
    return cur.fetchone()[0]


def in_step(cur: Cursor, schema: str) -> dict[str, list[str] | None]:
    """The tables of ``schema`` (the candidate) that are in step with ``marts``, with their slice key (None:
    not logged). A recorded name whose table is now another relation is not in step."""
    cur.execute(
        sql.SQL(
            "select s.name, s.slice_key from {} s join pg_class c on c.oid = s.relid"
            " join pg_namespace n on n.oid = c.relnamespace where n.nspname = %s and c.relname = s.name"
        ).format(IN_STEP),
        (schema,),
    )
    return {name: key for name, key in cur.fetchall()}


def record_in_step(cur: Cursor, schema: str, tables: Mapping[str, Sequence[str] | None]) -> None:
    """Record ``tables`` of ``schema`` (name: slice key) as the tables in step, and nothing else."""
    cur.execute(sql.SQL("delete from {}").format(IN_STEP))
    for name, key in tables.items():
        cur.execute(
            sql.SQL("insert into {} values (%s, %s, %s)").format(IN_STEP),
            (name, _relid(cur, schema, name), list(key) if key is not None else None),
        )


def capture(cur: Cursor, schema: str, name: str, key: Sequence[str]) -> None:
    """Log the ``key`` of every row a statement writes into ``schema.name`` from now on (an empty log)."""
    table, log, function = sql.Identifier(schema, name), log_table(name), _capture_function(name)
    columns = sql.SQL(", ").join(map(sql.Identifier, key))
    cur.execute(sql.SQL("drop table if exists {}").format(log))
    cur.execute(sql.SQL("create table {} as select {} from {} with no data").format(log, columns, table))
    body = sql.SQL(
        "begin"
        " if tg_op in ('DELETE', 'UPDATE') then insert into {log} select {columns} from old_rows; end if;"
        " if tg_op in ('INSERT', 'UPDATE') then insert into {log} select {columns} from new_rows; end if;"
        " return null; end"
    ).format(log=log, columns=columns)
    cur.execute(
        sql.SQL("create or replace function {}() returns trigger language plpgsql as {}").format(
            function, sql.Literal(body.as_string(cur))
        )
    )
    for event, referencing in EVENTS.items():
        cur.execute(
            sql.SQL(
                "create trigger {} after {} on {} referencing {} for each statement execute function {}()"
            ).format(
                sql.Identifier(f"b24ops_{event}s_logged"),
                sql.SQL(event),
                table,
                sql.SQL(referencing),
                function,
            )
        )


def stop_capture(cur: Cursor, name: str) -> None:
    """Drop the triggers of ``name`` (with their function) and its log: the table leaves the candidate."""
    cur.execute(sql.SQL("drop function if exists {}() cascade").format(_capture_function(name)))
    cur.execute(sql.SQL("drop table if exists {}").format(log_table(name)))


def columns(cur: Cursor, schema: str, name: str) -> list[tuple[str, str]]:
    """(name, type) of the table's columns, in order."""
    cur.execute(
        "select attname, format_type(atttypid, atttypmod) from pg_attribute"
        " where attrelid = %s::regclass and attnum > 0 and not attisdropped order by attnum",
        (sql.Identifier(schema, name).as_string(cur),),
    )
    return cur.fetchall()


def logged(cur: Cursor, name: str) -> bool:
    """Whether the build wrote any row of ``name`` since its log was last emptied."""
    cur.execute(sql.SQL("select exists (select from {})").format(log_table(name)))
    return cur.fetchone()[0]


def apply(cur: Cursor, name: str, key: Sequence[str], source: str, target: str) -> None:
    """Make ``target.name`` equal ``source.name`` on the logged keys (they were equal elsewhere), then empty
    the log. ``source`` and ``target`` have the same columns (:func:`columns`)."""
    log = log_table(name)
    cur.execute(sql.SQL("analyze {}").format(log))
    # A slice of a few percent of a large mart: PostgreSQL's estimate prefers a hash join over a full scan
    # of the mart (measured: 1.6 s of 1.7 at 1 M rows, growing with them); one index look-up per key costs
    # what the slice costs. Back to the defaults at the end: the transaction goes on.
    for method in PLANS_WITHOUT_INDEX:
        cur.execute(f"set local {method} = off")
    names = [column for column, _type in columns(cur, target, name)]
    listed = sql.SQL(", ").join(map(sql.Identifier, names))
    keys = sql.SQL("(select distinct {} from {})").format(sql.SQL(", ").join(map(sql.Identifier, key)), log)
    matches = sql.SQL(" and ").join(
        sql.SQL("t.{column} = k.{column}").format(column=sql.Identifier(column)) for column in key
    )
    cur.execute(
        sql.SQL("delete from {} t using {} k where {}").format(sql.Identifier(target, name), keys, matches)
    )
    cur.execute(
        sql.SQL(
            "insert into {target} ({listed}) select {selected} from {source} t join {keys} k on {matches}"
        ).format(
            target=sql.Identifier(target, name),
            listed=listed,
            selected=sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(n)) for n in names),
            source=sql.Identifier(source, name),
            keys=keys,
            matches=matches,
        )
    )
    for method in PLANS_WITHOUT_INDEX:
        cur.execute(f"set local {method} to default")
    cur.execute(sql.SQL("truncate {}").format(log))


def slice_keys(manifest: Mapping[str, object]) -> dict[str, list[str]]:
    """The slice key of every incremental mart, from dbt's manifest: its ``unique_key``, by relation name."""
    keys: dict[str, list[str]] = {}
    nodes: Iterable[Mapping] = (manifest.get("nodes") or {}).values()  # type: ignore[union-attr]
    for node in nodes:
        config = node.get("config") or {}
        key = config.get("unique_key")
        incremental = node.get("resource_type") == "model" and config.get("materialized") == "incremental"
        if incremental and key and config.get("schema") == "marts":
            keys[node.get("alias") or node["name"]] = [key] if isinstance(key, str) else list(key)
    return keys
