"""The production-calendar generator against the official Russian calendars."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from orchestration.calendars import DayType, production_calendar
from orchestration.calendars.__main__ import SEED_COLUMNS, main


def _days(country: str, year: int, day_type: DayType, short: int | None = None) -> set[dt.date]:
    return {
        row.calendar_date for row in production_calendar(country, [year], short) if row.day_type is day_type
    }


def test_russian_short_days_match_the_official_2024_calendar() -> None:
    official = {(2, 22), (3, 7), (4, 27), (5, 8), (6, 11), (11, 2), (12, 28)}
    assert _days("RU", 2024, DayType.SHORT_DAY) == {dt.date(2024, m, d) for m, d in official}


def test_russian_short_days_of_2025_skip_the_friday_before_a_sunday_holiday() -> None:
    short = _days("RU", 2025, DayType.SHORT_DAY)
    assert {
        dt.date(2025, 3, 7),
        dt.date(2025, 4, 30),
        dt.date(2025, 5, 7),
        dt.date(2025, 6, 11),
        dt.date(2025, 11, 1),
    } <= short
    assert dt.date(2025, 2, 21) not in short


def test_substituted_days_off_are_holidays_and_working_saturdays_are_working() -> None:
    assert {dt.date(2024, 4, 29), dt.date(2024, 4, 30), dt.date(2024, 12, 31)} <= _days(
        "RU", 2024, DayType.HOLIDAY
    )
    assert _days("RU", 2024, DayType.WORKING_DAY, short=0) == {
        dt.date(2024, 4, 27),
        dt.date(2024, 11, 2),
        dt.date(2024, 12, 28),
    }


def test_countries_without_the_rule_get_no_short_days() -> None:
    rows = production_calendar("DE", [2024])
    assert {row.day_type for row in rows} == {DayType.HOLIDAY}
    assert dt.date(2024, 3, 29) in {row.calendar_date for row in rows}


def test_cli_writes_the_seed_for_several_countries(tmp_path: Path) -> None:
    out = tmp_path / "production_calendar.csv"
    assert main(["--country", "RU", "de", "--years", "2024", "--out", str(out)]) == 0
    with out.open(encoding="utf-8") as seed:
        rows = list(csv.DictReader(seed))
    assert tuple(rows[0]) == SEED_COLUMNS
    assert {row["country"] for row in rows} == {"RU", "DE"}
    assert {"calendar_date": "2024-03-07", "day_type": "short_day", "short_minutes": "60"}.items() <= next(
        row for row in rows if row["calendar_date"] == "2024-03-07"
    ).items()
