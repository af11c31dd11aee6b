"""One logical REST call: pacing, sending, classifying the answer, retrying what is safe to retry.

Layering of retries, and why:
* ``urllib3.Retry`` on the session's adapter retries at the socket level (refused/reset connections, read
  timeouts) with its bounded exponential backoff; every REST method this client calls is a read, so POST is
  allowed to be retried there. Its history is counted into the stats on success.
* This module retries what urllib3 cannot see: answers. 5xx, a 200 whose body is not JSON (truncated, HTML),
  503 ``QUERY_LIMIT_EXCEEDED`` (refused before execution, always safe), 503 ``OVERLOAD_LIMIT``, 429
  ``OPERATION_TIME_LIMIT`` (wait until ``operating_reset_at``), 401 ``expired_token`` (refresh once), and
  socket errors that escaped urllib3 (e.g. a body cut mid-stream). Each family has its own bound; the backoff
  is deterministic (a single request stream per portal, so there is no herd to de-synchronise with jitter).
* Everything else is a typed, non-retried :class:`Bitrix24Error` with a one-line, secret-free message, raised
  ``from None`` so no chained library exception carries the webhook URL into a traceback.
"""

from __future__ import annotations

import json
import logging
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from orchestration.bitrix24.auth import Auth
from orchestration.bitrix24.errors import (
    Bitrix24AccessDeniedError,
    Bitrix24AuthError,
    Bitrix24Error,
    Bitrix24ResponseError,
    Bitrix24UnreachableError,
    Cause,
    fatal_error,
    retry_cause,
)
from orchestration.bitrix24.pacing import Clock, LeakyBucket, OperatingTracker, unix_seconds
from orchestration.bitrix24.redaction import install_library_log_redaction, redact
from orchestration.bitrix24.stats import ExtractStats

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    timeout_s: float = 30.0
    max_retries: int = 6  # answer-level transient failures (5xx, bad bodies, escaped socket errors)
    socket_retries: int = 3  # urllib3-level retries of one attempt
    # False for a call that must not run twice (sending a message): a read error, a 5xx or an unparsable
    # answer may come after the portal executed it, so it is not repeated. Refusals before execution (503
    # QUERY_LIMIT_EXCEEDED, 429, an expired token) are still waited out and repeated.
    repeat_unanswered: bool = True
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    max_rate_limit_retries: int = 40  # 503 QUERY_LIMIT_EXCEEDED: refused before execution, cheap to wait out
    # 429 OPERATION_TIME_LIMIT: the budget is 10 one-minute buckets, so it can take up to 10 minutes to drain
    # (docs/bitrix24-api.md, "Limits"). A backfill waits as long as the portal asks, up to this ceiling.
    max_operating_wait_s: float = 1800.0

    def backoff(self, attempt: int) -> float:
        return min(self.backoff_max_s, self.backoff_base_s * 2 ** max(0, attempt - 1))


def build_session(policy: RetryPolicy) -> requests.Session:
    install_library_log_redaction()
    retry = Retry(
        total=None,
        connect=policy.socket_retries,
        read=policy.socket_retries if policy.repeat_unanswered else 0,
        status=0,
        other=0,
        redirect=0,
        allowed_methods=None,
        backoff_factor=policy.backoff_base_s,
        backoff_max=policy.backoff_max_s,
        raise_on_status=False,
        raise_on_redirect=False,
        respect_retry_after_header=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_connections=2, pool_maxsize=4)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class Transport:
    """Sends calls for one credential; shares the rate bucket, operating accounts and stats of its client."""

    def __init__(
        self,
        auth: Auth,
        policy: RetryPolicy,
        clock: Clock,
        stats: ExtractStats,
        bucket: LeakyBucket | None,
        tracker: OperatingTracker,
        session: requests.Session | None = None,
    ) -> None:
        self.auth, self.policy, self.clock, self.stats = auth, policy, clock, stats
        self.bucket, self.tracker = bucket, tracker
        self.session = session or build_session(policy)

    def _scrub(self, text: str) -> str:
        return redact(text, self.auth.secrets())

    def _pause(self, seconds: float) -> None:
        self.clock.sleep(seconds)
        self.stats.backoff_wait_seconds += seconds

    def post(self, method: str, params: dict[str, Any], billed: list[str]) -> dict[str, Any]:
        """The success envelope of ``method``; ``billed`` are the methods whose operating budget it spends."""
        transient = rate_limited = 0
        blocked_since: float | None = None
        refreshed = False
        while True:
            self.stats.pacing_wait_seconds += self.tracker.wait_for(billed)
            if self.bucket is not None:
                self.stats.pacing_wait_seconds += self.bucket.acquire()
            body, status, cause, detail = self._attempt(method, params)
            if body is not None and cause is None:
                if blocked_since is not None:
                    self.stats.operating_resumed()
                return body
            assert cause is not None
            self.stats.retried(cause.value)
            log.warning("Bitrix24 %s: retrying after %s (%s)", method, cause.value, self._scrub(detail))
            if cause is Cause.TOKEN_EXPIRED:
                if refreshed or not self.auth.can_refresh():
                    raise Bitrix24AuthError(
                        f"Bitrix24 {method}: access token expired and was not renewed — re-authorise the app",
                        code="expired_token",
                        status=status,
                        method=method,
                    )
                self.auth.refresh(self.session, self.policy.timeout_s)
                refreshed = True
            elif cause is Cause.RATE_LIMIT:
                rate_limited += 1
                if rate_limited > self.policy.max_rate_limit_retries:
                    raise self._unreachable(method, f"still rate-limited after {rate_limited - 1} retries")
                if self.bucket is not None:
                    self.bucket.saturate()
                self._pause(self.policy.backoff(rate_limited) if rate_limited > 1 else 0.0)
            elif cause is Cause.OPERATING_LIMIT:
                now = self.clock.now()
                blocked_since = now if blocked_since is None else blocked_since
                if now - blocked_since > self.policy.max_operating_wait_s:
                    raise self._unreachable(
                        method,
                        f"operating-time budget still exhausted after waiting {now - blocked_since:.0f} s "
                        f"(ceiling {self.policy.max_operating_wait_s:.0f} s); another application may be "
                        "using this portal's budget — retry later",
                    )
                reset_at = _reset_at(body)
                for name in billed:
                    until = self.tracker.blocked_until(name, reset_at)
                    self.stats.operating_blocked(name, until)
                    log.warning(
                        "Bitrix24 %s: the portal's operating-time budget is spent; waiting %.0f s for it "
                        "(%.0f s so far)",
                        name,
                        max(0.0, until - now),
                        now - blocked_since,
                    )
            else:
                transient += 1
                if transient > self.policy.max_retries or not self.policy.repeat_unanswered:
                    if cause is Cause.TIMEOUT:
                        raise self._unreachable(method, detail + self._timeout_advice(transient))
                    if cause is Cause.CONNECTION:
                        raise self._unreachable(method, detail)
                    raise self._unusable(method, detail, transient)
                self._pause(self.policy.backoff(transient))

    def _unreachable(self, method: str, detail: str) -> Bitrix24UnreachableError:
        message = self._scrub(f"Bitrix24 portal {self.auth.host} unreachable for {method}: {detail}")
        return Bitrix24UnreachableError(message.splitlines()[0], method=method)

    def _unusable(self, method: str, detail: str, attempts: int) -> Bitrix24UnreachableError:
        """The portal answered, but its last answer was no usable REST answer (an HTML page, a cut-off body, a
        5xx); earlier attempts may have failed otherwise (timeouts), so only the last one is described."""
        tries = f"{attempts} attempts" if attempts > 1 else "1 attempt, not repeated"
        host = self.auth.host
        message = self._scrub(
            f"Bitrix24 portal {host} gave no usable answer to {method} ({tries}); the last: {detail}"
        )
        return Bitrix24UnreachableError(message.splitlines()[0], method=method)

    def _timeout_advice(self, attempts: int) -> str:
        """What to do when every try of a call timed out: the portal — or, for the local emulator, this
        machine — is too busy to answer in time (#19 point 11: a demo on a loaded machine)."""
        tries = attempts * (1 + (self.policy.socket_retries if self.policy.repeat_unanswered else 0))
        return (
            f" — no answer within {self.policy.timeout_s:g} s in {tries} tries; the portal (or, for the local"
            " emulator, this machine) is too busy: run it again when it is less loaded, or let each answer"
            f" take longer with B24_REQUEST_TIMEOUT (seconds; now {self.policy.timeout_s:g})"
        )

    def _attempt(
        self, method: str, params: dict[str, Any]
    ) -> tuple[dict[str, Any] | None, int | None, Cause | None, str]:
        """One HTTP exchange → (JSON body, status, retry cause or None, detail). Raises for fatal answers."""
        self.stats.request_sent(self.clock.now())
        payload = {**params, **self.auth.params()}
        try:
            response = self.session.post(
                self.auth.endpoint(method), json=payload, timeout=self.policy.timeout_s, allow_redirects=False
            )
        except requests.Timeout as exc:
            return None, None, Cause.TIMEOUT, f"{type(exc).__name__}: {exc}"
        except requests.RequestException as exc:
            # urllib3's own read retries end in a ConnectionError whose reason is the read timeout
            reason = network_reason(exc)
            return None, None, Cause.TIMEOUT if reason == "timed out" else Cause.CONNECTION, reason
        finally:
            self.stats.last_response_at = self.clock.now()
        self._count_socket_retries(response)
        status = response.status_code
        try:
            body = json.loads(response.content)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return self._non_json(method, status, response)
        code = str(body.get("error", "") or "")
        if status == 200 and not code and "result" in body:
            return body, status, None, ""
        if status == 200 and not code:
            keys = ", ".join(sorted(map(str, body))[:5]) or "none"
            raise Bitrix24ResponseError(
                f"Bitrix24 {method}: HTTP 200 but the answer has no 'result' (its keys: {keys}) — not a"
                " Bitrix24 REST answer; is something between b24ops and the portal (a proxy) answering?",
                status=status,
                method=method,
            )
        description = str(body.get("error_description", "") or "")
        cause = retry_cause(code, status)
        if cause is None:
            raise fatal_error(method, status, code, self._scrub(description)) from None
        return body, status, cause, f"HTTP {status} {code} {description}".strip()

    def _non_json(
        self, method: str, status: int, response: requests.Response
    ) -> tuple[None, int, Cause | None, str]:
        if 300 <= status < 400:
            target = urlsplit(response.headers.get("Location", "")).netloc or "elsewhere"
            raise Bitrix24ResponseError(
                f"Bitrix24 {method}: HTTP {status} — the portal moved to {target}; update the URL",
                status=status,
                method=method,
            ) from None
        if status == 401:
            raise fatal_error(method, status, "", "non-JSON 401 answer")
        if status == 403:
            raise Bitrix24AccessDeniedError(
                f"Bitrix24 {method}: HTTP 403 (non-JSON answer) — REST access is blocked",
                status=status,
                method=method,
            )
        if status in (404, 410):
            raise Bitrix24Error(
                f"Bitrix24 {method}: HTTP {status}, not JSON — is {self.auth.host} a Bitrix24 portal?",
                status=status,
                method=method,
            )
        cause = Cause.SERVER_ERROR if status >= 500 else Cause.BAD_BODY
        return None, status, cause, f"HTTP {status} and {describe_body(response.content)}"

    def _count_socket_retries(self, response: requests.Response) -> None:
        retries = getattr(response.raw, "retries", None)
        for event in getattr(retries, "history", ()) or ():
            error = getattr(event, "error", None)
            name = type(error).__name__.lower() if error is not None else ""
            self.stats.retried((Cause.TIMEOUT if "timeout" in name else Cause.CONNECTION).value)
            self.stats.http_requests += 1  # urllib3 sent it again: the portal's rate bucket counted both


def describe_body(content: bytes) -> str:
    """What a body that is not a JSON object is, in words (never its content: it may echo the request)."""
    head = content[:512].lstrip().lower()
    if not content.strip():
        return "an empty body"
    if head.startswith(b"<"):  # an error page, a login page, PHP's own warnings
        return f"an HTML page instead of JSON ({len(content):,} bytes)"
    text = content.decode("utf-8", "replace")
    if text.lstrip().startswith(("{", "[")):
        try:
            json.loads(text)
        except json.JSONDecodeError as error:
            # it read up to the end and wanted more (an open string is reported where it started)
            if error.msg.startswith("Unterminated string") or error.pos >= len(text.rstrip()) - 1:
                return f"a JSON body cut off after {len(content):,} bytes"
            return f"a malformed JSON body ({len(content):,} bytes)"
        return f"JSON that is not an object ({len(content):,} bytes)"
    return f"a body that is not JSON ({len(content):,} bytes)"


def _reset_at(body: dict[str, Any] | None) -> float | None:
    """``operating_reset_at`` of a 429 answer, from its ``time`` member or the top level, if present.

    The vendor's 429 carries no ``time`` member (docs/bitrix24-api.md, "Limits"): then the caller falls
    back on the reset instant of the method's last good answer.
    """
    if not body:
        return None
    block = body.get("time")
    raw = block.get("operating_reset_at") if isinstance(block, dict) else body.get("operating_reset_at")
    return unix_seconds(raw)


def network_reason(exc: BaseException) -> str:
    """The socket-level cause of a requests failure, e.g. ``connection refused``.

    requests wraps the OS error three layers deep, each layer repeating the URL (and so the webhook
    secret); an operator needs only the innermost reason.
    """
    pending: list[object] = [exc]
    seen: set[int] = set()
    while pending:
        current = pending.pop(0)
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror:
            return current.strerror.lower()
        if isinstance(current, socket.gaierror | TimeoutError):
            return str(current).lower()
        pending += [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]
    return type(exc).__name__
