"""Client-side pacing: stay under the portal's two limits instead of bouncing off them.

Facts: docs/bitrix24-api.md § Limits.

* **Request rate** — the portal keeps a leaky bucket per portal and IP (burst 50, drain 2/s; Enterprise 250
  and 5/s) and refuses with 503 once it is full. :class:`LeakyBucket` mirrors it locally and waits before a
  request would overflow, keeping a few slots of head-room so that jitter between our send time and the
  portal's arrival time does not tip it over. After a 503 the local level is set to full: the portal has told
  us where it stands.
* **Operating time** — the portal sums the execution time of each method over a sliding 10 minutes and answers
  429 while the sum is above a budget the portal's configuration sets (480 s in the cloud docs, 420 s the
  vendor source's default); pacing at 0.8 × 480 s = 384 s stays under either. Every answer reports the
  running sum in ``time.operating`` and when the oldest minute expires in ``time.operating_reset_at``.
  :class:`OperatingTracker` keeps the last report per method and, when the next call would take the sum past a
  safety fraction of the budget, waits for the reset.

Both take a :class:`Clock` so tests drive them with a fake clock and never sleep for real.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

PLANS: dict[str, tuple[float, int] | None] = {
    "standard": (2.0, 50),
    "enterprise": (5.0, 250),
    "unlimited": None,  # self-hosted portals without limits, or the emulator in fast mode
}


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (the portal's ``operating_reset_at`` is a unix timestamp)."""
        ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class LeakyBucket:
    """The portal's request bucket, simulated locally: ``acquire()`` waits until one more request fits."""

    def __init__(self, clock: Clock, drain_per_s: float, burst: int, headroom: int = 3) -> None:
        if burst - headroom < 1:
            raise ValueError("burst must exceed the head-room")
        self.clock, self.drain, self.capacity = clock, drain_per_s, burst - headroom
        self._level, self._at = 0.0, clock.now()

    def _drained(self, now: float) -> float:
        return max(0.0, self._level - (now - self._at) * self.drain)

    def acquire(self) -> float:
        """Account for one request about to be sent; returns the seconds waited for room."""
        now = self.clock.now()
        level = self._drained(now)
        wait = max(0.0, (level + 1 - self.capacity) / self.drain)
        if wait > 0:
            self.clock.sleep(wait)
            now = self.clock.now()
            level = self._drained(now)
        self._level, self._at = level + 1, now
        return wait

    def saturate(self) -> None:
        """The portal answered 503: treat our bucket as full so the next request waits one drain interval."""
        self._level, self._at = float(self.capacity), self.clock.now()


@dataclass
class _MethodBudget:
    used_s: float = 0.0  # the portal's last reported sum for the method in its 10-minute window
    reset_at: float | None = None  # when the oldest one-minute bucket of that window expires
    last_cost_s: float = 0.0  # growth of the sum on the last call: the estimate for the next one


class OperatingTracker:
    """Per-method accounts of ``time.operating``; waits before a call would exhaust the budget."""

    def __init__(self, clock: Clock, budget_s: float = 480.0, safety: float = 0.8) -> None:
        self.clock, self.threshold = clock, budget_s * safety
        self._methods: dict[str, _MethodBudget] = {}

    def observe(self, method: str, time_block: object) -> float:
        """Record an answer's ``time`` member; returns the seconds this call added to the method's sum."""
        if not isinstance(time_block, dict) or "operating" not in time_block:
            return 0.0
        try:
            used = float(time_block["operating"])
        except (TypeError, ValueError):
            return 0.0
        reset_at = unix_seconds(time_block.get("operating_reset_at"))
        account = self._methods.setdefault(method.lower(), _MethodBudget())
        added = max(0.0, used - account.used_s)
        if added > 0:
            account.last_cost_s = added
        account.used_s, account.reset_at = used, reset_at
        return added

    def blocked_until(self, method: str, reset_at: float | None) -> float:
        """The portal answered 429 for the method: it is at the budget until the returned instant.

        Without ``reset_at`` in the answer, the reset the method's last good answer reported is used while
        it is still ahead; else one minute (the age of a budget bucket).
        """
        account = self._methods.setdefault(method.lower(), _MethodBudget())
        account.used_s = max(account.used_s, self.threshold)
        now = self.clock.now()
        if reset_at is None:
            known = account.reset_at
            reset_at = known if known is not None and known > now else now + 60.0
        account.reset_at = reset_at
        return reset_at

    def wait_for(self, methods: list[str]) -> float:
        """Before calling ``methods``: wait while any would cross the safety threshold; seconds waited."""
        waited = 0.0
        for method in methods:
            account = self._methods.get(method.lower())
            if account is None or account.used_s + account.last_cost_s < self.threshold:
                continue
            reset_at = account.reset_at if account.reset_at is not None else self.clock.now() + 60.0
            pause = min(max(0.0, reset_at - self.clock.now()) + 1.0, 610.0)
            self.clock.sleep(pause)
            waited += pause
            # The oldest minute has expired; the real sum is unknown until the next answer reports it.
            account.used_s, account.reset_at = 0.0, None
        return waited

    def used(self) -> dict[str, float]:
        return {method: account.used_s for method, account in self._methods.items()}


def unix_seconds(raw: object) -> float | None:
    """``operating_reset_at`` as unix seconds: a number, or an ISO-8601 string as some answers send it."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw)
    text = str(raw).strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.timestamp() if parsed.tzinfo is not None else None
