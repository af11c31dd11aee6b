"""Portal calendar settings (``calendar.settings.get``) and the employees' working schedules.

Bitrix24 REST exposes the portal's hours, weekend days and yearly holidays, but not which schedule
(shift) an employee works; the product reads that from an editable table, so the generator exports
the schedules it used with the ground truth (see ``truth.write_truth``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

# Russian public holidays as a portal admin types them (D.MM, no year) and one extra working day.
YEAR_HOLIDAYS = "1.01,2.01,3.01,4.01,5.01,6.01,7.01,8.01,23.02,8.03,1.05,9.05,12.06,4.11"
YEAR_WORKDAYS = "31.12"


def calendar_settings(work_time_start: int, work_time_end: int) -> dict[str, object]:
    """The ``calendar.settings.get`` result, verbatim: the keys and value types of the vendor's example
    (tests/contract/fixtures/calendar.settings.get.json); hours are strings, as the real method returns."""
    return {
        "work_time_start": str(work_time_start),
        "work_time_end": str(work_time_end),
        "year_holidays": YEAR_HOLIDAYS,
        "year_workdays": YEAR_WORKDAYS,
        "week_holidays": ["SA", "SU"],
        "week_start": "MO",
        "user_name_template": "#NAME# #LAST_NAME#",
        "sync_by_push": False,
        "user_show_login": True,
        "path_to_user": "/company/personal/user/#user_id#/",
        "path_to_user_calendar": "/company/personal/user/#user_id#/calendar/",
        "path_to_group": "/workgroups/group/#group_id#/",
        "path_to_group_calendar": "/workgroups/group/#group_id#/calendar/",
        "path_to_vr": "",
        "path_to_rm": "",
        "rm_iblock_type": "",
        "rm_iblock_id": "",
        "dep_manager_sub": True,
        "denied_superpose_types": [],
        "pathes_for_sites": "",
        "forum_id": "",
        "rm_for_sites": True,
        "path_to_type_company_calendar": "",
        "path_to_type_location": "",
        "path_to_type_open_event": "",
    }


def _day_months(text: str) -> frozenset[tuple[int, int]]:
    return frozenset((int(d), int(m)) for d, m in (item.split(".") for item in text.split(",") if item))


@dataclass(frozen=True)
class PortalCalendar:
    """Day types from the portal settings alone (the production calendar is the product's business)."""

    week_holidays: frozenset[int]
    holidays: frozenset[tuple[int, int]]
    workdays: frozenset[tuple[int, int]]

    @classmethod
    def from_settings(cls, settings: dict[str, object]) -> PortalCalendar:
        weekend = settings["week_holidays"]
        assert isinstance(weekend, list)
        return cls(
            week_holidays=frozenset(WEEKDAY_CODES.index(code) for code in weekend),
            holidays=_day_months(str(settings["year_holidays"])),
            workdays=_day_months(str(settings["year_workdays"])),
        )

    def is_workday(self, day: date) -> bool:
        key = (day.day, day.month)
        if key in self.holidays:
            return False
        return key in self.workdays or day.weekday() not in self.week_holidays


@dataclass(frozen=True)
class Schedule:
    """One employee's working hours, in the employee's own time zone.

    ``kind`` ``portal``: portal hours on portal working days. ``fixed``: other hours on the portal's
    working days. ``shift``: ``cycle`` is a string of 1/0 (work/off) repeated from ``anchor`` for every
    calendar day, ignoring weekends and holidays (a 2/2 roster).
    """

    user_id: int
    kind: str
    start_minute: int
    end_minute: int
    cycle: str = ""
    anchor: date | None = None

    def window(self, day: date, calendar: PortalCalendar) -> tuple[int, int] | None:
        """Working minutes ``[start, end)`` after local midnight of ``day``, or ``None`` on a day off."""
        if self.kind == "shift":
            assert self.anchor is not None
            if self.cycle[(day - self.anchor).days % len(self.cycle)] != "1":
                return None
        elif not calendar.is_workday(day):
            return None
        return self.start_minute, self.end_minute

    def as_record(self) -> dict[str, object]:
        return {
            "user_id": self.user_id,
            "kind": self.kind,
            "start": f"{self.start_minute // 60:02d}:{self.start_minute % 60:02d}",
            "end": f"{self.end_minute // 60:02d}:{self.end_minute % 60:02d}",
            "cycle": self.cycle or None,
            "anchor": self.anchor.isoformat() if self.anchor else None,
            "honours_portal_calendar": self.kind != "shift",
        }
