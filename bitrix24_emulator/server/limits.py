"""The portal's two limits and the simulated execution cost that drives the second one.

Facts: docs/bitrix24-api.md § Limits.

* **Leaky bucket** per client address: every REST request adds 1, the level drains by ``drain`` per
  second, a request that would lift it above ``burst`` is refused with 503 ``QUERY_LIMIT_EXCEEDED``
  (a refused request adds nothing). A batch is one request.
* **Operating budget** per (credential, method): execution seconds summed over ten one-minute buckets
  (a bucket opens at the first call of its minute). Checked *before* a call; the call that crosses the
  limit still completes, the next one gets 429 ``OPERATION_TIME_LIMIT`` until old buckets expire.

**Cost model** (seconds charged per call) — calibrated on the docs' measurement of a COUNT over
2,387,743 rows taking 49.9 s (≈ 2.1e-5 s/row) against 0.097 s with ``start=-1``:

    cost = base_cost + count_cost_per_row * rows_scanned   (start >= 0: the COUNT scans every candidate)
    cost = base_cost + scan_cost_per_row  * rows_scanned   (start = -1: only the rows read for one page)

With the defaults an offset page over 10^6 deals costs ~20 s, so 24 such pages exhaust 480 s, while a
keyset page costs ~5 ms. A call whose cost exceeds ``request_cap`` (60 s) is cut off.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, replace

from bitrix24_emulator.server.clock import Clock

WINDOW_BUCKETS = 10
BUCKET_SECONDS = 60.0


@dataclass(frozen=True)
class Limits:
    """Limit settings; ``None`` switches a limit off."""

    drain_per_s: float | None = 2.0
    burst: int = 50
    operating_limit_s: float | None = 480.0
    request_cap_s: float = 60.0
    base_cost_s: float = 0.005
    count_cost_per_row_s: float = 2.0e-5
    scan_cost_per_row_s: float = 1.0e-7
    latency_scale: float = 0.0  # real sleep per simulated second (0 = answer at once)
    batch_billing: str = "nested"  # "nested": each sub-call billed to its method; "batch": all to "batch"

    @classmethod
    def cloud(cls, plan: str = "standard") -> Limits:
        if plan == "enterprise":
            return cls(drain_per_s=5.0, burst=250)
        return cls()

    @classmethod
    def off(cls) -> Limits:
        """Fast mode: no rate limit, no operating budget, no simulated latency (costs are still counted)."""
        return cls(drain_per_s=None, operating_limit_s=None, latency_scale=0.0)

    def with_(self, **changes: object) -> Limits:
        return replace(self, **changes)  # type: ignore[arg-type]

    def describe(self) -> str:
        rate = "off" if self.drain_per_s is None else f"{self.drain_per_s:g} req/s burst {self.burst}"
        budget = "off" if self.operating_limit_s is None else f"{self.operating_limit_s:g} s per 10 min"
        return f"rate limit {rate}; operating budget {budget}; request cap {self.request_cap_s:g} s"

    def cost(self, scanned: int, counted: bool) -> float:
        per_row = self.count_cost_per_row_s if counted else self.scan_cost_per_row_s
        return self.base_cost_s + per_row * scanned


class LeakyBucket:
    def __init__(self, clock: Clock, drain_per_s: float, burst: int) -> None:
        self.clock, self.drain, self.burst = clock, drain_per_s, burst
        self._levels: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def admit(self, client: str) -> bool:
        now = self.clock.now()
        with self._lock:
            level, last = self._levels.get(client, (0.0, now))
            level = max(0.0, level - (now - last) * self.drain)
            if level + 1 > self.burst:
                self._levels[client] = (level, now)
                return False
            self._levels[client] = (level + 1, now)
            return True


class OperatingBudget:
    """Always keeps the accounts (they are reported in ``time.operating``); blocks only with a limit."""

    def __init__(self, clock: Clock, limit_s: float | None) -> None:
        self.clock, self.limit = clock, limit_s
        self._buckets: dict[tuple[str, str], deque[list[float]]] = {}
        self._lock = threading.Lock()

    def _live(self, key: tuple[str, str], now: float) -> deque[list[float]]:
        buckets = self._buckets.setdefault(key, deque())
        while buckets and buckets[0][0] <= now - WINDOW_BUCKETS * BUCKET_SECONDS:
            buckets.popleft()
        return buckets

    def status(self, credential: str, method: str) -> tuple[float, int | None]:
        """(seconds used in the window, unix time the oldest bucket expires)."""
        now = self.clock.now()
        with self._lock:
            buckets = self._live((credential, method), now)
            used = sum(b[1] for b in buckets)
            reset = int(buckets[0][0] + WINDOW_BUCKETS * BUCKET_SECONDS) if buckets else None
            return used, reset

    def blocked(self, credential: str, method: str) -> bool:
        return self.limit is not None and self.status(credential, method)[0] >= self.limit

    def charge(self, credential: str, method: str, seconds: float) -> None:
        now = self.clock.now()
        with self._lock:
            buckets = self._live((credential, method), now)
            if not buckets or now >= buckets[-1][0] + BUCKET_SECONDS:
                buckets.append([now, 0.0])
            buckets[-1][1] += seconds
