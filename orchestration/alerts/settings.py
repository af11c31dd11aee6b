"""The alerts' switches as a Dagster resource, from the settings (``B24_ALERTS*``, ``B24_DASHBOARD_URL``).

Thresholds are not here: N and M per department are the dbt seed ``sla_alert_settings`` (one source).
"""

from __future__ import annotations

from typing import Literal

import dagster as dg

from orchestration.settings import Settings


class AlertsResource(dg.ConfigurableResource):
    """Whether alerts are sent, in which language by default (a recipient's own or department's setting,
    marts.alert_recipients, wins), and where copies go. No secret: delivery uses the portal's own webhook
    (the ``bitrix24`` resource)."""

    enabled: bool = False
    language: Literal["ru", "en"] = "ru"
    chat_dialog_id: str = ""
    dashboard_url: str = ""


def alerts_resource(settings: Settings) -> AlertsResource:
    return AlertsResource(
        enabled=settings.alerts_on,
        language=settings.alert_texts_language,
        chat_dialog_id=settings.alerts_chat,
        dashboard_url=settings.dashboard_url,
    )
