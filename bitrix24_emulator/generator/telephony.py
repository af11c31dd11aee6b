"""Call outcomes per behaviour profile: connect rates, talk times and failure codes."""

from __future__ import annotations

import random

# profile -> (outgoing connect probability, median talk seconds, log-normal sigma, volume factor)
PROFILES = {
    "normal": (0.55, 150.0, 0.8, 1.0),
    "dialer": (0.15, 110.0, 0.8, 1.8),  # dials a lot, rarely connects
    "short_talker": (0.60, 20.0, 0.5, 1.0),  # connects, but the client hangs up quickly
}
_FAILED = ("304", "486", "603", "603-S", "480", "404", "503", "OTHER")
_FAILED_WEIGHTS = (45, 20, 12, 10, 5, 3, 2, 3)
FAILED_REASONS = {
    "200": "Success call",
    "304": "Skipped call",
    "486": "Busy here",
    "603": "Call declined",
    "603-S": "Call canceled",
    "480": "Temporarily unavailable",
    "404": "Invalid number",
    "503": "Destination unavailable",
    "OTHER": "Undefined error",
}


def outcome(rng: random.Random, profile: str, outgoing: bool, connect: bool | None = None) -> tuple[int, str]:
    """(CALL_DURATION seconds, CALL_FAILED_CODE) of one call by a manager of ``profile``."""
    p_connect, median, sigma, _ = PROFILES[profile]
    if connect is None:
        connect = rng.random() < (p_connect if outgoing else 0.85)
    if connect:
        return max(1, int(rng.lognormvariate(0, sigma) * median)), "200"
    if not outgoing:
        return 0, "304"
    if rng.random() < 0.03:
        return 0, "200"  # answered and dropped at once: not a connected call (duration 0)
    return 0, rng.choices(_FAILED, weights=_FAILED_WEIGHTS)[0]
