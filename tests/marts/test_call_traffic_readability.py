"""Report 2 reads at a glance (issue #19): the connect rate follows from the two columns beside it and its
formula lives in dbt once; the pattern flags need an absolute limit, exclude each other and say why."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from psycopg2.extensions import connection as Connection

from orchestration.cli.report_table import percent
from orchestration.warehouse.location import WarehouseLocation
from tests.marts.conftest import PORTAL_CONFIG

# the small portal's whole history
FIRST, LAST = date(2026, 10, 1), PORTAL_CONFIG.end_date


@pytest.fixture(scope="module")
def observed_days() -> tuple[date, ...]:
    return ()  # no backlog history here: one load, one build


def test_connect_rate_is_outgoing_connected_over_outgoing_attempts(warehouse_conn: Connection) -> None:
    """The SQL function Superset's metric calls and the period function the CLI reads give the same rate,
    outgoing connected / outgoing attempts, never connected-in-any-direction / outgoing attempts."""
    with warehouse_conn.cursor() as cur:
        cur.execute(
            """
            select daily.manager_id, daily.outgoing, daily.outgoing_connected, daily.connected,
                   marts.connect_rate(daily.outgoing_connected, daily.outgoing),
                   patterns.calls_outgoing_connected, patterns.connect_rate
            from (select manager_id, sum(calls_outgoing) as outgoing,
                         sum(calls_outgoing_connected) as outgoing_connected,
                         sum(calls_connected) as connected
                  from marts.fct_manager_daily_calls where report_date between %(from)s and %(to)s
                  group by 1) as daily
            join marts.manager_call_patterns(%(from)s, %(to)s) as patterns using (manager_id)
            """,
            {"from": FIRST, "to": LAST},
        )
        rows = cur.fetchall()
    callers = [row for row in rows if row[1]]
    assert callers
    for _, outgoing, outgoing_connected, _, rate, period_numerator, period_rate in callers:
        assert rate == period_rate  # unrounded: rounding happens once, at display
        assert period_numerator == outgoing_connected
        assert abs(rate - outgoing_connected / outgoing) < Decimal("1e-12")
    # incoming calls are in neither term: somebody's connected calls exceed the numerator
    assert any(connected > outgoing_connected for _, _, outgoing_connected, connected, *_ in callers)
    assert all(row[4] is None for row in rows if not row[1])  # no attempts, no rate


def test_pattern_flags_unit_tests_ran_in_the_build(built_warehouse: tuple[WarehouseLocation, str]) -> None:
    """The absolute limits and the precedence are pinned by dbt unit tests on hand-made rows; the build ran
    and passed them."""
    _, stdout = built_warehouse
    for name in (
        "call_pattern_flags_use_department_quartiles",
        "call_pattern_flags_absolute_and_exclusive",
    ):
        assert any(name in line and "PASS" in line for line in stdout.splitlines()), name


def test_pattern_flags_are_absolute_exclusive_and_explained(warehouse_conn: Connection) -> None:
    with warehouse_conn.cursor() as cur:
        cur.execute(
            """
            select 'month', dials_a_lot_rarely_connects, connects_but_cannot_hold, is_flagged,
                   pattern_reason, calls_outgoing, connect_rate, calls_connected, average_talk_seconds
            from marts.fct_manager_call_patterns
            union all
            select 'period', dials_a_lot_rarely_connects, connects_but_cannot_hold, is_flagged,
                   pattern_reason, calls_outgoing, connect_rate, calls_connected, average_talk_seconds
            from marts.manager_call_patterns(%(from)s, %(to)s)
            """,
            {"from": FIRST, "to": LAST},
        )
        rows = cur.fetchall()
    assert rows
    for _, dials, cannot_hold, flagged, reason, outgoing, rate, connected, talk in rows:
        assert not (dials and cannot_hold)
        assert flagged == (dials or cannot_hold)
        assert (reason is not None) == flagged
        if dials:
            assert rate < Decimal("0.30")
            assert reason.startswith("dials a lot, rarely connects: ")
            assert f"outgoing {outgoing} " in reason and f"connect rate {percent(rate)}" in reason
        if cannot_hold:
            assert talk < 60
            assert reason.startswith("connects but cannot hold: ")
            assert f"connected {connected} " in reason and f"average talk {talk} s" in reason
    assert any(row[3] for row in rows), "the small portal flags somebody"
