"""What publishing the marts all-or-nothing costs per run (orchestration/warehouse/publish.py), old and new
side by side, per history size.

A calls-shaped mart of N rows (the columns and indexes of ``marts.calls``, synthetic values, one call every
7 s: ≈ 12,300 a day, the 500 managers × 3 years bench's rate) in a scratch database on the warehouse's
server. A run writes what a daily windowed run writes into ``calls``: the calls of its window and the day
before re-derived (delete+insert), and a new day's calls. Timed, per run:

* **old** (moved whole): the copy of the published mart into the candidate that precedes every build
  (``prepare_candidate`` without slice keys: the table was moved out by the last publish), and the publish
  transaction that moves it back;
* **new** (kept in step, published by slice): ``prepare_candidate`` with the mart's slice key (the
  candidate already holds it: nothing to copy) and the publish transaction applying the logged keys.
  The one-off first copy of the new scheme is shown apart.

The run's own writes (dbt's part) are not timed. After the new publish, ``marts.calls`` and the candidate's
are checked equal (count and checksum).

Run: ``.venv/bin/python bench/publish_cost.py 1000000 4000000`` (docs/benchmarks.md, "Publishing the marts").
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from psycopg2.extensions import connection as Connection

from orchestration.warehouse import publish
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation, resolve_warehouse
from orchestration.warehouse.scratch import create_scratch_database, drop_scratch_database

DAY = 86_400 // 7  # calls a day at one every 7 s
KEYS = {"calls": ["call_id"]}
RUN_WROTE = 3 * DAY

CALLS_SHAPED = """
select md5(g::text) as call_id, g::bigint as statistic_id, (g %% 500)::bigint as manager_id,
       (g %% 40)::bigint as department_id, 'DEAL'::text as crm_entity_type, (g / 8)::bigint as crm_entity_id,
       g::bigint as crm_activity_id, (g / 8)::bigint as deal_id,
       (array['incoming', 'outgoing', 'callback'])[1 + g %% 3] as direction, '200'::text as failed_code,
       'Success call'::text as failed_reason, g %% 3 <> 0 as is_connected, g %% 5 = 0 as is_missed,
       g %% 2 = 0 as is_outgoing_attempt, true as started_within_working_hours,
       ((g + %(version)s) %% 600)::integer as duration_seconds,
       timestamptz '2024-01-01' + g * interval '7 second' as started_at,
       date '2024-01-01' + (g / 12343)::int as call_date
from generate_series(%(first)s, %(last)s) g
"""
INDEXES = (
    "create unique index calls_call_id on {} (call_id)",
    "create index calls_statistic_id on {} (statistic_id)",
    "create index calls_call_date on {} (call_date)",
    "create index calls_started_at on {} (started_at)",
    "create index calls_manager_date on {} (manager_id, call_date)",
)
CHECKSUM = "select count(*), sum(hashtext(call_id || ':' || duration_seconds)) from {}.calls"


def _timed(action: Callable[[], object]) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def _run_writes(conn: Connection, published: int, version: int) -> None:
    """A daily run's writes into the candidate's calls of ``published`` rows: its last two days again, and
    a new day (:data:`RUN_WROTE` rows). ``version`` makes the re-derived rows differ from the published."""
    first = published - 2 * DAY + 1
    with conn, conn.cursor() as cur:
        cur.execute("delete from marts__candidate.calls where statistic_id >= %s", (first,))
        cur.execute(
            "insert into marts__candidate.calls " + CALLS_SHAPED,
            {"first": first, "last": first + RUN_WROTE - 1, "version": version},
        )


def _checksum(conn: Connection, schema: str) -> tuple:
    with conn, conn.cursor() as cur:
        cur.execute(CHECKSUM.format(schema))
        return cur.fetchone()


def measure(server: WarehouseLocation, rows: int) -> None:
    database = create_scratch_database(server, "publish_cost")
    try:
        conn = connect(database)
        with conn, conn.cursor() as cur:
            cur.execute(
                "create table marts.calls as " + CALLS_SHAPED, {"first": 1, "last": rows, "version": 0}
            )
            for index in INDEXES:
                cur.execute(index.format("marts.calls"))
            cur.execute("analyze marts.calls")
            cur.execute("select pg_size_pretty(pg_total_relation_size('marts.calls'))")
            size = cur.fetchone()[0]

        # old: the last publish moved calls out of the candidate; the build copies it back first
        copy = _timed(lambda: publish.prepare_candidate(conn))
        old_writes = _timed(lambda: _run_writes(conn, rows, version=1))
        move = _timed(lambda: publish.publish(conn, ["calls"]))
        publish.drop_candidate(conn)
        print(
            f"rows={rows:,} size={size} run_wrote={RUN_WROTE:,}"
            f" | old: copy_into_candidate={copy:.1f}s publish={move:.2f}s total={copy + move:.1f}s"
            f" (the run's writes {old_writes:.1f}s)",
            flush=True,
        )

        # new: the first build copies calls once and logs its writes; every later build copies nothing
        first_copy = _timed(lambda: publish.prepare_candidate(conn, KEYS))
        publish.publish(conn, [])
        print(f"  new: the first build's one-off copy {first_copy:.1f}s", flush=True)
        for run in (1, 2):
            prepare = _timed(lambda: publish.prepare_candidate(conn, KEYS))
            new_writes = _timed(lambda run=run: _run_writes(conn, rows + run * DAY, version=1 + run))
            apply = _timed(lambda: publish.publish(conn, ["calls"]))
            assert _checksum(conn, "marts") == _checksum(conn, "marts__candidate"), "the copies differ"
            print(
                f"  new, run {run}: prepare={prepare:.2f}s publish={apply:.2f}s total={prepare + apply:.2f}s"
                f" (the run's writes, logged: {new_writes:.1f}s)",
                flush=True,
            )
        conn.close()
    finally:
        drop_scratch_database(database)


if __name__ == "__main__":
    for count in map(int, sys.argv[1:]):
        measure(resolve_warehouse(), count)
