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

One run owns the candidate from its first dbt step to its publish: a lock row keyed by the Dagster run id
(:func:`claim`), not a session's advisory lock, which ends with the step's process while the candidate must
outlive it. The run's last dbt step publishes what every dbt step of the run built, together; a failed step
discards the candidate. A killed run's claim lapses: its lease is renewed while a step builds, and a claim
whose run Dagster reports finished is taken over at once.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from psycopg2 import sql
from psycopg2.extensions import connection as Connection
from psycopg2.extensions import cursor as Cursor

from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation

PUBLISHED = "marts"
CANDIDATE = "marts__candidate"
# the claim on the candidate: one row, the run that builds in it (kept outside the candidate: it outlives it)
CLAIMS = "marts__publish"
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


def publish(conn: Connection, tables: Iterable[str], owner: str | None = None) -> list[str]:
    """Move the candidate's ``tables`` into ``marts`` and re-create its functions there, in ONE transaction;
    the names moved (those the candidate holds). With ``owner``, only while that run holds the candidate,
    which the same transaction frees."""
    with conn, conn.cursor() as cur:
        if owner is not None:
            if _holder(cur) != owner:
                raise LostClaimError(f"run {owner}'s claim on {CANDIDATE} lapsed and another run took it")
            cur.execute(
                sql.SQL("update {} set owner = null, built = '{{}}', expires_at = null").format(CLAIM)
            )
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


def discard_candidate(conn: Connection, owner: str | None = None) -> None:
    """Drop the candidate after a failed build: it may hold half of it. The next build copies the marts.
    With ``owner``, only while that run holds it, and the claim is freed in the same transaction."""
    with conn, conn.cursor() as cur:
        if owner is not None:
            if _holder(cur) != owner:
                return  # another run took it over: the candidate is its own now
            cur.execute(
                sql.SQL("update {} set owner = null, built = '{{}}', expires_at = null").format(CLAIM)
            )
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
        conn = connect(location)
        try:
            while not stop.wait(HEARTBEAT_SECONDS):
                with conn, conn.cursor() as cur:
                    cur.execute(
                        sql.SQL(
                            "update {} set expires_at = now() + make_interval(secs => %s) where owner = %s"
                        ).format(CLAIM),
                        (LEASE_SECONDS, owner),
                    )
        finally:
            conn.close()

    thread = threading.Thread(target=renew, name=f"candidate-claim-{owner}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
