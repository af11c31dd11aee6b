"""Credentials: an incoming webhook, or an OAuth app whose access token is renewed once on ``expired_token``.

Why refresh only on 401 ``expired_token`` and never on a timer: the docs warn that refreshing before each call
or on a schedule can get the app blocked (docs/bitrix24-api.md § Authentication). Every refresh returns a NEW
refresh token and invalidates the old one, so the rotated token is handed to ``on_rotate`` at once — losing it
means re-authorising the app by hand.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

from orchestration.bitrix24.errors import Bitrix24AuthError
from orchestration.bitrix24.redaction import redact

DEFAULT_TOKEN_URL = "https://oauth.bitrix.info/oauth/token/"

_WEBHOOK = re.compile(r"^(https?://[^/]+/rest/)(?P<uid>[^/]+)/(?P<secret>[^/]+)/?$")


class Auth(Protocol):
    """How a request is addressed and authenticated."""

    host: str

    def endpoint(self, method: str) -> str: ...

    def params(self) -> dict[str, Any]:
        """Parameters added to every call (the OAuth access token; nothing for a webhook)."""
        ...

    def secrets(self) -> tuple[str, ...]:
        """Literal values to mask in any text, on top of the URL patterns."""
        ...

    def can_refresh(self) -> bool: ...

    def refresh(self, session: requests.Session, timeout_s: float) -> None: ...


class WebhookAuth:
    """``https://<portal>/rest/<user id>/<secret>/``: the secret is in the URL path of every call."""

    def __init__(self, url: str) -> None:
        match = _WEBHOOK.match(url.strip())
        if match is None:
            host = urlsplit(url).netloc or "?"
            raise ValueError(
                f"not a Bitrix24 webhook URL for {host} (expected https://<portal>/rest/<user>/<secret>/)"
            )
        self._base = f"{match.group(1)}{match.group('uid')}/{match.group('secret')}/"
        self._secret = match.group("secret")
        self.host = urlsplit(url).netloc

    def endpoint(self, method: str) -> str:
        return self._base + method

    def params(self) -> dict[str, Any]:
        return {}

    def secrets(self) -> tuple[str, ...]:
        return (self._secret,)

    def can_refresh(self) -> bool:
        return False

    def refresh(self, session: requests.Session, timeout_s: float) -> None:
        raise Bitrix24AuthError("Bitrix24: the webhook was rejected as expired — create a new webhook")

    def __repr__(self) -> str:
        return f"WebhookAuth({redact(self._base)!r})"


@dataclass
class OAuthTokens:
    """The token pair of an installed app; ``client_endpoint`` is ``https://<portal>/rest/``."""

    client_endpoint: str
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: float | None = None


class OAuthAuth:
    """An OAuth app: the access token travels in the ``auth`` body parameter, not in the URL."""

    def __init__(
        self,
        tokens: OAuthTokens,
        client_id: str,
        client_secret: str,
        *,
        token_url: str = DEFAULT_TOKEN_URL,
        on_rotate: Callable[[OAuthTokens], None] | None = None,
    ) -> None:
        self.tokens, self._client_id, self._client_secret = tokens, client_id, client_secret
        self._token_url, self._on_rotate = token_url, on_rotate
        self._endpoint = tokens.client_endpoint.rstrip("/") + "/"
        self.host = urlsplit(self._endpoint).netloc

    def endpoint(self, method: str) -> str:
        return self._endpoint + method

    def params(self) -> dict[str, Any]:
        return {"auth": self.tokens.access_token}

    def secrets(self) -> tuple[str, ...]:
        return (self.tokens.access_token, self.tokens.refresh_token, self._client_secret)

    def can_refresh(self) -> bool:
        return True

    def refresh(self, session: requests.Session, timeout_s: float) -> None:
        """Exchange the refresh token for a new pair; any failure is a :class:`Bitrix24AuthError`."""
        query = {
            "grant_type": "refresh_token",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "refresh_token": self.tokens.refresh_token,
        }
        try:
            response = session.get(self._token_url, params=query, timeout=timeout_s, allow_redirects=False)
            body = response.json()
        except (requests.RequestException, ValueError) as exc:
            message = redact(f"Bitrix24 OAuth refresh failed: {type(exc).__name__}: {exc}", self.secrets())
            raise Bitrix24AuthError(message.splitlines()[0], code="refresh_failed") from None
        if not isinstance(body, dict) or "error" in body or not body.get("access_token"):
            code = str(body.get("error", "")) if isinstance(body, dict) else ""
            text = str(body.get("error_description", "")) if isinstance(body, dict) else ""
            message = redact(
                f"Bitrix24 OAuth refresh rejected: {code or response.status_code} {text}".strip()
            )
            raise Bitrix24AuthError(
                message + " — re-authorise the app", code=code, status=response.status_code
            )
        self.tokens = OAuthTokens(
            client_endpoint=str(body.get("client_endpoint") or self.tokens.client_endpoint),
            access_token=str(body["access_token"]),
            refresh_token=str(body.get("refresh_token") or self.tokens.refresh_token),
            expires_at=float(body["expires"]) if body.get("expires") else None,
        )
        self._endpoint = self.tokens.client_endpoint.rstrip("/") + "/"
        self.host = urlsplit(self._endpoint).netloc
        if self._on_rotate is not None:
            self._on_rotate(self.tokens)

    def __repr__(self) -> str:
        return f"OAuthAuth(endpoint={self._endpoint!r}, client_id={self._client_id!r})"
