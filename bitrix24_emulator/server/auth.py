"""Who is calling: incoming webhooks (``/rest/<uid>/<secret>/``) and OAuth access tokens (``auth=``).

The OAuth stub plays both the portal and ``oauth.bitrix.info``: ``/oauth/token/`` exchanges an
authorization code or a refresh token; every refresh returns a *new* refresh token and invalidates the
old one (docs/bitrix24-api.md § Authentication). Access-token lifetime is configurable so a test can
expire one with a manual clock.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from bitrix24_emulator.server.clock import Clock
from bitrix24_emulator.server.envelope import RestError

ALL_SCOPES = frozenset({"crm", "telephony", "user", "user_basic", "department", "calendar", "im", "basic"})


def method_scope(method: str) -> str:
    """The scope a method needs (``batch`` needs none beyond ``basic``)."""
    prefix = method.split(".", 1)[0]
    return {
        "crm": "crm",
        "voximplant": "telephony",
        "user": "user",
        "department": "department",
        "im": "im",
    }.get(prefix, "calendar" if prefix == "calendar" else "basic")


@dataclass(frozen=True)
class Credential:
    """An authenticated caller; ``key`` separates operating budgets (one per webhook or application)."""

    key: str
    user_id: int
    scopes: frozenset[str]
    denied_methods: frozenset[str] = frozenset()

    def allows(self, method: str) -> bool:
        needed = method_scope(method)
        if needed == "basic":
            return True
        if needed == "user":
            return bool({"user", "user_basic", "user_brief"} & self.scopes)
        return needed in self.scopes


@dataclass(frozen=True)
class Webhook:
    user_id: int = 1
    secret: str = field(default_factory=lambda: secrets.token_hex(8))
    scopes: frozenset[str] = ALL_SCOPES
    denied_methods: frozenset[str] = frozenset()  # methods answering 403 ACCESS_DENIED (missing right)
    active: bool = True  # False: the webhook's user is deactivated → 401 authorization_error
    # Any other refusal the portal gives a credential before running a method, as (status, code, text):
    # app confirmation pending/denied, unknown app, wrong auth type, extranet user … (docs/bitrix24-api.md
    # § Errors).
    refusal: tuple[int, str, str] | None = None

    def credential(self) -> Credential:
        return Credential(
            f"webhook:{self.user_id}:{self.secret}", self.user_id, self.scopes, self.denied_methods
        )


class OAuthError(Exception):
    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(code)
        self.status, self.code, self.description = status, code, description


@dataclass
class _Grant:
    user_id: int
    scopes: frozenset[str]
    expires: float


class OAuthServer:
    REFRESH_TTL_S = 180 * 86400

    def __init__(self, clock: Clock, access_ttl_s: float = 3600.0) -> None:
        self.clock = clock
        self.access_ttl_s = access_ttl_s
        self.client_id = "local.emulator"
        self.client_secret = secrets.token_hex(12)
        self._access: dict[str, _Grant] = {}
        self._refresh: dict[str, _Grant] = {}
        self._codes: dict[str, _Grant] = {}
        self._lock = threading.Lock()

    def authorization_code(self, user_id: int = 1, scopes: frozenset[str] = ALL_SCOPES) -> str:
        """A code as the portal would put in the redirect after ``/oauth/authorize/`` (valid 30 s)."""
        code = secrets.token_hex(16)
        with self._lock:
            self._codes[code] = _Grant(user_id, scopes, self.clock.now() + 30)
        return code

    def token(self, params: dict[str, Any], rest_url: str) -> dict[str, Any]:
        """The ``/oauth/token/`` answer for ``grant_type`` ``authorization_code`` or ``refresh_token``."""
        if params.get("client_id") != self.client_id or params.get("client_secret") != self.client_secret:
            raise OAuthError(401, "invalid_client", "Invalid client credentials")
        grant_type = params.get("grant_type")
        now = self.clock.now()
        with self._lock:
            if grant_type == "authorization_code":
                grant = self._codes.pop(str(params.get("code")), None)
            elif grant_type == "refresh_token":
                grant = self._refresh.pop(str(params.get("refresh_token")), None)
            else:
                raise OAuthError(400, "invalid_request", "Unsupported grant_type")
            if grant is None or grant.expires < now:
                raise OAuthError(400, "invalid_grant", "Invalid grant")
            access, refresh = secrets.token_hex(16), secrets.token_hex(16)
            self._access[access] = _Grant(grant.user_id, grant.scopes, now + self.access_ttl_s)
            self._refresh[refresh] = _Grant(grant.user_id, grant.scopes, now + self.REFRESH_TTL_S)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires": int(now + self.access_ttl_s),
            "expires_in": int(self.access_ttl_s),
            "scope": ",".join(sorted(grant.scopes)),
            "domain": rest_url.split("://", 1)[-1].split("/", 1)[0],
            "client_endpoint": rest_url,
            "server_endpoint": rest_url.rsplit("/rest/", 1)[0] + "/oauth/rest/",
            "member_id": "emulator",
            "status": "L",
            "user_id": grant.user_id,
        }

    def check(self, token: str) -> Credential:
        with self._lock:
            grant = self._access.get(token)
        if grant is None:
            raise RestError(401, "invalid_token", "Unable to get application by token")
        if grant.expires <= self.clock.now():
            raise RestError(401, "expired_token", "The access token provided has expired.")
        return Credential(f"app:{self.client_id}", grant.user_id, grant.scopes)
