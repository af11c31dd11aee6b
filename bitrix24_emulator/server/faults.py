"""Faults on demand: each REST request may be answered by a fault instead of the method.

Either scripted (``script={3: "http500"}`` = the 3rd REST request gets a 500) or random with a
per-request probability from a seeded RNG, so a failing run can be replayed.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

KINDS = (
    "http500",  # 500 INTERNAL_SERVER_ERROR JSON
    "reset",  # TCP connection reset without an answer
    "slow",  # the normal answer after ``slow_seconds``
    "truncated",  # a JSON body cut in the middle
    "invalid_json",  # 200 with a body that is not JSON
    "html",  # 500 with an HTML error page
    "overload",  # 503 OVERLOAD_LIMIT
    "query_limit",  # 503 QUERY_LIMIT_EXCEEDED
    "operation_limit",  # 429 OPERATION_TIME_LIMIT
)


@dataclass
class Faults:
    probability: float = 0.0
    kinds: tuple[str, ...] = KINDS
    seed: int = 0
    script: dict[int, str] = field(default_factory=dict)
    slow_seconds: float = 2.0

    def __post_init__(self) -> None:
        unknown = {*self.kinds, *self.script.values()} - set(KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def pick(self, request_number: int) -> str | None:
        """The fault for the n-th REST request (1-based), or ``None`` to serve it normally."""
        if request_number in self.script:
            return self.script[request_number]
        if self.probability <= 0:
            return None
        with self._lock:
            if self._rng.random() < self.probability:
                return self._rng.choice(self.kinds)
        return None
