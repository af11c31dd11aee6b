"""What an extract cost: the numbers a data engineer wants on a Dagster materialisation.

One :class:`ExtractStats` lives on a client and accumulates over its life; assets take ``as_metadata()``
(plain ints, floats, strings and dicts) so the metadata renders without Dagster types leaking into the client.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass
class ExtractStats:
    http_requests: int = 0  # every HTTP attempt we sent, retries included (what the rate limit counts)
    batches: int = 0  # successful ``batch`` calls
    rows: int = 0  # rows handed to the caller by the paging iterators
    operating_seconds_by_method: dict[str, float] = field(
        default_factory=dict
    )  # growth of ``time.operating``
    operating_peak_by_method: dict[str, float] = field(default_factory=dict)  # highest window sum reported
    retries_by_cause: Counter[str] = field(default_factory=Counter)
    pacing_wait_seconds: float = 0.0  # waited client-side for the rate bucket and the operating budget
    backoff_wait_seconds: float = 0.0  # waited after a failure before retrying
    first_request_at: float | None = None  # unix seconds
    # the portal's own clock when it began the first request it answered (``time.start``, unix seconds):
    # what its change stamps compare with; the machine's clock may differ (docs/bitrix24-api.md, time block)
    portal_started_at: float | None = None
    last_response_at: float | None = None
    # while the portal blocks a method for its operating-time limit: the method and until when (unix seconds)
    # the client waits — the sync's progress bar says so instead of looking stuck
    operating_wait: tuple[str, float] | None = None
    # the ``total`` the portal announced for each full list read (method → count): what the rows add up to
    listed_totals: dict[str, int] = field(default_factory=dict)

    def request_sent(self, now: float) -> None:
        self.http_requests += 1
        if self.first_request_at is None:
            self.first_request_at = now

    def answered(self, time_block: dict[str, object]) -> None:
        """An answer's ``time`` member: keep the portal's clock at the first request it answered."""
        start = time_block.get("start")
        if self.portal_started_at is None and isinstance(start, int | float) and not isinstance(start, bool):
            self.portal_started_at = float(start)

    def operating(self, method: str, added_s: float, window_sum_s: float | None) -> None:
        key = method.lower()
        self.operating_seconds_by_method[key] = self.operating_seconds_by_method.get(key, 0.0) + added_s
        if window_sum_s is not None:
            self.operating_peak_by_method[key] = max(
                self.operating_peak_by_method.get(key, 0.0), window_sum_s
            )

    def operating_blocked(self, method: str, until: float) -> None:
        self.operating_wait = (method, until)

    def operating_resumed(self) -> None:
        self.operating_wait = None

    def listed(self, method: str, total: int | None) -> None:
        """The portal said a full read of ``method`` holds ``total`` rows (``None``: it did not say)."""
        if total is not None:
            self.listed_totals[method.lower()] = total

    def retried(self, cause: str, count: int = 1) -> None:
        self.retries_by_cause[cause] += count

    def as_metadata(self) -> dict[str, object]:
        """Plain values for ``MaterializeResult(metadata=...)``."""

        def stamp(value: float | None) -> str:
            return "" if value is None else datetime.fromtimestamp(value, UTC).isoformat(timespec="seconds")

        elapsed = (
            (self.last_response_at - self.first_request_at)
            if self.first_request_at is not None and self.last_response_at is not None
            else 0.0
        )
        return {
            "rows": self.rows,
            "http_requests": self.http_requests,
            "rows_per_request": round(self.rows / self.http_requests, 1) if self.http_requests else 0.0,
            "batches": self.batches,
            "operating_seconds": round(sum(self.operating_seconds_by_method.values()), 3),
            "operating_seconds_by_method": {
                k: round(v, 3) for k, v in sorted(self.operating_seconds_by_method.items())
            },
            "operating_peak_by_method": {
                k: round(v, 3) for k, v in sorted(self.operating_peak_by_method.items())
            },
            "retries": sum(self.retries_by_cause.values()),
            "retries_by_cause": dict(sorted(self.retries_by_cause.items())),
            "pacing_wait_seconds": round(self.pacing_wait_seconds, 3),
            "backoff_wait_seconds": round(self.backoff_wait_seconds, 3),
            "started_at": stamp(self.first_request_at),
            "portal_started_at": stamp(self.portal_started_at),
            "finished_at": stamp(self.last_response_at),
            "elapsed_seconds": round(elapsed, 3),
        }
