"""The language the product speaks: ``B24OPS_LANGUAGE``; unset, the portal's when the portal tells it (an
OAuth app asks ``app.info``; docs/bitrix24-api.md § app.info) and it is one we speak; else English."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orchestration.i18n import LANGUAGES, SOURCE_LANGUAGE

if TYPE_CHECKING:
    from orchestration.settings import Settings


def configured_language(config: Settings, *, ask_portal: bool = False) -> str:
    """``ask_portal``: one request to the portal (``b24ops up`` asks once and hands the answer to the
    processes it starts); a report never calls the portal, so it does not ask."""
    if config.language:
        return config.language
    if ask_portal and not config.webhook_url and config.oauth_client_id:  # a webhook is refused app.info
        language = _portal_language(config)
        if language in LANGUAGES:
            return language
    return SOURCE_LANGUAGE


def _portal_language(config: Settings) -> str | None:
    # Imported here: the Bitrix24 resource imports Dagster and requests, which the quick commands must not.
    from orchestration.bitrix24.errors import Bitrix24Error
    from orchestration.bitrix24.portal_language import portal_language
    from orchestration.defs.resources import bitrix24_resource

    try:
        client = bitrix24_resource(config, config.reveal).client()  # OAuth: no webhook here
    except (ValueError, Bitrix24Error):  # not fully configured, or refused: `b24ops check` says why
        return None
    return portal_language(client)
