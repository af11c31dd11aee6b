"""Is the recipient working now, and when do they start next — read from the warehouse's working calendar
(``int_working_intervals``: the same intervals every working-minute figure is computed from; no working-time
rule is repeated here, only a look-up of which interval contains an instant). And the language each recipient
reads: ``marts.alert_recipients`` (the rule in dbt: their own setting, else their department's)."""

from __future__ import annotations

from collections.abc import Callable
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


_LANGUAGES = "select recipient_id, language from marts.alert_recipients where language is not null"


def recipient_languages(conn: Connection, default: str) -> Callable[[int], str]:
    """Each recipient's language: the one a BI user set for them or their department
    (``marts.alert_recipients``), else ``default`` (the product's alert language)."""
    with conn.cursor() as cur:
        cur.execute(_LANGUAGES)
        chosen = {int(recipient): language for recipient, language in cur.fetchall()}
    conn.commit()
    return lambda recipient: chosen.get(recipient, default)
