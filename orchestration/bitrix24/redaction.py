"""Keep webhook secrets and OAuth tokens out of log lines, exception messages and ``repr``.

Why here and not at each call site: the secret sits in the URL path of every webhook request, and ``requests``
/ ``urllib3`` embed that URL in their own exception messages and DEBUG/WARNING log lines (``Retrying (...)
after connection broken by ...: /rest/1/<secret>/crm.deal.list``). One function scrubs any text, and one
logging filter on urllib3's loggers scrubs what the libraries log themselves.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

MASK = "***"

# /rest/<uid>/<secret>/ and /rest/api/<uid>/<secret>/ (REST 3.0); the user id stays, it helps debugging.
_WEBHOOK_PATH = re.compile(r"(/rest/(?:api/)?[^/?#\s'\"]+/)[^/?#\s'\"]+(?=/)")
# auth=, access_token=, refresh_token=, client_secret= in query strings, form bodies, JSON and reprs.
_TOKEN_PARAM = re.compile(
    r"""(?i)(["']?\b(?:auth|access_token|refresh_token|client_secret)\b["']?\s*[=:]\s*["']?)[^&\s"',}]+"""
)

_URLLIB3_LOGGERS = (
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.util.retry",
    "urllib3.poolmanager",
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with webhook secrets, token parameters and any of the given literal ``secrets`` masked."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, MASK)
    text = _WEBHOOK_PATH.sub(rf"\1{MASK}", text)
    return _TOKEN_PARAM.sub(rf"\1{MASK}", text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message through :func:`redact` (formatting it first, so arguments are covered)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


_FILTER = RedactingFilter()


def install_library_log_redaction() -> None:
    """Attach the filter to urllib3's loggers (idempotent); a logger's filters see only its own records."""
    for name in _URLLIB3_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
