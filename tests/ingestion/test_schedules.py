"""The schedules ask for the right partition at the right portal-local time, and all start stopped."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg

from orchestration.defs.definitions import build_definitions
from orchestration.defs.partitions import portal_time_zone
from orchestration.settings import Settings


def _schedules(**settings: object) -> dict[str, dg.ScheduleDefinition]:
    defs = build_definitions(Settings(**settings))
    return {schedule.name: schedule for schedule in defs.schedules or []}


def _partition_at(schedule: dg.ScheduleDefinition, moment: datetime) -> str | None:
    request = schedule(dg.build_schedule_context(scheduled_execution_time=moment))
    assert isinstance(request, dg.RunRequest)
    return request.partition_key


def test_today_and_yesterday_in_the_portal_time_zone() -> None:
    schedules = _schedules()
    today, yesterday = schedules["portal_sync_today"], schedules["portal_sync_yesterday"]
    zone = ZoneInfo(portal_time_zone())
    # 00:15 in the portal is still the previous day in UTC: the partition follows the portal's calendar.
    just_after_midnight = datetime(2026, 11, 27, 0, 15, tzinfo=zone)
    assert _partition_at(today, just_after_midnight) == "2026-11-27"
    assert _partition_at(yesterday, datetime(2026, 11, 27, 0, 45, tzinfo=zone)) == "2026-11-26"


def test_off_unless_the_settings_turn_them_on() -> None:
    for schedules_on, status in (
        (False, dg.DefaultScheduleStatus.STOPPED),
        (True, dg.DefaultScheduleStatus.RUNNING),
    ):
        schedules = _schedules(schedules_on=schedules_on).values()
        assert {schedule.default_status for schedule in schedules} == {status}


def test_schedules_resolve_in_definitions() -> None:
    schedules = _schedules()
    assert {schedule.execution_timezone for schedule in schedules.values()} == {portal_time_zone()}
    defs = build_definitions()
    ingestion = defs.resolve_job_def("portal_sync")
    keys = {key.to_user_string() for key in ingestion.asset_layer.executable_asset_keys}
    # ingestion, then the marts in the same run
    assert {"raw/deals", "raw/calls", "raw/users", "raw/absences", "raw/timeline_comments"} <= keys
    assert {"staging/stg_bitrix24__deals", "marts/managerControl_Deal", "marts/calls"} <= keys
    assert "raw/deletions" not in keys
    sweep = defs.resolve_job_def("raw_deletions_sweep")
    assert {key.to_user_string() for key in sweep.asset_layer.executable_asset_keys} == {"raw/deletions"}
