"""Daily partitions in the portal's time zone, and the change windows they stand for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from orchestration.settings import Settings, load_settings
from orchestration.warehouse.values import portal_datetime


def partitions_for(settings: Settings) -> dg.DailyPartitionsDefinition:
    """One partition per day of the portal's wall clock, from ``B24_HISTORY_START`` on.

    end_offset=1: today's partition exists, so the current day can be re-synced several times a day.
    """
    return dg.DailyPartitionsDefinition(
        start_date=settings.history_start, timezone=settings.portal_time_zone, end_offset=1
    )


# Read when this module is imported: the raw assets take their partitions in their decorators, at module
# level. The one setting read outside an edge; every other reader of the portal's time zone asks this object.
daily_partitions = partitions_for(load_settings())


def portal_time_zone() -> str:
    """The portal's IANA time zone (``B24_PORTAL_TIME_ZONE``): the partitions' zone, so both always agree."""
    return daily_partitions.timezone


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

    def partition_of(self, stamp: object) -> str:
        """The day (partition key) of a portal datetime (read by :func:`portal_datetime`), in its zone."""
        moment = portal_datetime(stamp, self.time_zone)
        return moment.astimezone(ZoneInfo(self.time_zone)).date().isoformat()

    def describe(self) -> str:
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


def window_of(context: dg.AssetExecutionContext) -> ChangeWindow:
    """The window a (possibly multi-partition, single-run backfill) materialisation covers."""
    keys = context.partition_key_range
    return ChangeWindow.from_partition_keys(keys.start, keys.end, portal_time_zone())
