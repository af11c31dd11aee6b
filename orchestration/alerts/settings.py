"""The alerts' switches, as the code location reads them from the environment (orchestration/definitions.py).

Thresholds are not here: N and M per department are the dbt seed ``sla_alert_settings`` (one source).
"""

from __future__ import annotations

import os
from typing import Literal

import dagster as dg

ALERTS_ENV = "B24_ALERTS"  # "on" sends; anything else records nothing and sends nothing
LANGUAGE_ENV = "B24_ALERTS_LANGUAGE"  # ru (default: a Russian portal) or en
CHAT_ENV = "B24_ALERTS_CHAT"  # optional: also post each alert to this chat (DIALOG_ID, e.g. chat42)
DASHBOARD_URL_ENV = "B24_DASHBOARD_URL"  # optional: the link at the end of the digest


class AlertsResource(dg.ConfigurableResource):
    """Whether alerts are sent, in which language, and where copies go. No secret: delivery uses the
    portal's own webhook (the ``bitrix24`` resource)."""

    enabled: bool = False
    language: Literal["ru", "en"] = "ru"
    chat_dialog_id: str = ""
    dashboard_url: str = ""


def alerts_resource() -> AlertsResource:
    language = os.environ.get(LANGUAGE_ENV, "ru").strip().lower()
    return AlertsResource(
        enabled=os.environ.get(ALERTS_ENV, "").strip().lower() == "on",
        language="en" if language == "en" else "ru",
        chat_dialog_id=os.environ.get(CHAT_ENV, "").strip(),
        dashboard_url=os.environ.get(DASHBOARD_URL_ENV, "").strip(),
    )
