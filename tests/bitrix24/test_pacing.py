"""Pacing with a fake clock: the local bucket keeps a portal-side bucket from ever refusing, and the operating
tracker waits for the reset before a method would be blocked."""

from __future__ import annotations

import random

from orchestration.bitrix24 import Bitrix24Client, ClientSettings
from orchestration.bitrix24.pacing import LeakyBucket, OperatingTracker
from tests.bitrix24.scripted_portal import FakeClock, Seen, error, ok, scripted_portal


class PortalBucket:
    """The portal's rule (docs/bitrix24-api.md § Limits): +1 per request, drains per second.

    A request that would lift the level above the burst is refused.
    """

    def __init__(self, drain: float, burst: int) -> None:
        self.drain, self.burst, self.level, self.at = drain, burst, 0.0, None

    def admit(self, now: float) -> bool:
        if self.at is not None:
            self.level = max(0.0, self.level - (now - self.at) * self.drain)
        self.at = now
        if self.level + 1 > self.burst:
            return False
        self.level += 1
        return True


def test_burst_then_steady_drain_rate() -> None:
    clock = FakeClock()
    bucket = LeakyBucket(clock, drain_per_s=2.0, burst=50, headroom=3)
    start = clock.now()
    waits = [bucket.acquire() for _ in range(147)]
    assert waits[:47] == [0.0] * 47
    assert clock.now() - start == 100 * 0.5  # after the burst, exactly 2 requests per second


def test_the_portal_never_refuses_a_paced_stream_with_jitter() -> None:
    rng = random.Random(7)
    for drain, burst in ((2.0, 50), (5.0, 250)):
        clock = FakeClock()
        bucket, portal = LeakyBucket(clock, drain, burst), PortalBucket(drain, burst)
        refused = 0
        for _ in range(3_000):
            bucket.acquire()
            # the request reaches the portal a little later than we sent it, by a varying delay
            refused += not portal.admit(clock.now() + rng.uniform(0.0, 0.8))
            clock.sleep(rng.choice([0.0, 0.0, 0.05, 0.3]))  # the caller's own processing between requests
        assert refused == 0


def test_saturate_makes_the_next_request_wait_one_drain_interval() -> None:
    clock = FakeClock()
    bucket = LeakyBucket(clock, drain_per_s=2.0, burst=50)
    bucket.acquire()
    bucket.saturate()
    assert bucket.acquire() == 0.5


def test_operating_tracker_waits_for_the_reset_before_the_budget_would_trip() -> None:
    clock = FakeClock()
    tracker = OperatingTracker(clock, budget_s=480.0, safety=0.8)
    reset_at = clock.now() + 120
    assert tracker.observe("crm.deal.list", {"operating": 300.0, "operating_reset_at": reset_at}) == 300.0
    assert tracker.observe("crm.deal.list", {"operating": 350.0, "operating_reset_at": reset_at}) == 50.0
    assert tracker.wait_for(["crm.deal.list", "user.get"]) == 121.0  # 350 + 50 expected > 384
    assert clock.now() == reset_at + 1
    assert tracker.wait_for(["crm.deal.list"]) == 0.0  # next answer will tell the new sum
    assert tracker.observe("user.get", {"operating": 1.0}) == 1.0
    assert tracker.observe("x", {"duration": 0.1}) == 0.0


def test_client_slows_a_method_down_instead_of_meeting_429() -> None:
    """A portal-side budget: 60 s per call, 480 s per window; answers 429 if asked while at the limit."""
    clock = FakeClock()
    window: list[tuple[float, float]] = []  # (time, cost)

    def portal(seen: Seen):  # noqa: ANN202
        now = clock.now()
        live = [(t, c) for t, c in window if t > now - 600]
        window[:] = live
        if sum(c for _, c in live) >= 480:
            return error(429, "OPERATION_TIME_LIMIT", "blocked")
        window.append((now, 60.0))
        return ok([], time={"operating": sum(c for _, c in window), "operating_reset_at": window[0][0] + 600})

    with scripted_portal(portal) as peer:
        client = Bitrix24Client(ClientSettings(webhook_url=peer.webhook_url, plan="unlimited"), clock=clock)
        for _ in range(20):
            client.call("crm.deal.list")
    assert client.stats.retries_by_cause == {}
    assert client.stats.pacing_wait_seconds > 600
    assert client.stats.as_metadata()["operating_peak_by_method"]["crm.deal.list"] <= 480
