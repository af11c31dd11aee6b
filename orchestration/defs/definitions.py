"""The one Dagster code location: every asset, resource, schedule and check of b24ops.

Importing this module builds nothing. Dagster loads :func:`code_location` (``workspace.yaml``), which reads
the settings of the loading process once and builds everything from them; tests and the CLI call
:func:`build_definitions` with the settings they mean.
"""

from __future__ import annotations

import functools
from typing import Any

import dagster as dg

from orchestration.alerts.settings import alerts_resource
from orchestration.defs.alerts.assets import alert_assets
from orchestration.defs.alerts.schedules import build_operational
from orchestration.defs.dbt import build_dbt_assets, dbt_resource, prepared_project
from orchestration.defs.ingestion.raw_changes import change_assets
from orchestration.defs.ingestion.raw_checks import raw_asset_checks
from orchestration.defs.ingestion.raw_comments import timeline_comments
from orchestration.defs.ingestion.raw_snapshots import snapshot_assets
from orchestration.defs.ingestion.reconciliation import reconciliation_assets
from orchestration.defs.resources import WarehouseResource, bitrix24_resource, superset_resource
from orchestration.defs.schedules import build_schedules, portal_sync_job, raw_deletions_job
from orchestration.defs.sensors import build_alert_sensor
from orchestration.defs.superset import build_superset_assets
from orchestration.settings import Settings, load_settings


def build_resources(settings: Settings | None = None) -> dict[str, object]:
    """The resources as ``settings`` (default: the environment now) configure them; secrets by name."""
    settings = settings or load_settings()
    return {
        "warehouse": WarehouseResource(
            url=settings.dagster_config("warehouse_url"),
            quarantine_max_share=settings.quarantine_max_share,
            dbt_threads=settings.dbt_threads,
        ),
        "bitrix24": bitrix24_resource(settings),
        "dbt": dbt_resource(),
        "superset": superset_resource(settings),
        "alerts": alerts_resource(settings),
    }


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    """Everything, configured by ``settings`` (default: the environment now)."""
    settings = settings or load_settings()
    project = prepared_project()
    dbt_assets = build_dbt_assets(project, settings.sales_department_ids)
    dbt_models, dbt_windowed_marts = dbt_assets
    portal_sync = portal_sync_job(dbt_assets)
    operational_jobs, operational_schedules = build_operational(
        dbt_models, dbt_windowed_marts, schedules_on=settings.schedules_on
    )
    return dg.Definitions(
        assets=[
            *snapshot_assets,
            *change_assets,
            timeline_comments,
            *reconciliation_assets,
            *dbt_assets,
            *build_superset_assets(project),
            *alert_assets,
        ],
        asset_checks=raw_asset_checks,
        jobs=[portal_sync, raw_deletions_job, *operational_jobs],
        schedules=[
            *build_schedules(portal_sync, schedules_on=settings.schedules_on),
            *operational_schedules,
        ],
        resources=build_resources(settings),
        sensors=[build_alert_sensor(settings.alert_webhook_url)],
    )


@dg.definitions
def code_location() -> dg.Definitions:
    """What Dagster loads: built when Dagster loads the code location, from that process's settings."""
    return build_definitions(load_settings())


@functools.cache
def _defs() -> dg.Definitions:
    return build_definitions()


def __getattr__(name: str) -> Any:
    """``defs``: the definitions as the environment configures them, built on first access (PEP 562), for
    code that imports them by name; Dagster itself loads :func:`code_location`."""
    if name == "defs":
        return _defs()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
