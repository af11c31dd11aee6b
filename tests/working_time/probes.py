"""Ask the working-time macros about many (user, t1, t2) rows in one query, as dbt renders them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from psycopg2.extras import execute_values

from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation
from testkit.dbt import run_dbt
from tests.working_time import scenario

#: One inline query renders every macro, the scalar and the set-based (join) shape, over a relation
#: ``probes(user_id, t1, t2)``.
PROBE_QUERY = """
select
    p.id,
    {{ working_seconds_until('p.user_id', 'p.t1') }} as w1,
    {{ working_seconds_until('p.user_id', 'p.t2') }} as w2,
    {{ working_minutes_until('p.user_id', 'p.t2') }} - {{ working_minutes_until('p.user_id', 'p.t1') }}
        as minutes_difference,
    {{ working_minutes_between('p.user_id', 'p.t1', 'p.t2') }} as minutes_between,
    p.t2 < p.t1 as is_touch_before_creation,
    {{ working_seconds_at('w_created', 'p.t1') }} as joined_w1,
    {{ working_seconds_at('w_touched', 'p.t2') }} as joined_w2,
    {{ working_minutes_between_at('w_created', 'p.t1', 'w_touched', 'p.t2') }} as joined_minutes_between
from probes as p
{{ working_time_join('w_created', 'p.user_id', 'p.t1') }}
{{ working_time_join('w_touched', 'p.user_id', 'p.t2') }}
"""


@dataclass(frozen=True)
class WorkingTimeDatabase:
    """A database holding the scenario's working calendar, and the SQL that probes it."""

    location: WarehouseLocation
    probe_sql: str

    def probe(
        self, rows: list[tuple[int, int | None, dt.datetime | None, dt.datetime | None]]
    ) -> dict[int, Probe]:
        """Run every macro over ``(id, user_id, t1, t2)`` rows in one query; results by id."""
        conn = connect(self.location)
        try:
            with conn.cursor() as cur:
                cur.execute(
                    "create temp table probes (id int, user_id bigint, t1 timestamptz, t2 timestamptz)"
                )
                execute_values(cur, "insert into probes values %s", rows, page_size=5000)
                cur.execute("analyze probes")
                cur.execute(self.probe_sql)
                return {row[0]: Probe(*row[1:]) for row in cur.fetchall()}
        finally:
            conn.close()


@dataclass(frozen=True)
class Probe:
    """What the macros answer for one (user, t1, t2); ``joined_*`` come from the set-based shape."""

    w1: Decimal | None
    w2: Decimal | None
    minutes_difference: Decimal | None
    minutes_between: Decimal | None
    is_touch_before_creation: bool | None
    joined_w1: Decimal | None
    joined_w2: Decimal | None
    joined_minutes_between: Decimal | None

    @property
    def shapes_agree(self) -> bool:
        """The join shape answers exactly what the scalar one does."""
        return (self.joined_w1, self.joined_w2, self.joined_minutes_between) == (
            self.w1,
            self.w2,
            self.minutes_between,
        )


def compile_inline(location: WarehouseLocation, query: str) -> str:
    """The SQL dbt renders for an inline query (refs resolved, macros expanded)."""
    return run_dbt(
        location, "compile", "--quiet", "--vars", scenario.DBT_VARS, "--inline", query
    ).stdout.strip()
