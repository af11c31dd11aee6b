"""Every date default of the CLI (the demo's portal and reports, `b24ops report`) is the portal's today.

Pacific/Kiritimati (UTC+14) and Pacific/Pago_Pago (UTC−11) are 25 hours apart: whatever the time, their
dates differ, and at least one of them differs from the UTC date (issue #19 point 1: the CLI used the
UTC date while the snapshots were dated in the portal's zone).
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from orchestration.cli.reports import portal_today

AHEAD, BEHIND = "Pacific/Kiritimati", "Pacific/Pago_Pago"


def test_today_is_the_date_in_the_portals_time_zone() -> None:
    days = {}
    for zone in (AHEAD, BEHIND):  # the CLI passes B24_PORTAL_TIME_ZONE from its settings
        before = datetime.now(ZoneInfo(zone)).date()
        days[zone] = portal_today(zone)
        assert days[zone] in {before, datetime.now(ZoneInfo(zone)).date()}
    assert days[AHEAD] > days[BEHIND]
    assert datetime.now(UTC).date() != days[AHEAD] or datetime.now(UTC).date() != days[BEHIND]
