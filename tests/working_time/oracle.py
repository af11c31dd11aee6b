"""Reference implementation of working time (tests only): asks "is this instant working?" minute by minute.

Deliberately independent of the SQL: it never builds intervals. For an instant it takes the wall clock
of each candidate local date's zone and checks whether that wall-clock time falls inside the date's
window, then checks the absences. Windows start and end on whole local minutes and zone offsets are
whole minutes, so a minute is working or not as a whole — except minutes holding an absence edge or a
query end, which are walked second by second. Per-minute running sums are cached per UTC day, so many
queries over the same days stay cheap.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass, field
from fractions import Fraction
from zoneinfo import ZoneInfo

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MINUTE = dt.timedelta(minutes=1)
SECOND = dt.timedelta(seconds=1)


@dataclass(frozen=True)
class Portal:
    """calendar.settings.get: hours, weekend days, year-less holidays / extra working days as (day, month)."""

    time_zone: str
    work_time_start: dt.time
    work_time_end: dt.time
    week_holidays: frozenset[str]
    year_holidays: frozenset[tuple[int, int]] = frozenset()
    year_workdays: frozenset[tuple[int, int]] = frozenset()


@dataclass(frozen=True)
class ProductionDay:
    """A dated exception: 'holiday', 'working_day' or 'short_day' (ends short_minutes early)."""

    day_type: str
    short_minutes: int = 0


@dataclass(frozen=True)
class Schedule:
    """An employee's override for the dates valid_from..valid_to (inclusive); None = inherit."""

    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    time_zone: str | None = None
    work_time_start: dt.time | None = None
    work_time_end: dt.time | None = None
    work_days: frozenset[str] | None = None
    observe_holidays: bool = True
    country: str | None = None

    def covers(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


@dataclass(frozen=True)
class Window:
    """A working window in local wall-clock time, read in ``zone``."""

    zone: ZoneInfo
    start: dt.datetime
    end: dt.datetime


@dataclass
class WorkingCalendar:
    """The working calendar of a portal's employees; ``working_minutes(user, start, end)`` is the answer."""

    portal: Portal
    user_zones: dict[int, str | None]
    calendar_start: dt.date
    calendar_end: dt.date
    production_days: dict[tuple[str, dt.date], ProductionDay] = field(default_factory=dict)
    schedules: dict[int, list[Schedule]] = field(default_factory=dict)
    absences: dict[int, list[tuple[dt.datetime, dt.datetime]]] = field(default_factory=dict)
    default_country: str = "RU"
    _sums: dict[tuple[int, dt.date], list[int]] = field(default_factory=dict, repr=False)
    _windows: dict[tuple[int, dt.date], Window | None] = field(default_factory=dict, repr=False)
    _near: dict[tuple[int, dt.date], list[Window]] = field(default_factory=dict, repr=False)

    # --- the rule -------------------------------------------------------------------------------
    def window(self, user_id: int, day: dt.date) -> Window | None:
        """The working window of local date ``day``, or None on a day off (cached)."""
        key = (user_id, day)
        if key not in self._windows:
            self._windows[key] = self._window(user_id, day)
        return self._windows[key]

    def _window(self, user_id: int, day: dt.date) -> Window | None:
        if not self.calendar_start <= day <= self.calendar_end:
            return None
        schedule = next(
            (
                s
                for s in sorted(self.schedules.get(user_id, []), key=_start_key, reverse=True)
                if s.covers(day)
            ),
            Schedule(),
        )
        zone = ZoneInfo(schedule.time_zone or self.user_zones[user_id] or self.portal.time_zone)
        start = self.portal.work_time_start if schedule.work_time_start is None else schedule.work_time_start
        end = self.portal.work_time_end if schedule.work_time_end is None else schedule.work_time_end
        code = WEEKDAY_CODES[day.weekday()]
        weekly = code in schedule.work_days if schedule.work_days else code not in self.portal.week_holidays
        short = 0
        if not schedule.observe_holidays:
            working = weekly
        else:
            exception = self.production_days.get((schedule.country or self.default_country, day))
            day_month = (day.day, day.month)
            if exception is not None:
                working = exception.day_type != "holiday"
                short = exception.short_minutes if exception.day_type == "short_day" else 0
            elif day_month in self.portal.year_workdays and day_month not in self.portal.year_holidays:
                working = True
            elif day_month in self.portal.year_holidays:
                working = False
            else:
                working = weekly
        if not working:
            return None
        begin = dt.datetime.combine(day, start)
        finish = dt.datetime.combine(day + dt.timedelta(days=1) if end <= start else day, end)
        return Window(zone, begin, finish - dt.timedelta(minutes=short))

    def is_working(self, user_id: int, instant: dt.datetime) -> bool:
        """Whether ``instant`` (aware) is working time of the user."""
        in_window = False
        for window in self._windows_near(user_id, instant.astimezone(dt.UTC).date()):
            wall = instant.astimezone(window.zone).replace(tzinfo=None)
            in_window = in_window or window.start <= wall < window.end
        return in_window and not any(a <= instant < b for a, b in self.absences.get(user_id, []))

    def _windows_near(self, user_id: int, utc_day: dt.date) -> list[Window]:
        """Windows of the local dates an instant of this UTC day can belong to (zones are within ±14 h;
        a night shift reaches into the next local date)."""
        key = (user_id, utc_day)
        if key not in self._near:
            days = (utc_day + dt.timedelta(days=offset) for offset in (-2, -1, 0, 1))
            self._near[key] = [w for w in (self.window(user_id, day) for day in days) if w is not None]
        return self._near[key]

    # --- counting -------------------------------------------------------------------------------
    def working_seconds(self, user_id: int, start: dt.datetime, end: dt.datetime) -> int:
        """Working seconds in [start, end) (whole-second instants); 0 when end is before start."""
        if end <= start:
            return 0
        start_day, end_day = start.astimezone(dt.UTC).date(), end.astimezone(dt.UTC).date()
        whole_days = sum(
            self._minute_sums(user_id, start_day + dt.timedelta(days=i))[-1]
            for i in range((end_day - start_day).days)
        )
        return whole_days + self._since_midnight(user_id, end) - self._since_midnight(user_id, start)

    def working_minutes(self, user_id: int, start: dt.datetime, end: dt.datetime) -> Fraction:
        """Working minutes in [start, end), exact (seconds / 60); 0 when end is before start."""
        return Fraction(self.working_seconds(user_id, start, end), 60)

    def working_seconds_until(self, user_id: int, instant: dt.datetime) -> int:
        """W(user, t): working seconds from the start of the calendar to ``instant``."""
        origin = dt.datetime.combine(self.calendar_start - dt.timedelta(days=1), dt.time(), dt.UTC)
        return self.working_seconds(user_id, origin, instant)

    def _since_midnight(self, user_id: int, instant: dt.datetime) -> int:
        """Working seconds from 00:00 UTC of the instant's day to the instant."""
        if instant.microsecond:
            raise ValueError("the oracle counts whole seconds")
        utc = instant.astimezone(dt.UTC)
        midnight = utc.replace(hour=0, minute=0, second=0)
        minutes, seconds = divmod(int((utc - midnight).total_seconds()), 60)
        minute_start = midnight + minutes * MINUTE
        partial = sum(self.is_working(user_id, minute_start + k * SECOND) for k in range(seconds))
        return self._minute_sums(user_id, utc.date())[minutes] + partial

    def _minute_sums(self, user_id: int, utc_day: dt.date) -> list[int]:
        """sums[i] = working seconds in the first i minutes of the UTC day (cached per user and day)."""
        key = (user_id, utc_day)
        if key not in self._sums:
            edges = sorted({t for pair in self.absences.get(user_id, []) for t in pair if t.second})
            midnight = dt.datetime.combine(utc_day, dt.time(), dt.UTC)
            sums = [0]
            for i in range(1440):
                minute_start = midnight + i * MINUTE
                k = bisect_right(edges, minute_start)
                if k < len(edges) and edges[k] < minute_start + MINUTE:
                    seconds = sum(self.is_working(user_id, minute_start + j * SECOND) for j in range(60))
                else:
                    seconds = 60 * self.is_working(user_id, minute_start)
                sums.append(sums[-1] + seconds)
            self._sums[key] = sums
        return self._sums[key]


def _start_key(schedule: Schedule) -> dt.date:
    return schedule.valid_from or dt.date.min
