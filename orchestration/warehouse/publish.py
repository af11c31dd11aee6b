"""The marts are published all-or-nothing: dbt builds them in a candidate schema, a passing run publishes
them into ``marts`` in one transaction (docs/decisions.md, "Marts published all-or-nothing").

While dbt runs, the dashboards read ``marts`` as the last passing run left it. dbt's models and tests write
``marts__candidate`` (the ``marts_schema`` var of macros/generate_schema_name.sql), which is kept in step
with ``marts`` between runs:

* the incremental marts stay in the candidate from run to run; triggers log the keys of the rows a build
  writes there (orchestration/warehouse/slices.py), and the publish applies those rows to ``marts`` —
  a run's publish costs what the run wrote, not the mart's history;
* the marts dbt rebuilds whole (tables, seeds) are moved into ``marts`` (``ALTER TABLE … SET SCHEMA``: no
  copy; indexes move with them) with the grants of the tables they replace (or the schema's default
  privileges, which apply only to tables *created* in ``marts``), and copied back before the next build;
* the report-layer functions of the candidate are re-created in ``marts``.

All in one transaction, and PostgreSQL's DDL is transactional: a reader sees the marts before or after,
never between. A failed build is undone in the candidate: the logged marts get their published rows back
on the keys the build wrote, the other tables it may have written go (copied again next time).

One run owns the candidate from its first dbt step to its publish: a claim row keyed by the Dagster run id
(:func:`claim`), not a session's advisory lock, which ends with the step's process while the candidate must
outlive it. The run's last dbt step publishes what every dbt step of the run built, together; a failed step
discards the build. A killed run's claim lapses: its lease is renewed while a step builds, and a claim
whose run Dagster reports finished is taken over at once.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import connection as Connection
from psycopg2.extensions import cursor as Cursor

from orchestration.warehouse import slices
from orchestration.warehouse.bootstrap import WarehouseUnavailableError, connect
from orchestration.warehouse.location import WarehouseLocation

PUBLISHED = "marts"
CANDIDATE = "marts__candidate"
# the claim on the candidate: one row, the run that builds in it (kept outside the candidate: it outlives it)
CLAIMS = slices.LOGS
CLAIM = sql.Identifier(CLAIMS, "candidate_claim")
# a claim not renewed for this long is free: its run was killed between two heartbeats (or two steps)
LEASE_SECONDS = 300
HEARTBEAT_SECONDS = 30
WAIT_SECONDS = 2.0
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


def _marker_present(cur: Cursor) -> bool:
    cur.execute("select to_regclass(%s)", (BUILDING.as_string(cur),))
    return cur.fetchone()[0] is not None


def _candidate_tables(cur: Cursor) -> list[str]:
    return [name for name in _tables(cur, CANDIDATE) if name != BUILDING.strings[-1]]


def _published(cur: Cursor, name: str) -> bool:
    cur.execute("select to_regclass(%s)", (sql.Identifier(PUBLISHED, name).as_string(cur),))
    return cur.fetchone()[0] is not None


def _same_columns(cur: Cursor, name: str) -> bool:
    return slices.columns(cur, CANDIDATE, name) == slices.columns(cur, PUBLISHED, name)


def _roll_back(cur: Cursor) -> None:
    """Bring the candidate back in step with ``marts`` after a build that did not publish: the logged
    marts get their published rows back on the keys the build wrote; every other table the build may have
    written or rebuilt goes (the next build copies it)."""
    steady = slices.in_step(cur, CANDIDATE)
    kept: dict[str, list[str] | None] = {}
    for name in _candidate_tables(cur):
        key = steady.get(name)
        if key and _published(cur, name) and _same_columns(cur, name):
            slices.apply(cur, name, key, source=PUBLISHED, target=CANDIDATE)
            kept[name] = key
        else:
            cur.execute(sql.SQL("drop table {}").format(sql.Identifier(CANDIDATE, name)))
            slices.stop_capture(cur, name)
    cur.execute(sql.SQL("drop table if exists {}").format(BUILDING))
    slices.record_in_step(cur, CANDIDATE, kept)
    # the build's post-hooks may have rewritten or added functions: the published ones come back
    for signature, _definition in _functions(cur, CANDIDATE):
        cur.execute(f"drop function {signature}")
    _copy_functions(cur, source=PUBLISHED, target=CANDIDATE)


def _copy_functions(cur: Cursor, source: str, target: str) -> None:
    """Re-create the functions of schema ``source`` in ``target``, their bodies reading ``target``."""
    # the functions read each other: their bodies are checked when called, not in creation order
    cur.execute("set local check_function_bodies = off")
    for signature, definition in _functions(cur, source):
        copied = _in_schema(signature, source, target)
        # dropped first: CREATE OR REPLACE cannot change a function's result columns
        cur.execute(f"drop function if exists {copied}")
        cur.execute(_in_schema(definition, source, target))


def prepare_candidate(conn: Connection, keys: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """Give the candidate a copy of every published table it lacks, and mark it as being built; the names
    copied. The incremental marts (``keys``: name → slice key, :func:`slices.slice_keys`) get their writes
    logged from now on, so that they stay in the candidate, in step with ``marts``, from build to build.
    A mark left by an earlier build means that build ended without publishing (killed): it is rolled back
    first. A candidate table not recorded in step (left by an older version, or with another slice key)
    goes and is copied again."""
    keys = keys or {}
    with conn, conn.cursor() as cur:
        slices.ensure_in_step_table(cur)
        cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(CANDIDATE)))
        if _marker_present(cur):
            _roll_back(cur)
        cur.execute(sql.SQL("create table {} ()").format(BUILDING))
        steady = slices.in_step(cur, CANDIDATE)
        kept: dict[str, list[str] | None] = {}
        for name in _candidate_tables(cur):
            wanted = list(keys[name]) if name in keys else None
            if name in steady and steady[name] == wanted:
                kept[name] = wanted
            else:
                cur.execute(sql.SQL("drop table {}").format(sql.Identifier(CANDIDATE, name)))
                slices.stop_capture(cur, name)
        missing = [name for name in _tables(cur, PUBLISHED) if name not in kept]
        for name in missing:
            _copy_table(cur, name)
            kept[name] = list(keys[name]) if name in keys else None
            if name in keys:
                slices.capture(cur, CANDIDATE, name, keys[name])
        slices.record_in_step(cur, CANDIDATE, kept)
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


def publish(conn: Connection, tables: Iterable[str], owner: str | None = None) -> list[str]:
    """In ONE transaction: apply to ``marts`` the rows the build wrote into the candidate's logged marts,
    move the candidate's other ``tables`` (rebuilt whole) into ``marts``, and re-create the candidate's
    functions there; the names published. With ``owner``, only while that run holds the candidate, which
    the same transaction frees. The logged marts stay in the candidate, in step with ``marts``."""
    with conn, conn.cursor() as cur:
        if owner is not None:
            if _holder(cur) != owner:
                raise LostClaimError(f"run {owner}'s claim on {CANDIDATE} lapsed and another run took it")
            cur.execute(
                sql.SQL("update {} set owner = null, built = '{{}}', expires_at = null").format(CLAIM)
            )
        slices.ensure_in_step_table(cur)
        cur.execute(sql.SQL("drop table if exists {}").format(BUILDING))
        steady = slices.in_step(cur, CANDIDATE)
        present = set(_candidate_tables(cur))
        wanted = set(tables)
        kept: dict[str, list[str] | None] = {}
        published: set[str] = set()
        for name in sorted(present):
            key = steady.get(name)
            if key and _published(cur, name) and _same_columns(cur, name):
                if slices.logged(cur, name):
                    slices.apply(cur, name, key, source=CANDIDATE, target=PUBLISHED)
                    published.add(name)
                kept[name] = key
            elif name in steady and name not in wanted:
                kept[name] = key  # not written by this build: still the published rows
        for name in sorted((present & wanted) - set(kept)):
            slices.stop_capture(cur, name)  # its columns changed: it goes whole, and is copied back
            _move(cur, name)
            published.add(name)
        _copy_functions(cur, source=CANDIDATE, target=PUBLISHED)
        slices.record_in_step(cur, CANDIDATE, kept)
    return sorted(published | (wanted & set(kept)))


def _move(cur: Cursor, name: str) -> None:
    """The candidate's ``name`` replaces the published one, with its grants (no copy: indexes move too)."""
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


def discard_candidate(conn: Connection, owner: str | None = None) -> None:
    """Undo a failed build in the candidate: it may hold half of it (:func:`_roll_back`). With ``owner``,
    only while that run holds it, and the claim is freed in the same transaction."""
    with conn, conn.cursor() as cur:
        if owner is not None:
            if _holder(cur) != owner:
                return  # another run took it over: the candidate is its own now
            cur.execute(
                sql.SQL("update {} set owner = null, built = '{{}}', expires_at = null").format(CLAIM)
            )
        slices.ensure_in_step_table(cur)
        cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(CANDIDATE)))
        _roll_back(cur)


def drop_candidate(conn: Connection, owner: str | None = None) -> None:
    """Drop the candidate whole: dbt run by hand writes ``marts`` directly, so no copy is in step any more.
    The next build copies the marts again."""
    with conn, conn.cursor() as cur:
        if owner is not None and _holder(cur) != owner:
            return
        slices.ensure_in_step_table(cur)
        for name in slices.in_step(cur, CANDIDATE):
            slices.stop_capture(cur, name)
        cur.execute(sql.SQL("delete from {}").format(slices.IN_STEP))
        cur.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(CANDIDATE)))
        if owner is not None:
            cur.execute(
                sql.SQL("update {} set owner = null, built = '{{}}', expires_at = null").format(CLAIM)
            )


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


class LostClaimError(RuntimeError):
    """The run's claim on the candidate lapsed and another run took it: this run's build is not published."""


@dataclass(frozen=True)
class Claim:
    """A run's hold on the candidate: ``fresh`` when this is its first dbt step (the candidate is prepared),
    ``built`` the marts its earlier steps built there, waiting to be published with the next step's."""

    owner: str
    fresh: bool
    built: tuple[str, ...]


def _ensure_claim_row(conn: Connection) -> None:
    with conn, conn.cursor() as cur:
        cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(CLAIMS)))
        cur.execute(
            sql.SQL(
                "create table if not exists {} (id boolean primary key default true check (id), owner text,"
                " built text[] not null default '{{}}', expires_at timestamptz)"
            ).format(CLAIM)
        )
        cur.execute(sql.SQL("insert into {} default values on conflict do nothing").format(CLAIM))


def claim(
    conn: Connection,
    owner: str,
    finished: Callable[[str], bool] = lambda _owner: False,
    on_wait: Callable[[str], None] = lambda _holder: None,
) -> Claim:
    """Wait until the candidate is free, this run's already, or its holder's claim lapsed (lease expired, or
    ``finished`` says the holding run ended), then hold it for ``owner`` (a Dagster run id)."""
    _ensure_claim_row(conn)
    while True:
        with conn, conn.cursor() as cur:
            cur.execute(sql.SQL("select owner, built, expires_at < now() from {} for update").format(CLAIM))
            holder, built, lapsed = cur.fetchone()
            if holder is None or holder == owner or lapsed or finished(holder):
                mine = holder == owner
                cur.execute(
                    sql.SQL(
                        "update {} set owner = %s, built = %s, expires_at = now() + make_interval(secs => %s)"
                    ).format(CLAIM),
                    (owner, built if mine else [], LEASE_SECONDS),
                )
                return Claim(owner, fresh=not mine, built=tuple(built) if mine else ())
        on_wait(holder)
        time.sleep(WAIT_SECONDS)


def _holder(cur: Cursor) -> str | None:
    """The run holding the candidate, its claim row locked until the transaction ends."""
    cur.execute(sql.SQL("select owner from {} for update").format(CLAIM))
    row = cur.fetchone()
    return row[0] if row else None


def record_built(conn: Connection, owner: str, names: Iterable[str]) -> list[str]:
    """Add ``names`` to what ``owner`` built in the candidate; everything it built so far."""
    with conn, conn.cursor() as cur:
        cur.execute(
            sql.SQL(
                "update {} set built = array(select distinct unnest(built || %s::text[]) order by 1)"
                " where owner = %s returning built"
            ).format(CLAIM),
            (list(names), owner),
        )
        row = cur.fetchone()
    if row is None:
        raise LostClaimError(f"run {owner}'s claim on {CANDIDATE} lapsed and another run took it")
    return list(row[0])


def release(conn: Connection, owner: str) -> None:
    """Free the candidate if ``owner`` holds it."""
    with conn, conn.cursor() as cur:
        cur.execute(
            sql.SQL("update {} set owner = null, built = '{{}}', expires_at = null where owner = %s").format(
                CLAIM
            ),
            (owner,),
        )


@contextmanager
def heartbeat(location: WarehouseLocation, owner: str) -> Iterator[None]:
    """Renew ``owner``'s lease while the block runs (a dbt build may run longer than the lease)."""
    stop = threading.Event()

    def renew() -> None:
        conn: Connection | None = None
        while not stop.wait(HEARTBEAT_SECONDS):
            try:
                conn = conn or connect(location)
                with conn, conn.cursor() as cur:
                    cur.execute(
                        sql.SQL(
                            "update {} set expires_at = now() + make_interval(secs => %s) where owner = %s"
                        ).format(CLAIM),
                        (LEASE_SECONDS, owner),
                    )
            except (psycopg2.Error, WarehouseUnavailableError):  # a lost connection: the next beat reconnects
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()

    thread = threading.Thread(target=renew, name=f"candidate-claim-{owner}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
