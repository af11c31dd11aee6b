"""The operational cadence: during the working day, today's change window every 10 minutes, then its
staging, the windowed marts (deals, calls, SLA alerts) and the alert delivery — so an untouched deal is
seen, and its alert sent, at most about one interval after it falls due.

Why 10 and not 15: a change is in the marts when the first pass that *starts* after it ends, so the marts
lag the portal by up to one interval plus one run. The promise is 15 minutes; 10-minute ticks leave 5 for
the run (docs/benchmarks.md, "Freshness": the measured lag and run lengths).

Cost: a pass re-reads today's changes, a handful of requests (docs/benchmarks.md, "Freshness": the share
of the standard plan's request and operating budgets, measured against the emulator's cloud limits).

Overlaps: every run of a day's window carries Dagster's ``dagster/partition`` tag, and the run queue lets
one run per tag value through at a time (``tag_concurrency_limits`` in the instance's dagster.yaml,
orchestration/runtime/instance.py). A pass that starts while the previous one (or a ``portal_sync_today`` /
``portal_sync_yesterday`` run of the same day) is still running waits in the queue instead of running
beside it.
Outside working hours the 3-hourly ``portal_sync_today`` schedule is the cadence
(orchestration/defs/schedules.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg

from orchestration.defs.alerts.assets import morning_digests, sla_alert_deliveries
from orchestration.defs.ingestion.raw_changes import change_assets
from orchestration.defs.ingestion.raw_comments import timeline_comments
from orchestration.defs.partitions import portal_time_zone
from orchestration.defs.schedules import day_request, default_status

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

# every 10 minutes from 08:00 to 19:50, Monday to Friday (the portal's wall clock): the portal's working
# day with margin for employees whose hours start earlier or end later
OPERATIONAL_CRON = "*/10 8-19 * * 1-5"
WINDOW_TAG = "dagster/partition"  # set by Dagster on every run of one partition: the window's day


def build_operational(
    dbt_models: dg.AssetsDefinition, dbt_windowed_marts: dg.AssetsDefinition, *, schedules_on: bool
) -> tuple[list[UnresolvedAssetJobDefinition], list[dg.ScheduleDefinition]]:
    """The job ``operational_refresh`` and its schedule ``operational_today`` (RUNNING with
    ``schedules_on``, like the other schedules)."""
    changes = dg.AssetSelection.assets(*change_assets, timeline_comments)
    # the staging tables of those feeds (incremental on what ingestion observed): the windowed marts read
    # them, so without them a pass would rebuild the marts on the staging of the last 3-hourly run
    staging = changes.downstream(depth=1) & dg.AssetSelection.assets(dbt_models)
    operational_refresh_job = dg.define_asset_job(
        "operational_refresh",
        selection=changes
        | staging
        | dg.AssetSelection.assets(dbt_windowed_marts, sla_alert_deliveries, morning_digests),
        description="Today's changes, their staging, the windowed marts, the SLA alerts and the morning "
        "digests: the working-day cadence.",
    )

    @dg.schedule(
        name="operational_today",
        cron_schedule=OPERATIONAL_CRON,
        job=operational_refresh_job,
        execution_timezone=portal_time_zone(),
        default_status=default_status(schedules_on),
        description="Every 10 minutes in working hours: today's changes, the marts and the SLA alerts.",
    )
    def operational_today(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        return day_request(context, days_back=0)

    return [operational_refresh_job], [operational_today]
