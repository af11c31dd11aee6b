"""Is the recipient working now, and when do they start next — read from the warehouse's working calendar
(``int_working_intervals``: the same intervals every working-minute figure is computed from; no working-time
rule is repeated here, only a look-up of which interval contains an instant)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg2.extensions import connection as Connection

_QUERY = """
    select
        exists (
            select 1 from intermediate.int_working_intervals
            where user_id = %(user)s and interval_start <= %(now)s and interval_end > %(now)s
        ),
        (select min(interval_start) from intermediate.int_working_intervals
         where user_id = %(user)s and interval_start > %(now)s),
        exists (select 1 from intermediate.int_working_intervals where user_id = %(user)s)
"""


@dataclass(frozen=True)
class Availability:
    working: bool  # inside one of the recipient's working intervals at the instant asked about
    next_start: datetime | None  # the start of their next working interval after it
    known: bool  # the recipient has a working calendar at all (an employee the warehouse knows)


def availability(conn: Connection, user_id: int, now: datetime) -> Availability:
    with conn.cursor() as cur:
        cur.execute(_QUERY, {"user": user_id, "now": now})
        working, next_start, known = cur.fetchone()
    conn.commit()
    return Availability(bool(working), next_start, bool(known))
