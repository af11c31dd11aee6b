"""SQL == oracle, exactly, on 10,000 random (employee, start, end) pairs over the scenario portal,
for both call shapes of the macros (scalar sub-query and hash-joined look-up).

The pairs are drawn with a fixed seed; a third of them start near a DST switch, a tenth on a whole
hour (where the shift boundaries are), some end before they start or at the same instant. All of them
go to PostgreSQL in one query.
"""

from __future__ import annotations

import datetime as dt
import random
from fractions import Fraction

import pytest

from tests.working_time import scenario
from tests.working_time.oracle import WorkingCalendar
from tests.working_time.probes import WorkingTimeDatabase

PAIRS = 10_000
ROUND_THE_CLOCK_USERS = (5,)
DST_SWITCHES = [
    dt.datetime(2024, 3, 10, 7, tzinfo=dt.UTC),
    dt.datetime(2024, 3, 31, 1, tzinfo=dt.UTC),
    dt.datetime(2024, 10, 27, 1, tzinfo=dt.UTC),
    dt.datetime(2024, 11, 3, 6, tzinfo=dt.UTC),
]
FIRST = dt.datetime.combine(scenario.CALENDAR_START, dt.time(), dt.UTC)
LAST = dt.datetime.combine(scenario.CALENDAR_END, dt.time(), dt.UTC)


def random_pairs(rng: random.Random) -> list[tuple[int, int, dt.datetime, dt.datetime]]:
    """(id, user_id, t1, t2) with whole-second instants inside the calendar."""
    span = int((LAST - FIRST).total_seconds())
    pairs = []
    for i in range(PAIRS):
        user_id = rng.choice(list(scenario.USER_ZONES))
        kind = rng.random()
        if kind < 0.3:
            start = rng.choice(DST_SWITCHES) + dt.timedelta(seconds=rng.randint(-36 * 3600, 36 * 3600))
        else:
            start = FIRST + dt.timedelta(seconds=rng.randrange(span))
        if kind > 0.9:
            start = start.replace(minute=0, second=0)
        length = rng.choice(
            [
                0,
                rng.randint(-2 * 86400, 0),
                rng.randint(0, 7200),
                rng.randint(0, 3 * 86400),
                rng.randint(0, 40 * 86400),
            ]
        )
        end = min(max(start + dt.timedelta(seconds=length), FIRST), LAST)
        pairs.append((i, user_id, start, end))
    return pairs


@pytest.mark.integration
@pytest.mark.slow
def test_sql_equals_oracle_on_random_pairs(
    working_time_db: WorkingTimeDatabase, oracle: WorkingCalendar
) -> None:
    pairs = random_pairs(random.Random(20240331))
    answers = working_time_db.probe(pairs)
    mismatches = []
    for i, user_id, start, end in pairs:
        answer = answers[i]
        w1, w2 = oracle.working_seconds_until(user_id, start), oracle.working_seconds_until(user_id, end)
        between = oracle.working_minutes(user_id, start, end)
        if (
            (answer.w1, answer.w2) != (w1, w2)
            or round(Fraction(answer.minutes_between), 6) != round(between, 6)
            or not answer.shapes_agree
        ):
            mismatches.append((user_id, start, end, answer, w1, w2))
    assert not mismatches, f"{len(mismatches)} mismatches, first: {mismatches[:3]}"


@pytest.mark.integration
@pytest.mark.slow
def test_round_the_clock_equals_calendar_time(working_time_db: WorkingTimeDatabase) -> None:
    rng = random.Random(7)
    pairs = [
        (i, ROUND_THE_CLOCK_USERS[0], start, start + dt.timedelta(seconds=rng.randint(0, 90 * 86400)))
        for i, start in enumerate(
            FIRST + dt.timedelta(seconds=rng.randrange(150 * 86400)) for _ in range(500)
        )
    ]
    answers = working_time_db.probe(pairs)
    for i, _, start, end in pairs:
        assert answers[i].w2 - answers[i].w1 == int((end - start).total_seconds())
        assert answers[i].shapes_agree
