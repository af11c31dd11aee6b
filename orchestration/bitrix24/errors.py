"""Typed errors of the Bitrix24 client and the classification of the portal's error answers.

Why typed: an extract that hits bad credentials, a missing scope or an unknown method must stop at once with a
one-line message a person can act on, while a rate-limit answer must be waited out. The portal spells codes in
mixed case (``expired_token`` next to ``QUERY_LIMIT_EXCEEDED``) and sends two unrelated meanings under HTTP
503, so classification goes by the lower-cased code first and by HTTP status only as a fallback
(docs/bitrix24-api.md § Errors).
"""

from __future__ import annotations

from enum import StrEnum


class Bitrix24Error(Exception):
    """Any failure of a Bitrix24 call. ``str()`` is one line and never contains a secret."""

    def __init__(self, message: str, *, code: str = "", status: int | None = None, method: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.method = method


class Bitrix24AuthError(Bitrix24Error):
    """Bad credentials: wrong or expired webhook secret, unknown or revoked OAuth token, failed refresh."""


class Bitrix24ScopeError(Bitrix24Error):
    """The webhook or app lacks the scope the method needs (``insufficient_scope``)."""


class Bitrix24MethodNotFoundError(Bitrix24Error):
    """The portal does not know the method (``ERROR_METHOD_NOT_FOUND``): a typo or a missing module."""


class Bitrix24AccessDeniedError(Bitrix24Error):
    """The credential's user may not do this (``ACCESS_DENIED`` and friends), or REST is off on the plan."""


class Bitrix24PortalDeletedError(Bitrix24Error):
    """The portal was closed or deleted (``PORTAL_DELETED``)."""


class Bitrix24UnreachableError(Bitrix24Error):
    """No usable answer after every retry: the host is down, unknown or keeps failing. Names the host."""


class Bitrix24ResponseError(Bitrix24Error):
    """The portal answered with an error this client does not retry (e.g. a CRM business error, HTTP 400)."""


class Cause(StrEnum):
    """Why a request was retried; the values are the keys of ``ExtractStats.retries_by_cause``."""

    RATE_LIMIT = "rate_limit_503"
    OVERLOAD = "overload_503"
    OPERATING_LIMIT = "operating_limit_429"
    SERVER_ERROR = "server_error_5xx"
    CONNECTION = "connection_error"
    TIMEOUT = "timeout"
    BAD_BODY = "unparsable_body"
    TOKEN_EXPIRED = "token_expired"
    BATCH_COMMAND = "batch_command_error"


_FATAL: dict[str, type[Bitrix24Error]] = {
    "no_auth_found": Bitrix24AuthError,
    "invalid_credentials": Bitrix24AuthError,
    "invalid_token": Bitrix24AuthError,
    "authorization_error": Bitrix24AuthError,
    "wrong_auth_type": Bitrix24AuthError,
    "invalid_grant": Bitrix24AuthError,
    "invalid_client": Bitrix24AuthError,
    "application_not_found": Bitrix24AuthError,
    "insufficient_scope": Bitrix24ScopeError,
    "invalid_scope": Bitrix24ScopeError,
    "error_method_not_found": Bitrix24MethodNotFoundError,
    "access_denied": Bitrix24AccessDeniedError,
    "user_access_error": Bitrix24AccessDeniedError,
    "allowed_only_intranet_user": Bitrix24AccessDeniedError,
    "payment_required": Bitrix24AccessDeniedError,
    "portal_deleted": Bitrix24PortalDeletedError,
}

_RETRIED: dict[str, Cause] = {
    "query_limit_exceeded": Cause.RATE_LIMIT,
    "overload_limit": Cause.OVERLOAD,
    "operation_time_limit": Cause.OPERATING_LIMIT,
    "expired_token": Cause.TOKEN_EXPIRED,
    "internal_server_error": Cause.SERVER_ERROR,
    "error_unexpected_answer": Cause.SERVER_ERROR,
}

_HINTS: dict[type[Bitrix24Error], str] = {
    Bitrix24AuthError: "check the webhook URL or the OAuth tokens",
    Bitrix24ScopeError: "add the scope to the webhook or app",
    Bitrix24MethodNotFoundError: "check the method name and the portal's modules",
    Bitrix24AccessDeniedError: "use an admin-owned webhook on a plan with REST",
    Bitrix24PortalDeletedError: "the portal no longer exists",
}


def retry_cause(code: str, status: int) -> Cause | None:
    """The retry cause of an error answer, or ``None`` when it must not be retried."""
    cause = _RETRIED.get(code.lower())
    if cause is not None:
        return cause
    if code.lower() in _FATAL:
        return None
    if status == 429:
        return Cause.OPERATING_LIMIT
    if status == 503:
        return Cause.RATE_LIMIT
    if status >= 500:
        return Cause.SERVER_ERROR
    return None


def fatal_error(method: str, status: int | None, code: str, description: str) -> Bitrix24Error:
    """The typed, one-line error for an answer that must not be retried."""
    kind = _FATAL.get(code.lower())
    if kind is None:
        kind = Bitrix24AuthError if status == 401 else Bitrix24ResponseError
    text = " ".join(description.split())[:200]
    label = code or f"HTTP {status}"
    hint = _HINTS.get(kind)
    message = f"Bitrix24 {method}: {label}" + (f" ({text})" if text else "") + (f" — {hint}" if hint else "")
    return kind(message, code=code, status=status, method=method)
