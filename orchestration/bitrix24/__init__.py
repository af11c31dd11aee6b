"""Bitrix24 REST client: webhook/OAuth, paced and retried calls, keyset ``batch`` paging, typed errors, stats.

See ``docs/decisions.md`` ("REST client") for why this is a small client on ``requests`` and not the SDK.
"""

from orchestration.bitrix24.auth import OAuthTokens
from orchestration.bitrix24.batch import BatchResult
from orchestration.bitrix24.client import Bitrix24Client, CallResult, ClientSettings
from orchestration.bitrix24.errors import (
    Bitrix24AccessDeniedError,
    Bitrix24AuthError,
    Bitrix24Error,
    Bitrix24MethodNotFoundError,
    Bitrix24PortalDeletedError,
    Bitrix24ResponseError,
    Bitrix24ScopeError,
    Bitrix24UnreachableError,
)
from orchestration.bitrix24.keyset import KeysetProfile
from orchestration.bitrix24.redaction import redact
from orchestration.bitrix24.stats import ExtractStats

__all__ = [
    "BatchResult",
    "Bitrix24AccessDeniedError",
    "Bitrix24AuthError",
    "Bitrix24Client",
    "Bitrix24Error",
    "Bitrix24MethodNotFoundError",
    "Bitrix24PortalDeletedError",
    "Bitrix24ResponseError",
    "Bitrix24ScopeError",
    "Bitrix24UnreachableError",
    "CallResult",
    "ClientSettings",
    "ExtractStats",
    "KeysetProfile",
    "OAuthTokens",
    "redact",
]
