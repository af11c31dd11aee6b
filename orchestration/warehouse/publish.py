"""The marts are published all-or-nothing: dbt builds them in a candidate schema, a passing build moves them
into ``marts`` in one transaction (docs/decisions.md, "Marts published all-or-nothing").

While dbt runs, the dashboards read ``marts`` as the last passing build left it. dbt's models and tests write
``marts__candidate`` (the ``marts_schema`` var of macros/generate_schema_name.sql). The candidate holds a
copy of every published mart before the build starts, so that incremental marts grow from the published
rows and the models read the dimensions another build published. When the build and all its tests pass,
one transaction drops each rebuilt mart from ``marts``, moves the candidate's table in (``ALTER TABLE … SET
SCHEMA``: no copy; its indexes move with it), gives it the old table's grants (or the schema's default
privileges, which apply only to tables *created* in ``marts``) and re-creates the report-layer functions of
the candidate in ``marts``. PostgreSQL's DDL is transactional: a reader sees the marts before or after,
never between. When the build fails, the candidate is dropped; the next build copies the marts again.

A lock serialises builds: two of them would share the candidate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from psycopg2 import sql
from psycopg2.extensions import connection as Connection
from psycopg2.extensions import cursor as Cursor

from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation

PUBLISHED = "marts"
CANDIDATE = "marts__candidate"
# pg_advisory_lock's key of the build-and-publish section (any constant unique to this use)
PUBLISH_LOCK = 0x62323470  # "b24p"
TABLE_KINDS = ("r", "p")
# present in the candidate while a build runs: found by the next build, it means this one was killed
BUILDING = sql.Identifier(CANDIDATE, "_build_in_progress")


def _tables(cur: Cursor, schema: str) -> list[str]:
    cur.execute(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = %s and c.relkind = any(%s) order by c.relname",
        (schema, list(TABLE_KINDS)),
    )
    return [name for (name,) in cur.fetchall()]


def _copy_table(cur: Cursor, name: str) -> None:
    """``marts.<name>`` into the candidate: columns, defaults and constraints, rows, then the same indexes
    under the same names (a post-hook's ``create index if not exists`` must find its own)."""
    source = sql.Identifier(PUBLISHED, name)
    target = sql.Identifier(CANDIDATE, name)
    cur.execute(sql.SQL("create table {} (like {} including all excluding indexes)").format(target, source))
    cur.execute(sql.SQL("insert into {} select * from {}").format(target, source))
    cur.execute(
        "select pg_get_indexdef(i.indexrelid) from pg_index i where i.indrelid = %s::regclass",
        (source.as_string(cur),),
    )
    for (definition,) in cur.fetchall():
        cur.execute(_in_schema(definition, PUBLISHED, CANDIDATE))
    cur.execute(sql.SQL("analyze {}").format(target))


def _in_schema(definition: str, old: str, new: str) -> str:
    """A DDL statement of pg_get_*def with every reference to schema ``old`` turned into ``new``."""
    return re.sub(rf'(?<![\w"]){re.escape(old)}(?=\.)|"{re.escape(old)}"(?=\.)', new, definition)


def prepare_candidate(conn: Connection) -> list[str]:
    """Give the candidate a copy of every published table it lacks, and mark it as being built; the names
    copied. A mark left by an earlier build means that build was killed half-way: its candidate goes."""
    with conn, conn.cursor() as cur:
        cur.execute("select to_regclass(%s)", (BUILDING.as_string(cur),))
        if cur.fetchone()[0] is not None:
            cur.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(CANDIDATE)))
        cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(CANDIDATE)))
        cur.execute(sql.SQL("create table {} ()").format(BUILDING))
        present = set(_tables(cur, CANDIDATE))
        missing = [name for name in _tables(cur, PUBLISHED) if name not in present]
        for name in missing:
            _copy_table(cur, name)
    return missing


def _grants(cur: Cursor, name: str) -> list[tuple[str, str]]:
    """(privilege, grantee) of the published table ``name``, or the schema's default privileges for tables
    when there is none yet."""
    cur.execute(
        """
        select acl.privilege_type, acl.grantee::regrole::text
        from pg_class c join pg_namespace n on n.oid = c.relnamespace,
             aclexplode(c.relacl) acl
        where n.nspname = %(schema)s and c.relname = %(name)s and acl.grantee <> 0
          and acl.grantee <> c.relowner
        union
        select acl.privilege_type, acl.grantee::regrole::text
        from pg_default_acl d join pg_namespace n on n.oid = d.defaclnamespace,
             aclexplode(d.defaclacl) acl
        where n.nspname = %(schema)s and d.defaclobjtype = 'r' and acl.grantee <> 0
        """,
        {"schema": PUBLISHED, "name": name},
    )
    return cur.fetchall()


def _functions(cur: Cursor, schema: str) -> list[tuple[str, str]]:
    """(identity signature, definition) of the SQL/plpgsql functions in ``schema``."""
    cur.execute(
        "select p.oid::regprocedure::text, pg_get_functiondef(p.oid) from pg_proc p"
        " join pg_namespace n on n.oid = p.pronamespace where n.nspname = %s and p.prokind = 'f'",
        (schema,),
    )
    return cur.fetchall()


def publish(conn: Connection, tables: Iterable[str]) -> list[str]:
    """Move the candidate's ``tables`` into ``marts`` and re-create its functions there, in ONE transaction;
    the names moved (those the candidate holds)."""
    with conn, conn.cursor() as cur:
        cur.execute(sql.SQL("drop table if exists {}").format(BUILDING))
        present = set(_tables(cur, CANDIDATE))
        moved = sorted(set(tables) & present)
        for name in moved:
            grants = _grants(cur, name)
            cur.execute(sql.SQL("drop table if exists {}").format(sql.Identifier(PUBLISHED, name)))
            cur.execute(
                sql.SQL("alter table {} set schema {}").format(
                    sql.Identifier(CANDIDATE, name), sql.Identifier(PUBLISHED)
                )
            )
            for privilege, grantee in grants:
                cur.execute(
                    sql.SQL("grant {} on {} to {}").format(
                        sql.SQL(privilege), sql.Identifier(PUBLISHED, name), sql.SQL(grantee)
                    )
                )
        # the functions read each other: their bodies are checked when called, not in creation order
        cur.execute("set local check_function_bodies = off")
        for signature, definition in _functions(cur, CANDIDATE):
            published = _in_schema(signature, CANDIDATE, PUBLISHED)
            # dropped first: CREATE OR REPLACE cannot change a function's result columns
            cur.execute(f"drop function if exists {published}")
            cur.execute(_in_schema(definition, CANDIDATE, PUBLISHED))
    return moved


def discard_candidate(conn: Connection) -> None:
    """Drop the candidate after a failed build: it may hold half of it. The next build copies the marts."""
    with conn, conn.cursor() as cur:
        cur.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(CANDIDATE)))


def built_marts(run_results: Mapping[str, Any]) -> list[str]:
    """The tables a dbt invocation built that may be in the candidate, from its ``run_results.json``: the
    models whose relation is in the candidate, and every seed it loaded (a seed configured into the marts
    layer, like sla_alert_settings, is read there by its models and by the alert assets). dbt writes no
    ``relation_name`` for a seed, so a seed is named by its node; :func:`publish` moves only the names the
    candidate holds."""
    names = []
    for result in run_results.get("results", []):
        if result.get("status") != "success":
            continue
        kind, *_, node = str(result.get("unique_id", "")).split(".")
        if kind == "seed":
            names.append(node)
        elif kind == "model":
            parts = [part.strip('"') for part in str(result.get("relation_name") or "").split(".")]
            if len(parts) >= 2 and parts[-2] == CANDIDATE:
                names.append(parts[-1])
    return names


@contextmanager
def build_lock(location: WarehouseLocation) -> Iterator[Connection]:
    """A connection holding the build-and-publish lock for as long as the block runs."""
    conn = connect(location)
    try:
        with conn, conn.cursor() as cur:  # a session's lock: it outlives this transaction
            cur.execute("select pg_advisory_lock(%s)", (PUBLISH_LOCK,))
        yield conn
    finally:
        conn.close()  # ends the session, and with it the lock
