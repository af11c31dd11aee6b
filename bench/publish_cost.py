"""What publishing the marts all-or-nothing costs (orchestration/warehouse/publish.py), per mart size.

A calls-shaped mart of N rows (the columns and the two indexes of ``marts.calls``, synthetic values) in a
scratch database on the warehouse's server; timed: the copy of the published table into the candidate that
precedes every build which rewrites it (``prepare_candidate``), and the publish transaction (``publish``).

Run: ``.venv/bin/python bench/publish_cost.py 500000 2000000`` (docs/benchmarks.md, "Publishing the marts").
"""

from __future__ import annotations

import sys
import time

from orchestration.warehouse import publish
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation, resolve_warehouse
from orchestration.warehouse.scratch import create_scratch_database, drop_scratch_database

CALLS_SHAPED = """
create table marts.calls as
select md5(g::text) as call_id, g::bigint as statistic_id, (g % 500)::bigint as manager_id,
       (g % 40)::bigint as department_id, 'DEAL'::text as crm_entity_type, (g / 8)::bigint as crm_entity_id,
       g::bigint as crm_activity_id, (g / 8)::bigint as deal_id,
       (array['incoming', 'outgoing', 'callback'])[1 + g % 3] as direction, '200'::text as failed_code,
       'Success call'::text as failed_reason, g % 3 <> 0 as is_connected, g % 5 = 0 as is_missed,
       g % 2 = 0 as is_outgoing_attempt, true as started_within_working_hours,
       (g % 600)::integer as duration_seconds,
       timestamptz '2024-01-01' + g * interval '7 second' as started_at,
       date '2024-01-01' + (g / 12000)::int as call_date
from generate_series(1, %s) g
"""


def measure(server: WarehouseLocation, rows: int) -> None:
    database = create_scratch_database(server, "publish_cost")
    try:
        conn = connect(database)
        with conn, conn.cursor() as cur:
            cur.execute(CALLS_SHAPED, (rows,))
            cur.execute("create unique index calls_call_id on marts.calls (call_id)")
            cur.execute("create index calls_manager_date on marts.calls (manager_id, call_date)")
            cur.execute("analyze marts.calls")
            cur.execute("select pg_size_pretty(pg_total_relation_size('marts.calls'))")
            size = cur.fetchone()[0]
        started = time.monotonic()
        publish.prepare_candidate(conn)
        copy = time.monotonic() - started
        started = time.monotonic()
        publish.publish(conn, ["calls"])
        swap = time.monotonic() - started
        conn.close()
        print(f"rows={rows:,} size={size} copy_into_candidate={copy:.1f}s publish_transaction={swap:.3f}s")
    finally:
        drop_scratch_database(database)


if __name__ == "__main__":
    for count in map(int, sys.argv[1:]):
        measure(resolve_warehouse(), count)
