"""Daily partitions in the portal's time zone, and the change windows they stand for."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

PORTAL_TIME_ZONE_ENV = "B24_PORTAL_TIME_ZONE"
HISTORY_START_ENV = "B24_HISTORY_START"
DEFAULT_PORTAL_TIME_ZONE = "Europe/Moscow"
DEFAULT_HISTORY_START = "2025-01-01"


def portal_time_zone() -> str:
    return os.environ.get(PORTAL_TIME_ZONE_ENV, DEFAULT_PORTAL_TIME_ZONE)


# end_offset=1: today's partition exists, so the current day can be re-synced several times a day.
daily_partitions = dg.DailyPartitionsDefinition(
    start_date=os.environ.get(HISTORY_START_ENV, DEFAULT_HISTORY_START),
    timezone=portal_time_zone(),
    end_offset=1,
)


@dataclass(frozen=True)
class ChangeWindow:
    """``[start, end)`` in the portal's zone: the days ``first_day`` .. ``last_day`` inclusive."""

    first_day: date
    last_day: date
    time_zone: str

    @classmethod
    def from_partition_keys(cls, first_key: str, last_key: str, time_zone: str) -> ChangeWindow:
        return cls(date.fromisoformat(first_key), date.fromisoformat(last_key), time_zone)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(0), ZoneInfo(self.time_zone))

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last_day + timedelta(days=1), time(0), ZoneInfo(self.time_zone))

    def partition_of(self, stamp: str) -> str:
        """The day (partition key) of an ISO-8601 stamp with offset, in the portal's zone."""
        return datetime.fromisoformat(stamp).astimezone(ZoneInfo(self.time_zone)).date().isoformat()

    def describe(self) -> str:
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


def window_of(context: dg.AssetExecutionContext) -> ChangeWindow:
    """The window a (possibly multi-partition, single-run backfill) materialisation covers."""
    keys = context.partition_key_range
    return ChangeWindow.from_partition_keys(keys.start, keys.end, portal_time_zone())
