"""Wire formatting of instants: ISO-8601 with the portal's offset, fast enough for millions of rows.

``datetime.fromtimestamp(ts, tz).isoformat()`` costs microseconds per call; at ~5·10^6 timestamps per
portal that dominates generation. Every real zone offset and transition instant is a multiple of 15
minutes, so one zone look-up per 15-minute bucket (cached) plus integer arithmetic gives the same text.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_BUCKET = 900
_TWO = tuple(f"{n:02d}" for n in range(60))


class PortalClock:
    """Formats unix seconds as the portal renders them (ISO with offset, display format, date-only)."""

    def __init__(self, time_zone: str) -> None:
        self.zone = ZoneInfo(time_zone)
        self._buckets: dict[int, tuple[str, int, str]] = {}

    def _bucket(self, ts: int) -> tuple[str, int, str]:
        key = ts // _BUCKET
        hit = self._buckets.get(key)
        if hit is None:
            local = datetime.fromtimestamp(key * _BUCKET, self.zone)
            offset = local.utcoffset() or timedelta(0)
            minutes = int(offset.total_seconds()) // 60
            sign = "+" if minutes >= 0 else "-"
            off = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
            sod = local.hour * 3600 + local.minute * 60
            hit = (local.strftime("%Y-%m-%dT"), sod, off)
            self._buckets[key] = hit
        return hit

    def iso(self, ts: int) -> str:
        """``2026-03-05T14:29:07+03:00``."""
        hit = self._buckets.get(ts // _BUCKET)
        day, sod, off = hit if hit is not None else self._bucket(ts)
        sod += ts % _BUCKET
        return f"{day}{_TWO[sod // 3600]}:{_TWO[sod // 60 % 60]}:{_TWO[sod % 60]}{off}"

    def display(self, ts: int) -> str:
        """Portal display format ``dd.mm.yyyy hh:mm:ss`` (user.get TIMESTAMP_X, absence chart)."""
        return datetime.fromtimestamp(ts, self.zone).strftime("%d.%m.%Y %H:%M:%S")

    def date_only(self, day: date) -> str:
        """A date-only field (CLOSEDATE, BEGINDATE) as REST renders it: midnight UTC shown in portal time."""
        utc_midnight = datetime.combine(day, time(0), UTC)
        local = utc_midnight.astimezone(self.zone)
        return local.isoformat()

    def local_date(self, ts: int) -> date:
        return datetime.fromtimestamp(ts, self.zone).date()

    def ts(self, day: date, minutes: int = 0, zone: ZoneInfo | None = None) -> int:
        """Unix seconds of ``day`` + ``minutes`` wall-clock minutes in ``zone`` (default: the portal's)."""
        wall = datetime.combine(day, time(0)) + timedelta(minutes=minutes)
        return int(wall.replace(tzinfo=zone or self.zone).timestamp())
