"""``Bitrix24Client``: the one object the assets use to read a portal.

It wires the pieces of this package together — credentials (:mod:`.auth`), pacing (:mod:`.pacing`), the
retrying transport (:mod:`.transport`), ``batch`` encoding (:mod:`.batch`) and the keyset recipe
(:mod:`.keyset`) — and keeps one :class:`~.stats.ExtractStats` for everything it did. One client = one request
stream: the portal's rate bucket is per portal and IP, so parallel streams only buy 503s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import requests

from orchestration.bitrix24.auth import DEFAULT_TOKEN_URL, Auth, OAuthAuth, OAuthTokens, WebhookAuth
from orchestration.bitrix24.batch import MAX_COMMANDS, BatchResult, command, parse_batch
from orchestration.bitrix24.errors import Bitrix24Error, Cause, fatal_error, retry_cause
from orchestration.bitrix24.keyset import KeysetPlan, id_order, iter_keyset, profile_for, rows_at
from orchestration.bitrix24.pacing import PLANS, Clock, LeakyBucket, OperatingTracker, SystemClock
from orchestration.bitrix24.redaction import redact
from orchestration.bitrix24.stats import ExtractStats
from orchestration.bitrix24.transport import RetryPolicy, Transport


@dataclass(frozen=True)
class ClientSettings:
    """Connection and pacing knobs. Give ``webhook_url`` or the OAuth fields; ``repr`` shows no secret."""

    webhook_url: str | None = field(default=None, repr=False)
    plan: str = "standard"  # "standard" (2 req/s, burst 50), "enterprise" (5/250), "unlimited" (no pacing)
    timeout_s: float = 30.0
    max_retries: int = 6
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    operating_budget_s: float = 480.0
    operating_safety: float = (
        0.8  # slow a method down once its 10-minute sum would pass this share of the budget
    )
    rate_headroom: int = 3  # bucket slots kept free for jitter between our clock and the portal's
    repeat_unanswered: bool = True  # False: never repeat a request the portal may have executed (sends)
    oauth_tokens: OAuthTokens | None = field(default=None, repr=False)
    oauth_client_id: str = ""
    oauth_client_secret: str = field(default="", repr=False)
    oauth_token_url: str = DEFAULT_TOKEN_URL
    on_token_rotate: Callable[[OAuthTokens], None] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.plan not in PLANS:
            raise ValueError(f"unknown plan {self.plan!r}; one of {sorted(PLANS)}")
        if (self.webhook_url is None) == (self.oauth_tokens is None):
            raise ValueError("give exactly one of webhook_url and oauth_tokens")

    def build_auth(self) -> Auth:
        if self.webhook_url is not None:
            return WebhookAuth(self.webhook_url)
        assert self.oauth_tokens is not None
        return OAuthAuth(
            self.oauth_tokens,
            self.oauth_client_id,
            self.oauth_client_secret,
            token_url=self.oauth_token_url,
            on_rotate=self.on_token_rotate,
        )

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            timeout_s=self.timeout_s,
            max_retries=self.max_retries,
            backoff_base_s=self.backoff_base_s,
            backoff_max_s=self.backoff_max_s,
            repeat_unanswered=self.repeat_unanswered,
        )

    def __repr__(self) -> str:
        target = (
            redact(self.webhook_url)
            if self.webhook_url
            else (self.oauth_tokens and self.oauth_tokens.client_endpoint)
        )
        return f"ClientSettings(portal={target!r}, plan={self.plan!r}, timeout_s={self.timeout_s})"


@dataclass(frozen=True)
class CallResult:
    result: Any
    total: int | None = None
    next: int | None = None
    time: dict[str, Any] = field(default_factory=dict)


class Bitrix24Client:
    def __init__(
        self, settings: ClientSettings, *, clock: Clock | None = None, session: requests.Session | None = None
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.stats = ExtractStats()
        self.auth = settings.build_auth()
        limits = PLANS[settings.plan]
        bucket = LeakyBucket(self.clock, limits[0], limits[1], settings.rate_headroom) if limits else None
        self.tracker = OperatingTracker(self.clock, settings.operating_budget_s, settings.operating_safety)
        self.transport = Transport(
            self.auth, settings.retry_policy(), self.clock, self.stats, bucket, self.tracker, session
        )

    def __repr__(self) -> str:
        return f"Bitrix24Client(host={self.auth.host!r}, plan={self.settings.plan!r})"

    def close(self) -> None:
        self.transport.session.close()

    def __enter__(self) -> Bitrix24Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- single calls --

    def _observe(self, method: str, time_block: Any) -> None:
        self.stats.answered(time_block)
        added = self.tracker.observe(method, time_block)
        window = time_block.get("operating") if isinstance(time_block, dict) else None
        self.stats.operating(method, added, float(window) if isinstance(window, int | float) else None)

    def call(self, method: str, params: dict[str, Any] | None = None) -> CallResult:
        """One REST method; retries per :mod:`.transport`, raises a typed :class:`Bitrix24Error` otherwise."""
        body = self.transport.post(method, dict(params or {}), [method])
        time_block = body.get("time") if isinstance(body.get("time"), dict) else {}
        self._observe(method, time_block)
        return CallResult(
            result=body.get("result"),
            total=_int_or_none(body.get("total")),
            next=_int_or_none(body.get("next")),
            time=time_block,
        )

    def batch(self, commands: dict[str, tuple[str, dict[str, Any]]], *, halt: bool = True) -> BatchResult:
        """Up to 50 read commands in one request; per-command errors come back in ``.errors``, not raised."""
        if len(commands) > MAX_COMMANDS:
            raise ValueError(f"a batch holds at most {MAX_COMMANDS} commands, got {len(commands)}")
        cmd = {key: command(method, params) for key, (method, params) in commands.items()}
        methods = sorted({method for method, _ in commands.values()})
        body = self.transport.post("batch", {"halt": 1 if halt else 0, "cmd": cmd}, ["batch", *methods])
        self.stats.batches += 1
        outer_time = body.get("time") if isinstance(body.get("time"), dict) else {}
        self._observe("batch", outer_time)
        parsed = parse_batch(body.get("result"))
        # Where the portal bills nested methods, each sub-result reports its method's running sum; where it
        # bills everything to ``batch`` the sub-results repeat the outer sum (docs/bitrix24-api.md § Limits)
        # and are skipped.
        for key, time_block in parsed.times.items():
            if key in commands and time_block.get("operating") != outer_time.get("operating"):
                self._observe(commands[key][0], time_block)
        return parsed

    # -- bulk reads --

    def iter_keyset(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        id_field: str | None = None,
        result_path: tuple[str, ...] | None = None,
        page_size: int = 50,
    ) -> Iterator[list[dict[str, Any]]]:
        """All rows matching ``params``, in ascending ID order, page by page (the recipe of :mod:`.keyset`).

        ``id_field``/``result_path`` default to the method's profile (``crm.item.list`` → ``id`` under
        ``items``, ``voximplant.statistic.get`` → ``FILTER``/``SORT``/``ORDER``). A ``>ID`` in the filter
        resumes after it.
        """
        plan = KeysetPlan(method, params, profile_for(method, id_field, result_path), page_size)

        def on_retry(code: str, attempt: int) -> None:
            self.stats.retried(Cause.BATCH_COMMAND.value)
            if retry_cause(code, 0) is Cause.OPERATING_LIMIT:
                self.tracker.blocked_until(method, None)
            else:
                self.clock.sleep(self.transport.policy.backoff(attempt))

        pages = iter_keyset(
            plan,
            lambda page_params: self.call(method, page_params).result,
            lambda commands: self.batch(commands, halt=True),
            on_retry,
        )
        for page in pages:
            self.stats.rows += len(page)
            yield page

    def iter_offset(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        id_field: str | None = "ID",
        result_path: tuple[str, ...] = (),
        page_size: int = 50,
        start: int = 0,
    ) -> Iterator[list[dict[str, Any]]]:
        """Offset paging for methods that cannot keyset (``user.get``, ``department.get``): small lists.

        Ordered by ``id_field`` unless the caller orders: the portal's default order shifts between pages.

        The first call (at offset ``start``: a caller that already holds the rows before it) gives
        ``total``; the remaining offsets go out in ``batch`` calls of up to 50 pages. Rows are de-duplicated
        by ``id_field`` because offset windows shift when the list changes between pages.
        """
        base = {k: v for k, v in (params or {}).items() if k.lower() != "start"}
        if id_field is not None and not any(k.lower() in {"order", "sort"} for k in base):
            base.update(id_order(profile_for(method, id_field, result_path)))
        first = self.call(method, {**base, "start": start})
        self.stats.listed(method, first.total)
        seen: set[Any] = set()

        def fresh(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            if id_field is None:
                return rows
            out = [row for row in rows if row.get(id_field) not in seen]
            seen.update(row.get(id_field) for row in out)
            return out

        page = fresh(rows_at(first.result, result_path))
        self.stats.rows += len(page)
        yield page
        if first.next is None or first.total is None:
            return
        pending = list(range(first.next, first.total, page_size))
        attempts = 0
        while pending:
            chunk, pending = pending[:MAX_COMMANDS], pending[MAX_COMMANDS:]
            result = self.batch(
                {f"o{offset}": (method, {**base, "start": offset}) for offset in chunk}, halt=False
            )
            failed: list[int] = []
            for offset in chunk:
                key = f"o{offset}"
                if key in result.errors or key not in result.results:
                    error = result.errors.get(key, {})
                    code = str(error.get("error", ""))
                    if key in result.errors and retry_cause(code, 0) is None:
                        raise fatal_error(method, None, code, str(error.get("error_description", "")))
                    failed.append(offset)
                    continue
                page = fresh(rows_at(result.results[key], result_path))
                self.stats.rows += len(page)
                yield page
            if failed:
                attempts += 1
                if attempts > self.transport.policy.max_retries:
                    raise Bitrix24Error(
                        f"Bitrix24 {method}: offsets {failed[:3]}… kept failing", method=method
                    )
                self.stats.retried(Cause.BATCH_COMMAND.value, len(failed))
                self.clock.sleep(self.transport.policy.backoff(attempts))
                pending = failed + pending


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None
