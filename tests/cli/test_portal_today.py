"""Every date default of the CLI (the demo's portal and reports, `b24ops report`) is the portal's today.

The clock is injected: at 22:30 UTC on 1 December it is already 2 December in Moscow (UTC+3), and at
05:00 UTC on 2 December it is still 1 December in Pago Pago (UTC−11) — issue #19 point 1: the CLI used the
UTC date while the snapshots were dated in the portal's zone, so the default period missed the snapshot.
"""

from datetime import UTC, date, datetime

from orchestration.cli.periods import report_period
from orchestration.settings import portal_today

LATE_EVENING_UTC = datetime(2026, 12, 1, 22, 30, tzinfo=UTC)
EARLY_MORNING_UTC = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)


def test_today_is_the_date_in_the_portals_time_zone_not_utcs() -> None:
    assert LATE_EVENING_UTC.date() == date(2026, 12, 1)
    assert portal_today("Europe/Moscow", LATE_EVENING_UTC) == date(2026, 12, 2)
    assert portal_today("Pacific/Pago_Pago", EARLY_MORNING_UTC) == date(2026, 12, 1)
    assert portal_today("UTC", LATE_EVENING_UTC) == date(2026, 12, 1)


def test_the_default_report_period_ends_on_the_portals_today() -> None:
    today = portal_today("Europe/Moscow", LATE_EVENING_UTC)
    assert report_period(today) == (date(2026, 11, 3), date(2026, 12, 2))  # 30 days, today included
    assert report_period(today, this_month=True) == (date(2026, 12, 1), date(2026, 12, 2))
