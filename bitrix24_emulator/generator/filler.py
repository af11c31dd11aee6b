"""Telephony traffic that belongs to no deal: cold calls, incoming calls, callbacks, info calls.

Deal work produces only part of a manager's calls; the rest (numbers with no CRM match) make the daily
volume reach the profile's target. Such calls have no CRM activity (``CRM_ACTIVITY_ID`` null).
"""

from __future__ import annotations

import random
from collections import Counter

from bitrix24_emulator.generator.people import Person
from bitrix24_emulator.generator.records import Call, Recorder
from bitrix24_emulator.generator.telephony import PROFILES, outcome
from bitrix24_emulator.generator.worktime import WorkWindows

_NINE_HOURS = 9 * 3600


def add_filler_calls(
    rec: Recorder,
    managers: list[Person],
    windows: dict[int, WorkWindows],
    first: int,
    snapshot: int,
    calls_per_day: float,
    seed: int,
) -> None:
    rng = random.Random(f"{seed}:filler")
    per_day = Counter((c.user, (c.start - first) // 86400) for c in rec.calls)
    seq = 0
    for manager in managers:
        factor = PROFILES[manager.call_profile][3]
        win = windows[manager.id]
        for begin, end in zip(win.starts, win.ends, strict=True):
            if end > snapshot or begin < first:
                continue
            mean = calls_per_day * factor * (end - begin) / _NINE_HOURS
            n = max(0, round(rng.gauss(mean, mean**0.5)) - per_day[(manager.id, (begin - first) // 86400)])
            for _ in range(n):
                seq += 1
                ts = rng.randrange(begin, end)
                kind = rng.random()
                call_type = 1 if kind < 0.8 else 2 if kind < 0.95 else 4 if kind < 0.98 else 3
                duration, code = outcome(rng, manager.call_profile, call_type in (1, 4))
                rec.calls.append(Call(ts, duration, manager.id, call_type, code, None, f"F{seq:011X}.{ts}"))
    for day in range((snapshot - first) // 86400):
        ts = first + day * 86400 + rng.randrange(8 * 3600, 20 * 3600)
        rec.calls.append(Call(ts, rng.randrange(5, 40), None, 5, "200", None, f"I{day:011X}.{ts}"))
