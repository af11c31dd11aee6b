"""The portal behind the transport: authentication, limits, method execution, envelopes and accounting.

Kept free of HTTP so that ``batch`` (server/batch.py, which builds on this module and not the other way
round) runs its sub-calls through exactly the same path as top-level calls (scope check, operating budget,
cost, counters).
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from bitrix24_emulator.model import PortalData
from bitrix24_emulator.server.auth import Credential, OAuthServer, Webhook
from bitrix24_emulator.server.clock import Clock, SystemClock
from bitrix24_emulator.server.counters import Counters
from bitrix24_emulator.server.envelope import RestError, not_found_method, time_block
from bitrix24_emulator.server.faults import Faults
from bitrix24_emulator.server.hostile import Hostile
from bitrix24_emulator.server.limits import LeakyBucket, Limits, OperatingBudget
from bitrix24_emulator.server.methods import (
    REGISTRY,
    Call,
    MethodOptions,
    Result,
    app,
    calendar,
    crm,
    im,
    telephony,
    users,
)
from bitrix24_emulator.server.params import Params
from bitrix24_emulator.server.tables import PortalState

# The method families: importing one registers its handlers in REGISTRY.
METHOD_FAMILIES = (app, calendar, crm, im, telephony, users)


class CutOff(RestError):
    """A call that would run past the request cap: the front end drops it with an HTML 504 page."""

    def __init__(self, cap: float) -> None:
        super().__init__(504, "GATEWAY_TIMEOUT", f"request cut off after {cap:g} s")


@dataclass
class ServerConfig:
    """Everything that shapes the emulated portal's protocol behaviour."""

    limits: Limits = field(default_factory=Limits)
    faults: Faults = field(default_factory=Faults)
    hostile: Hostile = field(default_factory=Hostile)  # answers a client must not trust (off by default)
    webhooks: tuple[Webhook, ...] = field(default_factory=lambda: (Webhook(),))
    oauth_access_ttl_s: float = 3600.0
    bad_secret_code: str = "NO_AUTH_FOUND"  # the PYSDK measured INVALID_CREDENTIALS; both answer 401
    insufficient_scope_status: int = 401  # docs say 403, the PYSDK measured 401
    # "deleted" → every REST call answers PORTAL_DELETED; "payment_required" → authenticated calls
    # answer 401 PAYMENT_REQUIRED (an expired app subscription / paid plan lapsed).
    portal_state: Literal["active", "deleted", "payment_required"] = "active"
    portal_deleted_status: int = 410  # the PYSDK's parse_response expects 410; the docs table says 500
    require_https: bool = False  # plain-HTTP REST calls answer 400 INVALID_REQUEST "Https required."
    methods: MethodOptions = field(default_factory=MethodOptions)
    # Every REST answer waits this long first, as on a machine too busy to answer quickly (the CLI's
    # --answer-delay): how the client's timeout and retries are tried against a slow portal.
    answer_delay_s: float = 0.0

    def __post_init__(self) -> None:
        if self.portal_state not in ("active", "deleted", "payment_required"):
            raise ValueError(f"unknown portal_state {self.portal_state!r}")


@dataclass
class Timed:
    result: Result
    time: dict[str, Any]
    cost: float


class Service:
    def __init__(self, portal: PortalData, config: ServerConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self.state = PortalState(portal)
        # The portal's own clock: it reads snapshot_at when the server starts and moves with the server's
        # clock. Live records are stamped by it and every answer's ``time`` block tells it, as a real
        # portal's answers tell its server's clock (docs/bitrix24-api.md, "time block"), whatever the
        # caller's clock says. The rate limit and operating budget keep the server's clock.
        self.portal_offset = datetime.fromisoformat(portal.snapshot_at).timestamp() - self.clock.now()
        self.registry = REGISTRY
        self.counters = Counters()
        limits = config.limits
        self.bucket = (
            LeakyBucket(self.clock, limits.drain_per_s, limits.burst)
            if limits.drain_per_s is not None
            else None
        )
        self.budget = OperatingBudget(self.clock, limits.operating_limit_s)
        self.oauth = OAuthServer(self.clock, config.oauth_access_ttl_s)
        self.webhooks = {(w.user_id, w.secret): w for w in config.webhooks}
        self._seeds = itertools.count(1)
        self._seed_lock = threading.Lock()

    # --- authentication and admission ------------------------------------------------------------
    def gate(self, secure: bool) -> None:
        """Portal-wide refusals before rate limiting and authentication (docs/bitrix24-api.md § Errors)."""
        if self.config.require_https and not secure:
            raise RestError(400, "INVALID_REQUEST", "Https required.")
        if self.config.portal_state == "deleted":
            raise RestError(self.config.portal_deleted_status, "PORTAL_DELETED", "Portal was deleted")

    def entitled(self) -> None:
        """After authentication: a lapsed subscription refuses every call of an otherwise valid caller."""
        if self.config.portal_state == "payment_required":
            raise RestError(401, "PAYMENT_REQUIRED", "Payment required")

    def webhook(self, user_id: str, secret: str) -> Credential:
        hook = self.webhooks.get((int(user_id), secret)) if user_id.isdigit() else None
        if hook is None:
            raise RestError(401, self.config.bad_secret_code, "Wrong authorization data")
        if not hook.active:
            raise RestError(401, "authorization_error", "Unable to authorize user")
        if hook.refusal is not None:
            raise RestError(*hook.refusal)
        return hook.credential()

    def token(self, token: str | None) -> Credential:
        if not token:
            raise RestError(401, "NO_AUTH_FOUND", "Wrong authorization data")
        return self.oauth.check(token)

    def admit(self, client: str) -> None:
        """Leaky bucket: refuse before any work is done (safe for the client to retry)."""
        if self.bucket is not None and not self.bucket.admit(client):
            raise RestError(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")

    # --- execution ---------------------------------------------------------------------------------
    def _seed(self) -> int:
        with self._seed_lock:
            return self.state.portal.seed * 7919 + next(self._seeds)

    def execute(
        self, method: str, raw: dict[str, Any], credential: Credential, bill_as: str | None = None
    ) -> Timed:
        """Run one (sub-)call: scope, budget check, the method under the portal lock, cost and accounting."""
        method = method.lower()
        handler = self.registry.get(method)
        if handler is None:
            raise not_found_method()
        if not credential.allows(method):
            raise RestError(
                self.config.insufficient_scope_status,
                "insufficient_scope",
                "The request requires higher privileges",
            )
        if method in credential.denied_methods:
            raise RestError(403, "ACCESS_DENIED", "Access denied!")
        billed = bill_as or method
        if self.budget.blocked(credential.key, billed):
            raise RestError(429, "OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit.")
        started = self.clock.now()
        params = Params(raw)
        self.config.hostile.refuse(method)
        with self.state.lock:
            result = handler(
                Call(method, params, self.state, credential, self._seed(), self.config.methods, started)
            )
        result = self.config.hostile.apply(method, max(0, params.start()), result)
        limits = self.config.limits
        cost = limits.cost(result.scanned, result.counted)
        if cost > limits.request_cap_s:
            self.budget.charge(credential.key, billed, limits.request_cap_s)
            self.counters.call(method, 0, limits.request_cap_s)
            raise CutOff(limits.request_cap_s)
        self.budget.charge(credential.key, billed, cost)
        self.counters.call(method, result.rows, cost)
        if limits.latency_scale > 0:
            self.clock.sleep(cost * limits.latency_scale)
        finished = max(self.clock.now(), started + cost)
        used, reset_at = self.budget.status(credential.key, billed)
        block = time_block(
            started + self.portal_offset, finished + self.portal_offset, cost, self.state.zone, used, reset_at
        )
        return Timed(result, block, cost)

    def portal_now(self) -> float:
        """The portal's clock now (unix seconds): see ``portal_offset``."""
        return self.clock.now() + self.portal_offset

    def respond(self, method: str, raw: dict[str, Any], credential: Credential) -> dict[str, Any]:
        """The success envelope of a top-level call (``batch`` is server/batch.py's, on top of this)."""
        timed = self.execute(method, raw, credential)
        return envelope(timed)


def envelope(timed: Timed) -> dict[str, Any]:
    body: dict[str, Any] = {"result": timed.result.result}
    if timed.result.next is not None:
        body["next"] = timed.result.next
    if timed.result.total is not None:
        body["total"] = timed.result.total
    body["time"] = timed.time
    return body
