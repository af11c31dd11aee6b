"""The organisation: department tree, employees (with hidden behaviour profiles) and their schedules."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from bitrix24_emulator.generator.config import GeneratorConfig
from bitrix24_emulator.generator.names import FEMALE_FIRST, LAST, MALE_FIRST
from bitrix24_emulator.generator.work_calendar import Schedule

ROOT_DEPARTMENT = 1
SALES_DEPARTMENT = 2
OTHER_TIME_ZONES = ("Asia/Yekaterinburg", "Europe/Kaliningrad", "Asia/Novosibirsk", "Europe/Berlin")

CALL_PROFILES = ("normal", "dialer", "short_talker")
"""``dialer``: dials a lot, rarely connects; ``short_talker``: connects but keeps calls very short."""
RESPONSE_PROFILES = ("fast", "normal", "slow", "neglectful")


@dataclass
class Department:
    id: int
    name: str
    sort: int
    parent: int | None
    head: int | None = None


@dataclass
class Person:
    """One portal user plus what the generator needs to simulate them (never exported over REST)."""

    id: int
    first: str
    last: str
    latin: str
    female: bool
    department: int
    position: str
    registered: date
    time_zone: str = ""  # '' = portal zone, as user.get says
    fired: date | None = None
    user_type: str = "employee"
    is_manager: bool = False
    call_profile: str = "normal"
    response_profile: str = "normal"
    schedule: Schedule | None = None
    absences: list[tuple[int, int]] = field(default_factory=list)

    def zone(self, portal_zone: str) -> ZoneInfo:
        return ZoneInfo(self.time_zone or portal_zone)

    def employed_on(self, day: date) -> bool:
        return self.registered <= day and (self.fired is None or day < self.fired)


@dataclass
class Organisation:
    departments: list[Department]
    people: list[Person]
    robot_id: int

    @property
    def managers(self) -> list[Person]:
        return [p for p in self.people if p.is_manager]

    def by_id(self) -> dict[int, Person]:
        return {p.id: p for p in self.people}


def _name(rng: random.Random) -> tuple[str, str, str, bool]:
    female = rng.random() < 0.45
    first, first_lat = rng.choice(FEMALE_FIRST if female else MALE_FIRST)
    male_last, female_last, last_lat = rng.choice(LAST)
    return first, female_last if female else male_last, f"{first_lat}.{last_lat}", female


def build_organisation(config: GeneratorConfig, start: date) -> Organisation:
    """Company → sales department → N sales groups, plus a non-sales department; users with profiles."""
    rng = random.Random(f"{config.seed}:people")
    departments = [
        Department(ROOT_DEPARTMENT, "ООО «Ромашка»", 500, None),
        Department(SALES_DEPARTMENT, "Отдел продаж", 500, ROOT_DEPARTMENT),
    ]
    groups = [
        Department(3 + i, f"Группа продаж {i + 1}", 500 + 10 * i, SALES_DEPARTMENT)
        for i in range(config.departments)
    ]
    accounting = Department(3 + config.departments, "Бухгалтерия", 600, ROOT_DEPARTMENT)
    departments += [*groups, accounting]

    people: list[Person] = []
    founded = start - timedelta(days=3 * 365)

    def add(department: int, position: str, registered: date, **kw: object) -> Person:
        first, last, latin, female = _name(rng)
        person = Person(len(people) + 1, first, last, latin, female, department, position, registered, **kw)  # type: ignore[arg-type]
        people.append(person)
        return person

    director = add(ROOT_DEPARTMENT, "Генеральный директор", founded)
    departments[0].head = director.id
    robot = add(ROOT_DEPARTMENT, "", founded, user_type="bot")
    robot.first, robot.last, robot.latin = "Робот", "CRM", "crm.robot"
    sales_head = add(SALES_DEPARTMENT, "Коммерческий директор", founded)
    departments[1].head = sales_head.id

    for index in range(config.managers):
        group = groups[index % len(groups)]
        is_head = group.head is None
        hired_late = not is_head and rng.random() < 0.05
        registered = (
            start + timedelta(days=rng.randrange(config.days // 2 + 1))
            if hired_late
            else (founded + timedelta(days=rng.randrange(2 * 365)))
        )
        person = add(
            group.id,
            "Руководитель группы продаж" if is_head else "Менеджер по продажам",
            registered,
            is_manager=True,
        )
        if is_head:
            group.head = person.id
        if not is_head and not hired_late and rng.random() < config.fired_share:
            person.fired = start + timedelta(days=rng.randrange(config.days // 4, config.days))
        if rng.random() < config.other_time_zone_share:
            person.time_zone = rng.choice(OTHER_TIME_ZONES)
        person.call_profile = rng.choices(CALL_PROFILES, weights=(80, 10, 10))[0]
        person.response_profile = rng.choices(RESPONSE_PROFILES, weights=(25, 50, 17, 8))[0]

    for _ in range(2):
        add(accounting.id, "Бухгалтер", founded + timedelta(days=rng.randrange(365)))
    _guarantee_patterns(people, config, start)
    _assign_schedules(people, config, rng, start)
    return Organisation(departments, people, robot.id)


def _guarantee_patterns(people: list[Person], config: GeneratorConfig, start: date) -> None:
    """Even a tiny portal shows every pattern the reports must reveal (tests rely on it)."""
    managers = [p for p in people if p.is_manager and p.position == "Менеджер по продажам"]
    if len(managers) < 4:
        managers = [p for p in people if p.is_manager]
    managers[0].call_profile = "dialer"
    managers[1].call_profile = "short_talker"
    managers[-1].response_profile = "neglectful"
    if not any(p.fired for p in people):
        managers[-2].fired = start + timedelta(days=max(1, config.days * 2 // 3))
        managers[-2].registered = min(managers[-2].registered, start)
    if not any(p.time_zone for p in people if p.is_manager):
        managers[2].time_zone = OTHER_TIME_ZONES[0]
    if not any(p.time_zone == "Europe/Berlin" for p in people) and len(managers) > 4:
        managers[3].time_zone = "Europe/Berlin"  # a DST zone, so working time must handle the switch


def _assign_schedules(people: list[Person], config: GeneratorConfig, rng: random.Random, start: date) -> None:
    portal_hours = (config.work_time_start * 60, config.work_time_end * 60)
    candidates = [p for p in people if p.is_manager and p.fired is None]
    shift_count = max(2, round(len(candidates) * config.shift_share))
    shifted = sorted(p.id for p in rng.sample(candidates[1:], min(shift_count, len(candidates) - 1)))
    for person in people:
        if person.user_type != "employee":
            continue
        if person.id in shifted[0::2]:
            person.schedule = Schedule(person.id, "shift", 8 * 60, 20 * 60, "1100", start)
        elif person.id in shifted[1::2]:
            person.schedule = Schedule(person.id, "fixed", 12 * 60, 21 * 60)
        else:
            person.schedule = Schedule(person.id, "portal", *portal_hours)
