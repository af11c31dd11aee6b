"""The portal's language, where the portal tells it: ``app.info`` ``LANGUAGE_ID`` (docs/bitrix24-api.md
§ app.info). Only an application gets it: an incoming webhook is answered ``ACCESS_DENIED`` "Application
context required", so a webhook installation is not asked (it would cost a request for a known refusal)."""

from __future__ import annotations

from orchestration.bitrix24.client import Bitrix24Client
from orchestration.bitrix24.errors import Bitrix24Error


def portal_language(client: Bitrix24Client) -> str | None:
    """``LANGUAGE_ID`` of ``app.info`` (``ru``, ``en``, ``de`` …), or None when the portal does not tell."""
    try:
        result = client.call("app.info").result
    except Bitrix24Error:
        return None  # a webhook (ACCESS_DENIED), or a portal that cannot answer now: no language known
    language = result.get("LANGUAGE_ID") if isinstance(result, dict) else None
    return language.lower() if isinstance(language, str) and language else None
