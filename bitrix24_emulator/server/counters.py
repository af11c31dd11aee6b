"""What the emulator did, for tests and benchmarks: requests, rows, operating seconds, errors, faults."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from typing import Any


class Counters:
    """Thread-safe tallies; ``snapshot()`` is also served as JSON at ``/_emulator/counters``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0  # HTTP requests to /rest/ (a batch is one)
        self.calls: Counter[str] = Counter()  # method executions, batch sub-calls included
        self.rows: Counter[str] = Counter()  # rows returned, by method
        self.operating: defaultdict[str, float] = defaultdict(float)  # simulated seconds charged, by method
        self.errors: Counter[str] = Counter()  # error codes answered (incl. inside batches)
        self.faults: Counter[str] = Counter()  # faults injected, by kind

    def request(self) -> int:
        with self._lock:
            self.requests += 1
            return self.requests

    def call(self, method: str, rows: int, seconds: float) -> None:
        with self._lock:
            self.calls[method] += 1
            self.rows[method] += rows
            self.operating[method] += seconds

    def error(self, code: str) -> None:
        with self._lock:
            self.errors[code or "(empty)"] += 1

    def fault(self, kind: str) -> None:
        with self._lock:
            self.faults[kind] += 1

    @property
    def rows_total(self) -> int:
        return sum(self.rows.values())

    @property
    def operating_total(self) -> float:
        return sum(self.operating.values())

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self.requests,
                "calls": dict(self.calls),
                "rows": dict(self.rows),
                "rows_total": sum(self.rows.values()),
                "operating": {k: round(v, 6) for k, v in self.operating.items()},
                "operating_total": round(sum(self.operating.values()), 6),
                "errors": dict(self.errors),
                "faults": dict(self.faults),
            }
