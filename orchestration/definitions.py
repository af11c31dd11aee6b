"""The one Dagster code location: every asset, resource, schedule and check of b24ops."""

from __future__ import annotations

import os

import dagster as dg

from orchestration.alerts.assets import alert_assets
from orchestration.alerts.schedules import operational_jobs, operational_schedules
from orchestration.alerts.settings import alerts_resource
from orchestration.assets.dbt import dbt_models, dbt_resource, dbt_windowed_marts
from orchestration.assets.raw_changes import change_assets
from orchestration.assets.raw_checks import raw_asset_checks
from orchestration.assets.raw_comments import timeline_comments
from orchestration.assets.raw_snapshots import snapshot_assets
from orchestration.assets.reconciliation import reconciliation_assets
from orchestration.assets.superset import superset_assets
from orchestration.resources import WEBHOOK_ENV, Bitrix24Resource, WarehouseResource, portal_id
from orchestration.schedules import jobs, schedules
from orchestration.sensors import alert_on_run_failure
from orchestration.superset.resources import superset_resource


def _from_env(name: str) -> str | dg.EnvVar:
    """A secret from the environment via ``dg.EnvVar`` (never stored in config), or '' when unset."""
    return dg.EnvVar(name) if os.environ.get(name) else ""


def build_resources() -> dict[str, object]:
    # Bitrix24: the webhook when B24_WEBHOOK_URL is set (it wins over OAuth), else the OAuth app's settings.
    credentials: dict[str, str | dg.EnvVar] = (
        {"webhook_url": dg.EnvVar(WEBHOOK_ENV)}
        if os.environ.get(WEBHOOK_ENV)
        else {
            "oauth_client_id": _from_env("B24_OAUTH_CLIENT_ID"),
            "oauth_client_secret": _from_env("B24_OAUTH_CLIENT_SECRET"),
            "oauth_refresh_token": _from_env("B24_OAUTH_REFRESH_TOKEN"),
            "client_endpoint": os.environ.get("B24_OAUTH_ENDPOINT", ""),
        }
    )
    if not os.environ.get(WEBHOOK_ENV) and os.environ.get("B24_OAUTH_TOKEN_URL"):
        credentials["oauth_token_url"] = os.environ["B24_OAUTH_TOKEN_URL"]
    return {
        "warehouse": WarehouseResource(url=_from_env("WAREHOUSE_URL")),
        "bitrix24": Bitrix24Resource(
            **credentials,
            portal_id=portal_id(),
            plan=os.environ.get("B24_PLAN", "standard"),
        ),
        "dbt": dbt_resource(),
        "superset": superset_resource(),
        "alerts": alerts_resource(),
    }


def build_definitions() -> dg.Definitions:
    """Everything, with resources read from the environment as it is now (tests build their own)."""
    return dg.Definitions(
        assets=[
            *snapshot_assets,
            *change_assets,
            timeline_comments,
            *reconciliation_assets,
            dbt_models,
            dbt_windowed_marts,
            *superset_assets,
            *alert_assets,
        ],
        asset_checks=raw_asset_checks,
        jobs=[*jobs, *operational_jobs],
        schedules=[*schedules, *operational_schedules],
        resources=build_resources(),
        sensors=[alert_on_run_failure],
    )


defs = build_definitions()
