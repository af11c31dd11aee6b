"""A country's production calendar: the dated exceptions to the weekly working pattern.

Bitrix24 knows only year-less holidays; the `holidays` package knows the real, year-specific ones
(for Russia including the substituted days off and, in ``weekend_workdays``, the working Saturdays).
It does not know shortened pre-holiday days, so they are derived here by the Russian Labour Code
(art. 95) as the official production calendars apply it: a working day is shorter by
``short_day_minutes`` when the next day is a holiday or substituted day off, and a working weekend day
is shorter when the days off after it lead into one (27.04.2024: Sunday, then 29-30 April and 1 May).
Checked against the official 2024 calendar (22.02, 07.03, 27.04, 08.05, 11.06, 02.11, 28.12) and
2025's (07.03, 30.04, 07.05, 11.06, 01.11; not 21.02, before a Sunday 23 February) in the tests.
Other countries get no short days unless asked. The output is a seed: whatever the rule gets wrong is
fixed by editing the CSV.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import holidays

#: Countries whose labour law shortens the working day before a holiday (minutes it is shortened by).
PRE_HOLIDAY_SHORTENING: dict[str, int] = {"RU": 60}

#: Days that are off in every week unless the calendar says otherwise (Monday = 0).
WEEKEND = frozenset({5, 6})


class DayType(StrEnum):
    """What a dated exception does to the weekly pattern."""

    HOLIDAY = "holiday"
    WORKING_DAY = "working_day"
    SHORT_DAY = "short_day"


@dataclass(frozen=True)
class CalendarDay:
    """One row of the production-calendar seed."""

    country: str
    calendar_date: dt.date
    day_type: DayType
    short_minutes: int | None
    description: str


def production_calendar(
    country: str, years: Iterable[int], short_day_minutes: int | None = None
) -> list[CalendarDay]:
    """The dated exceptions of ``country`` for ``years``, sorted by date.

    ``short_day_minutes`` overrides the country's pre-holiday shortening (0 = no short days).
    """
    year_list = sorted(set(years))
    # One year of look-ahead so the last working day of December sees the January holidays.
    calendar = holidays.country_holidays(country, years=[*year_list, year_list[-1] + 1])
    weekend_workdays: set[dt.date] = set(getattr(calendar, "weekend_workdays", set()))
    shortening = PRE_HOLIDAY_SHORTENING.get(country, 0) if short_day_minutes is None else short_day_minutes

    def is_day_off(day: dt.date) -> bool:
        return day in calendar or (day.weekday() in WEEKEND and day not in weekend_workdays)

    def is_pre_holiday(day: dt.date) -> bool:
        following = day + dt.timedelta(days=1)
        if following in calendar:
            return True
        while day in weekend_workdays and is_day_off(following):
            if following in calendar:
                return True
            following += dt.timedelta(days=1)
        return False

    rows: list[CalendarDay] = []
    day = dt.date(year_list[0], 1, 1)
    while day.year <= year_list[-1]:
        if day.year in year_list:
            if day in calendar:
                rows.append(CalendarDay(country, day, DayType.HOLIDAY, None, calendar.get_list(day)[0]))
            elif not is_day_off(day) and shortening and is_pre_holiday(day):
                rows.append(CalendarDay(country, day, DayType.SHORT_DAY, shortening, "Pre-holiday short day"))
            elif day in weekend_workdays:
                rows.append(CalendarDay(country, day, DayType.WORKING_DAY, None, "Working weekend day"))
        day += dt.timedelta(days=1)
    return rows
