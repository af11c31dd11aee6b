"""The edge cases of WORKING_TIME.md, each with its expected minutes worked out by hand.

Every case is also checked against the oracle, so a wrong hand calculation cannot hide a bug either way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from tests.working_time.oracle import WorkingCalendar
from tests.working_time.probes import WorkingTimeDatabase

MSK, BER, NYC = ZoneInfo("Europe/Moscow"), ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")


@dataclass(frozen=True)
class Case:
    user_id: int
    created: dt.datetime
    touched: dt.datetime
    minutes: Fraction


def msk(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=MSK)


CASES: dict[str, Case] = {
    "created_and_touched_inside_one_interval": Case(
        1, msk(2024, 3, 4, 10), msk(2024, 3, 4, 10, 25, 30), Fraction(51, 2)
    ),
    "created_at_night_touched_next_morning": Case(
        1, msk(2024, 3, 4, 22), msk(2024, 3, 5, 9, 45), Fraction(45)
    ),
    "created_friday_evening_touched_monday": Case(
        1, msk(2024, 3, 1, 17, 30), msk(2024, 3, 4, 9, 10), Fraction(40)
    ),
    # 8 March is a holiday (production calendar and portal), then the weekend.
    "created_on_a_holiday": Case(1, msk(2024, 3, 8, 11), msk(2024, 3, 11, 9, 30), Fraction(30)),
    # 20.04.2024 is a Saturday the portal works (year_workdays): Friday 60 + Saturday 540 + Monday 60.
    "working_saturday": Case(1, msk(2024, 4, 19, 17), msk(2024, 4, 22, 10), Fraction(660)),
    # 7 March is a short day (ends 17:00), 8 March a holiday.
    "shortened_pre_holiday_day": Case(1, msk(2024, 3, 7, 16), msk(2024, 3, 11, 9), Fraction(60)),
    # A short working Saturday (27.04) between a Friday and a run of holidays spanning the week boundary
    # (29.04-01.05): Friday 30 + Saturday 480 + Thursday 2 May 30.
    "holidays_across_a_week_boundary": Case(
        1, msk(2024, 4, 26, 17, 30), msk(2024, 5, 2, 9, 30), Fraction(540)
    ),
    # Absent 12:34:56-15:00: 34 min 56 s before it, 60 min after it.
    "absence_covering_part_of_a_day": Case(1, msk(2024, 3, 12, 12), msk(2024, 3, 12, 16), Fraction(5696, 60)),
    # Absent Friday 14:00 to Wednesday 11:20:30: 60 min before, 39.5 min after.
    "absence_over_several_days": Case(1, msk(2024, 4, 5, 13), msk(2024, 4, 10, 12), Fraction(199, 2)),
    "touch_before_working_hours_start": Case(1, msk(2024, 3, 4, 7), msk(2024, 3, 4, 8, 30), Fraction(0)),
    "touch_at_the_same_instant_as_creation": Case(1, msk(2024, 3, 4, 10), msk(2024, 3, 4, 10), Fraction(0)),
    "first_touch_earlier_than_creation": Case(1, msk(2024, 3, 4, 12), msk(2024, 3, 4, 10), Fraction(0)),
    # New York 08:30-17:15: 08:00-10:00 EST holds 90 working minutes.
    "employee_in_another_time_zone": Case(3, msk(2024, 3, 4, 16), msk(2024, 3, 4, 18), Fraction(90)),
    # 7 March local in New York is a short day (ends 16:15) while Moscow is already on the 8 March holiday;
    # 8 March local is the holiday: 15 min on the 7th + 30 min on Monday the 11th (now EDT).
    "holiday_in_the_employee_zone": Case(
        3, dt.datetime(2024, 3, 7, 16, tzinfo=NYC), dt.datetime(2024, 3, 11, 9, tzinfo=NYC), Fraction(45)
    ),
    # Berlin, German calendar, across the spring switch: Friday 60, Mon-Thu 4 x 540, Good Friday and Easter
    # Monday off, Tuesday 30 (CEST now: 07:30 UTC).
    "dst_spring_week_in_berlin": Case(
        2,
        dt.datetime(2024, 3, 22, 17, tzinfo=BER),
        dt.datetime(2024, 4, 2, 9, 30, tzinfo=BER),
        Fraction(2250),
    ),
    # Night shift 22:00-06:00 Berlin wall clock: 7 real hours on the spring-forward night,
    # 9 on the fall-back one.
    "dst_spring_forward_night_shift": Case(
        6,
        dt.datetime(2024, 3, 30, 20, tzinfo=dt.UTC),
        dt.datetime(2024, 3, 31, 5, tzinfo=dt.UTC),
        Fraction(420),
    ),
    "dst_fall_back_night_shift": Case(
        6,
        dt.datetime(2024, 10, 26, 19, tzinfo=dt.UTC),
        dt.datetime(2024, 10, 27, 6, tzinfo=dt.UTC),
        Fraction(540),
    ),
    # Night shift (20:00-04:00 UTC in summer) with absences 01:00-01:30 and 02:00:07-02:10 UTC: UTC day
    # 10 July holds four pieces, the last two beyond the look-up's inline slots.
    # 23:00-01:00 = 120, 01:30-02:00:07 = 30 min 7 s, 02:10-03:00 = 50.
    "more_than_two_working_pieces_in_a_utc_day": Case(
        6,
        dt.datetime(2024, 7, 9, 23, tzinfo=dt.UTC),
        dt.datetime(2024, 7, 10, 3, tzinfo=dt.UTC),
        Fraction(200 * 60 + 7, 60),
    ),
    # ... and on to 21:00 UTC: 04:00 end of the shift, 20:00-21:00 the next one = 320 min 7 s.
    "more_than_two_working_pieces_to_the_evening": Case(
        6,
        dt.datetime(2024, 7, 9, 23, tzinfo=dt.UTC),
        dt.datetime(2024, 7, 10, 21, tzinfo=dt.UTC),
        Fraction(320 * 60 + 7, 60),
    ),
    # 24/7 equals calendar minutes, here across the spring switch (the Berlin day has 23 hours).
    "round_the_clock_equals_calendar_minutes": Case(
        5,
        dt.datetime(2024, 3, 29, 23, tzinfo=dt.UTC),
        dt.datetime(2024, 4, 2, 0, 0, 1, tzinfo=dt.UTC),
        Fraction(3 * 1440 * 60 + 3600 + 1, 60),
    ),
    # Untouched: pending minutes at two snapshot times.
    "untouched_deal_pending_at_noon": Case(1, msk(2024, 3, 4, 10), msk(2024, 3, 4, 12), Fraction(120)),
    "untouched_deal_pending_next_day": Case(1, msk(2024, 3, 4, 10), msk(2024, 3, 5, 10), Fraction(540)),
}


@pytest.fixture(scope="module")
def answers(working_time_db: WorkingTimeDatabase):
    rows = [(i, case.user_id, case.created, case.touched) for i, case in enumerate(CASES.values())]
    return dict(zip(CASES, (working_time_db.probe(rows)[i] for i in range(len(CASES))), strict=True))


@pytest.mark.integration
@pytest.mark.parametrize("name", list(CASES))
def test_edge_case(name: str, answers, oracle: WorkingCalendar) -> None:
    case, answer = CASES[name], answers[name]
    assert oracle.working_minutes(case.user_id, case.created, case.touched) == case.minutes
    if case.touched >= case.created:
        assert Fraction(answer.w2 - answer.w1) == case.minutes * 60
        assert round(Fraction(answer.minutes_difference), 6) == round(case.minutes, 6)
    assert round(Fraction(answer.minutes_between), 6) == round(case.minutes, 6)
    assert answer.is_touch_before_creation is (case.touched < case.created)
    assert answer.shapes_agree


@pytest.mark.integration
def test_touch_before_creation_gives_negative_difference_that_between_clamps(answers) -> None:
    answer = answers["first_touch_earlier_than_creation"]
    assert answer.w2 - answer.w1 == Decimal(-120 * 60)
    assert answer.minutes_between == 0
    assert answer.is_touch_before_creation


@pytest.mark.integration
def test_pending_minutes_grow_with_the_snapshot_time(answers) -> None:
    noon, next_day = answers["untouched_deal_pending_at_noon"], answers["untouched_deal_pending_next_day"]
    assert noon.w1 == next_day.w1
    assert next_day.w2 > noon.w2


@pytest.mark.integration
def test_unknown_user_and_missing_instant_give_null(working_time_db: WorkingTimeDatabase) -> None:
    answers = working_time_db.probe(
        [(1, 999, msk(2024, 3, 4, 10), msk(2024, 3, 4, 12)), (2, 1, msk(2024, 3, 4, 10), None)]
    )
    assert answers[1].w1 is None and answers[1].minutes_between is None
    assert answers[2].w1 is not None and answers[2].w2 is None and answers[2].minutes_between is None
    assert answers[1].shapes_agree and answers[2].shapes_agree


@pytest.mark.integration
def test_before_the_first_working_interval_w_is_zero(working_time_db: WorkingTimeDatabase) -> None:
    answers = working_time_db.probe([(1, 1, dt.datetime(2020, 1, 1, tzinfo=dt.UTC), msk(2024, 2, 20, 9, 30))])
    assert answers[1].w1 == 0
    assert answers[1].w2 == 30 * 60
    assert answers[1].shapes_agree


@pytest.mark.integration
def test_after_the_calendar_w_is_the_total(working_time_db: WorkingTimeDatabase) -> None:
    far, farther = dt.datetime(2030, 1, 1, tzinfo=dt.UTC), dt.datetime(2031, 6, 1, tzinfo=dt.UTC)
    answers = working_time_db.probe([(1, 1, far, farther), (2, 5, far, farther)])
    assert answers[1].w1 == answers[1].w2 > 0 and answers[1].minutes_between == 0
    assert answers[2].w1 == answers[2].w2 > 0
    assert answers[1].shapes_agree and answers[2].shapes_agree
