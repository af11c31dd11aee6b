"""`b24ops report`'s period options: --from/--to, --last N, --this-month, and the 30-day default."""

from datetime import date

import pytest

from orchestration.cli.periods import PeriodError, report_period

TODAY = date(2026, 12, 2)


@pytest.mark.parametrize(
    ("options", "period"),
    [
        ({}, (date(2026, 11, 3), TODAY)),
        ({"days": 7}, (date(2026, 11, 26), TODAY)),
        ({"days": 90}, (date(2026, 9, 4), TODAY)),
        ({"days": 1}, (TODAY, TODAY)),
        ({"this_month": True}, (date(2026, 12, 1), TODAY)),
        ({"first": date(2026, 10, 1)}, (date(2026, 10, 1), TODAY)),
        ({"first": date(2026, 10, 1), "last": date(2026, 10, 31)}, (date(2026, 10, 1), date(2026, 10, 31))),
        ({"last": date(2026, 10, 31), "days": 7}, (date(2026, 10, 25), date(2026, 10, 31))),
        ({"last": date(2026, 10, 31)}, (date(2026, 10, 2), date(2026, 10, 31))),
    ],
)
def test_period(options: dict, period: tuple[date, date]) -> None:
    assert report_period(TODAY, **options) == period


@pytest.mark.parametrize(
    "options",
    [
        {"this_month": True, "days": 7},
        {"this_month": True, "first": date(2026, 10, 1)},
        {"first": date(2026, 10, 1), "days": 7},
        {"days": 0},
        {"first": date(2026, 12, 3)},
    ],
)
def test_contradictions_are_refused(options: dict) -> None:
    with pytest.raises(PeriodError):
        report_period(TODAY, **options)
