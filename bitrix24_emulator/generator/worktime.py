"""Each employee's working windows as sorted unix intervals, used to place events at plausible moments.

This is the generator's own model of "when a manager works" (schedule in the manager's zone, portal
holidays, minus absences). It only shapes the data; it is NOT the product's working-minutes rule and
the truth export carries no working minutes (tests compute those with an independent oracle).
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, timedelta

from bitrix24_emulator.generator.clock import PortalClock
from bitrix24_emulator.generator.people import Person
from bitrix24_emulator.generator.work_calendar import PortalCalendar


class WorkWindows:
    """Sorted, disjoint ``[start, end)`` unix intervals of one employee."""

    __slots__ = ("starts", "ends")

    def __init__(self, intervals: list[tuple[int, int]]) -> None:
        self.starts = [s for s, _ in intervals]
        self.ends = [e for _, e in intervals]

    def place(self, ts: int) -> int:
        """The first working instant at or after ``ts`` (``ts`` itself past the last window)."""
        i = bisect_right(self.ends, ts)
        return ts if i == len(self.ends) else max(ts, self.starts[i])

    def after(self, ts: int, work_seconds: int) -> int:
        """The instant when ``work_seconds`` of working time have elapsed since ``ts``."""
        i = bisect_right(self.ends, ts)
        while i < len(self.ends):
            begin = max(ts, self.starts[i])
            room = self.ends[i] - begin
            if work_seconds <= room:
                return begin + work_seconds
            work_seconds -= room
            i += 1
        return ts + work_seconds

    def between(self, first: int, last: int) -> list[tuple[int, int]]:
        """The windows intersecting ``[first, last)``, clipped to it."""
        i = bisect_right(self.ends, first)
        out = []
        while i < len(self.ends) and self.starts[i] < last:
            out.append((max(first, self.starts[i]), min(last, self.ends[i])))
            i += 1
        return out


def _subtract(window: tuple[int, int], absences: list[tuple[int, int]]) -> list[tuple[int, int]]:
    pieces = [window]
    for a_from, a_to in absences:
        nxt = []
        for s, e in pieces:
            if a_to <= s or e <= a_from:
                nxt.append((s, e))
                continue
            if s < a_from:
                nxt.append((s, a_from))
            if a_to < e:
                nxt.append((a_to, e))
        pieces = nxt
    return pieces


def build_windows(
    person: Person, calendar: PortalCalendar, clock: PortalClock, portal_zone: str, first: date, last: date
) -> WorkWindows:
    """Working windows of ``person`` on local dates ``[first, last]`` while employed, minus absences."""
    assert person.schedule is not None
    zone = person.zone(portal_zone)
    intervals: list[tuple[int, int]] = []
    day = max(first, person.registered)
    end = min(last, person.fired - timedelta(days=1)) if person.fired else last
    while day <= end:
        window = person.schedule.window(day, calendar)
        if window is not None:
            span = (clock.ts(day, window[0], zone), clock.ts(day, window[1], zone))
            intervals.extend(_subtract(span, person.absences))
        day += timedelta(days=1)
    return WorkWindows(intervals)
