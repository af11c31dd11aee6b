"""``users`` (user.get) and ``departments`` (department.get) tables in wire format."""

from __future__ import annotations

import random
from datetime import timedelta

from bitrix24_emulator.generator.clock import PortalClock
from bitrix24_emulator.generator.people import Organisation
from bitrix24_emulator.model import Table

USER_FIELDS = (
    "ID",
    "XML_ID",
    "ACTIVE",
    "NAME",
    "LAST_NAME",
    "SECOND_NAME",
    "EMAIL",
    "LAST_LOGIN",
    "DATE_REGISTER",
    "TIME_ZONE",
    "IS_ONLINE",
    "TIMESTAMP_X",
    "LAST_ACTIVITY_DATE",
    "PERSONAL_GENDER",
    "PERSONAL_BIRTHDAY",
    "PERSONAL_MOBILE",
    "WORK_PHONE",
    "WORK_POSITION",
    "UF_EMPLOYMENT_DATE",
    "UF_DEPARTMENT",
    "UF_PHONE_INNER",
    "USER_TYPE",
)
DEPARTMENT_FIELDS = ("ID", "NAME", "SORT", "PARENT", "UF_HEAD")


def users_table(org: Organisation, clock: PortalClock, snapshot_ts: int, seed: int) -> Table:
    """user.get rows: ID as string, ACTIVE a JSON boolean, dates ISO, TIMESTAMP_X in display format.

    The robot row has ``USER_TYPE`` ``bot`` (Bitrix24 marks chat-bot accounts with EXTERNAL_AUTH_ID
    ``bot``; the real user.get does not list them at all). A consumer must count only rows with
    ``USER_TYPE == "employee"`` as people.
    """
    rng = random.Random(f"{seed}:users")
    rows = []
    for person in org.people:
        registered = clock.ts(person.registered, 9 * 60 + rng.randrange(480))
        last_seen = (
            clock.ts(person.fired, 0) - 3600 * rng.randrange(1, 72)
            if person.fired
            else (snapshot_ts - rng.randrange(60, 3 * 86400))
        )
        changed = (
            clock.ts(person.fired, 10 * 60) if person.fired else max(registered, snapshot_ts - 86400 * 40)
        )
        birthday = person.registered - timedelta(days=365 * rng.randrange(22, 50) + rng.randrange(365))
        rows.append(
            (
                str(person.id),
                f"U{person.id:05d}",
                person.fired is None,
                person.first,
                person.last,
                "",
                f"{person.latin}{person.id}@romashka.example",
                clock.iso(last_seen),
                clock.iso(registered),
                person.time_zone,
                "Y" if person.fired is None and rng.random() < 0.3 else "N",
                clock.display(changed),
                clock.display(last_seen),
                "" if person.user_type != "employee" else "F" if person.female else "M",
                clock.date_only(birthday),
                f"+7 9{rng.randrange(10**8, 10**9)}",
                "",
                person.position,
                clock.date_only(person.registered),
                [person.department] if person.user_type == "employee" else [],
                str(100 + person.id),
                person.user_type,
            )
        )
    return Table("users", USER_FIELDS, rows)


def departments_table(org: Organisation) -> Table:
    """department.get rows: ID/PARENT/UF_HEAD strings, SORT int; PARENT ``None`` on the root (omit it)."""
    rows = [
        (
            str(d.id),
            d.name,
            d.sort,
            None if d.parent is None else str(d.parent),
            None if d.head is None else str(d.head),
        )
        for d in org.departments
    ]
    return Table("departments", DEPARTMENT_FIELDS, rows)
