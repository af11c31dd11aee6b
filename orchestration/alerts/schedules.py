"""The operational cadence: during the working day, today's change window every 15 minutes, then the
windowed marts (deals, calls, SLA alerts) and the alert delivery — so an untouched deal is seen, and its
alert sent, at most about one interval after it falls due.

Cost: a pass over one day's changes is a handful of requests (bench: one day of a 70-manager portal
≈ 10 requests), so 4 passes an hour stay far below the portal's request budget; the measurement against
cloud limits is not done yet (docs/operations.md, "Alerts").

Overlaps: every run of a day's window carries Dagster's ``dagster/partition`` tag, and the run queue lets
one run per tag value through at a time (``tag_concurrency_limits`` in the instance's dagster.yaml,
orchestration/instance.py). A pass that starts while the previous one (or a ``portal_sync_today`` /
``portal_sync_yesterday`` run of the same day) is still running waits in the queue instead of running
beside it.
Outside working hours the 3-hourly ``portal_sync_today`` schedule is the cadence (orchestration/schedules.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg

from orchestration.alerts.assets import morning_digests, sla_alert_deliveries
from orchestration.assets.partitions import portal_time_zone
from orchestration.assets.raw_changes import change_assets
from orchestration.assets.raw_comments import timeline_comments
from orchestration.schedules import day_request, default_status

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

# every 15 minutes from 08:00 to 19:45, Monday to Friday (the portal's wall clock): the portal's working
# day with margin for employees whose hours start earlier or end later
OPERATIONAL_CRON = "*/15 8-19 * * 1-5"
WINDOW_TAG = "dagster/partition"  # set by Dagster on every run of one partition: the window's day


def build_operational(
    dbt_windowed_marts: dg.AssetsDefinition, *, schedules_on: bool
) -> tuple[list[UnresolvedAssetJobDefinition], list[dg.ScheduleDefinition]]:
    """The job ``operational_refresh`` and its schedule ``operational_today`` (RUNNING with
    ``schedules_on``, like the other schedules)."""
    operational_refresh_job = dg.define_asset_job(
        "operational_refresh",
        selection=dg.AssetSelection.assets(
            *change_assets, timeline_comments, dbt_windowed_marts, sla_alert_deliveries, morning_digests
        ),
        description="Today's changes, the windowed marts, the SLA alerts and the morning digests: the "
        "working-day cadence.",
    )

    @dg.schedule(
        name="operational_today",
        cron_schedule=OPERATIONAL_CRON,
        job=operational_refresh_job,
        execution_timezone=portal_time_zone(),
        default_status=default_status(schedules_on),
        description="Every 15 minutes in working hours: today's changes, the marts and the SLA alerts.",
    )
    def operational_today(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        return day_request(context, days_back=0)

    return [operational_refresh_job], [operational_today]
