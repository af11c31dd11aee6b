"""Vacations and sick leave, as absence-chart entries of ``calendar.accessibility.get``.

Whole-day entries render like the absence chart stores them: ``DT_FROM``/``DT_TO`` are dates
(``dd.mm.yyyy``, ``DT_TO`` inclusive) and ``FROM``/``TO`` are unix midnights of those dates in the portal
zone — so ``TO`` is the *start* of the last absent day. Part-day entries carry times
(``dd.mm.yyyy hh:mm:ss``) and ``TO`` is their exact end. All wall times are portal time.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from bitrix24_emulator.generator.clock import PortalClock
from bitrix24_emulator.generator.people import Person
from bitrix24_emulator.model import Table

ABSENCE_FIELDS = ("USER_ID", "ID", "DT_FROM", "DT_TO", "FROM", "TO", "FROM_HR", "ACCESSIBILITY", "IMPORTANCE")


def plan_absences(people: list[Person], clock: PortalClock, first: date, days: int, seed: int) -> Table:
    """Give employees vacations, sick leave and part-day absences; fill ``Person.absences`` (half-open ts)."""
    rng = random.Random(f"{seed}:absences")
    entries: list[
        tuple[int, int, str, str, int, int, int]
    ] = []  # (from, user, dt_from, dt_to, FROM, TO, to_excl)
    for person in people:
        if person.user_type != "employee":
            continue
        blocks: list[tuple[date, int]] = []
        for _ in range(1 + (days >= 180)):
            blocks.append((first + timedelta(days=rng.randrange(days)), rng.randint(7, 14)))
        for _ in range(rng.choices((0, 1, 2), weights=(35, 45, 20))[0]):
            blocks.append((first + timedelta(days=rng.randrange(days)), rng.randint(1, 6)))
        taken: list[tuple[int, int]] = []
        for start, length in sorted(blocks):
            last = start + timedelta(days=length - 1)
            begin, end = clock.ts(start), clock.ts(last + timedelta(days=1))
            if any(begin < t and s < end for s, t in taken):
                continue
            taken.append((begin, end))
            entries.append(
                (
                    begin,
                    person.id,
                    start.strftime("%d.%m.%Y"),
                    last.strftime("%d.%m.%Y"),
                    begin,
                    clock.ts(last),
                    end,
                )
            )
        if rng.random() < 0.3:
            day = first + timedelta(days=rng.randrange(days))
            begin = clock.ts(day, 10 * 60)
            end = begin + 3 * 3600
            if not any(begin < t and s < end for s, t in taken):
                taken.append((begin, end))
                entries.append((begin, person.id, clock.display(begin), clock.display(end), begin, end, end))
        person.absences = sorted(taken)
    entries.sort()
    rows = [
        (user, str(i), dt_from, dt_to, f, t, True, "absent", "normal")
        for i, (_, user, dt_from, dt_to, f, t, _end) in enumerate(entries, start=1)
    ]
    return Table("absences", ABSENCE_FIELDS, rows)
