"""When the portal sync (job ``portal_sync``: the portal's changes into raw, then the dbt models and marts)
runs by itself: the current day several times a day, yesterday once after midnight, and the deletion sweep
weekly. Every schedule starts STOPPED (``make demo`` must not reach out to a portal on its
own) unless the code location runs with ``B24_SCHEDULES=on``, which ``make up`` gives the Dagster processes it
starts. Dagster applies a default status only to a schedule nobody has toggled yet; a switch in the UI wins
afterwards.

Times are the portal's wall clock (``B24_PORTAL_TIME_ZONE``), like the partitions:
* ``portal_sync_today`` — every 3 hours at :15, the current day's partition: a day's changes are a few
  requests (bench: 1 day of a 70-manager portal ≈ 10 requests), so eight passes a day are cheap and keep
  the reports at most three hours behind.
* ``portal_sync_yesterday`` — 00:45, the previous day's partition once more: changes made in the last
  hours of the day (after the 21:15 pass) land in their day's partition, and the day is final from then on.
* ``raw_deletions_weekly`` — Sunday 04:30, the full ID sweep (~230 requests, about two minutes, on a
  70-manager year), when nobody is working in the portal.

The snapshot assets (users, departments, calendar, absences) ride along with the daily jobs: a handful of
requests, and a new manager or a changed schedule shows up the same day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

import dagster as dg

from orchestration.defs.ingestion.raw_changes import change_assets
from orchestration.defs.ingestion.raw_comments import timeline_comments
from orchestration.defs.ingestion.raw_snapshots import snapshot_assets
from orchestration.defs.ingestion.reconciliation import reconciliation_assets
from orchestration.defs.partitions import daily_partitions, portal_time_zone

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

TODAY_CRON = "15 */3 * * *"
YESTERDAY_CRON = "45 0 * * *"
WEEKLY_SWEEP_CRON = "30 4 * * 0"


def portal_sync_job(dbt_assets: Sequence[dg.AssetsDefinition]) -> UnresolvedAssetJobDefinition:
    """Ingestion and the marts built on it in one run: the heads of sales see the new day's numbers as soon
    as it lands, and a failed export never feeds a half-updated mart."""
    return dg.define_asset_job(
        "portal_sync",
        selection=dg.AssetSelection.assets(*snapshot_assets, *change_assets, timeline_comments, *dbt_assets),
        partitions_def=daily_partitions,
        description=(
            "Reference snapshots, one day (or a range) of changes from the portal, then the dbt models."
        ),
    )


raw_deletions_job = dg.define_asset_job(
    "raw_deletions_sweep",
    selection=dg.AssetSelection.assets(*reconciliation_assets),
    description="Full ID sweep of deals, leads and activities; marks records deleted in the portal.",
)


def default_status(schedules_on: bool) -> dg.DefaultScheduleStatus:
    """RUNNING with ``B24_SCHEDULES=on`` (``make up``), STOPPED otherwise."""
    return dg.DefaultScheduleStatus.RUNNING if schedules_on else dg.DefaultScheduleStatus.STOPPED


def day_request(context: dg.ScheduleEvaluationContext, days_back: int) -> dg.RunRequest:
    day = (context.scheduled_execution_time - timedelta(days=days_back)).date().isoformat()
    return dg.RunRequest(run_key=f"{day}@{context.scheduled_execution_time.isoformat()}", partition_key=day)


def build_schedules(
    portal_sync: UnresolvedAssetJobDefinition, *, schedules_on: bool
) -> list[dg.ScheduleDefinition]:
    """The three schedules; they start RUNNING only with ``schedules_on`` (``B24_SCHEDULES=on``)."""
    status = default_status(schedules_on)

    @dg.schedule(
        name="portal_sync_today",
        cron_schedule=TODAY_CRON,
        job=portal_sync,
        execution_timezone=portal_time_zone(),
        default_status=status,
        description="The current day's changes, every three hours.",
    )
    def portal_sync_today(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        return day_request(context, days_back=0)

    @dg.schedule(
        name="portal_sync_yesterday",
        cron_schedule=YESTERDAY_CRON,
        job=portal_sync,
        execution_timezone=portal_time_zone(),
        default_status=status,
        description="The previous day's changes once more, after midnight: the day is final from then on.",
    )
    def portal_sync_yesterday(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        return day_request(context, days_back=1)

    raw_deletions_weekly = dg.ScheduleDefinition(
        name="raw_deletions_weekly",
        cron_schedule=WEEKLY_SWEEP_CRON,
        job=raw_deletions_job,
        execution_timezone=portal_time_zone(),
        default_status=status,
        description="The deletion sweep, weekly on Sunday night.",
    )

    return [portal_sync_today, portal_sync_yesterday, raw_deletions_weekly]
