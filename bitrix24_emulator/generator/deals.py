"""Deal creation (who, when, which pipeline) and the ``deals`` / ``stage_history`` wire tables."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from bitrix24_emulator.generator.clock import PortalClock
from bitrix24_emulator.generator.people import Person
from bitrix24_emulator.generator.pipelines import Stage, stages
from bitrix24_emulator.generator.records import Move
from bitrix24_emulator.generator.work_calendar import PortalCalendar
from bitrix24_emulator.generator.worktime import WorkWindows
from bitrix24_emulator.model import Table

DEAL_FIELDS = (
    "ID",
    "TITLE",
    "TYPE_ID",
    "STAGE_ID",
    "PROBABILITY",
    "CURRENCY_ID",
    "OPPORTUNITY",
    "IS_MANUAL_OPPORTUNITY",
    "TAX_VALUE",
    "LEAD_ID",
    "COMPANY_ID",
    "CONTACT_ID",
    "QUOTE_ID",
    "BEGINDATE",
    "CLOSEDATE",
    "ASSIGNED_BY_ID",
    "CREATED_BY_ID",
    "MODIFY_BY_ID",
    "DATE_CREATE",
    "DATE_MODIFY",
    "OPENED",
    "CLOSED",
    "COMMENTS",
    "ADDITIONAL_INFO",
    "LOCATION_ID",
    "CATEGORY_ID",
    "STAGE_SEMANTIC_ID",
    "IS_NEW",
    "IS_RECURRING",
    "IS_RETURN_CUSTOMER",
    "IS_REPEATED_APPROACH",
    "SOURCE_ID",
    "SOURCE_DESCRIPTION",
    "ORIGINATOR_ID",
    "ORIGIN_ID",
    "MOVED_BY_ID",
    "MOVED_TIME",
    "LAST_ACTIVITY_TIME",
    "LAST_ACTIVITY_BY",
    "UTM_SOURCE",
    "UTM_MEDIUM",
    "UTM_CAMPAIGN",
    "UTM_CONTENT",
    "UTM_TERM",
)
HISTORY_FIELDS = ("ID", "TYPE_ID", "OWNER_ID", "CREATED_TIME", "CATEGORY_ID", "STAGE_SEMANTIC_ID", "STAGE_ID")

# Hour-of-day weights of web-form / chat requests (portal time): people write at night too.
_WEB_HOURS = (1, 1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 8, 8, 8, 7, 6, 5, 4, 3, 3, 2, 1)


@dataclass(slots=True)
class Deal:
    created: int
    manager: Person
    creator: int
    category: int
    source: str
    opportunity: int
    id: int = 0
    stage: Stage | None = None
    moved_at: int = 0
    moved_by: int = 0
    modified_at: int = 0
    modified_by: int = 0
    last_activity: tuple[int, int] | None = None
    moves: list[Move] = field(default_factory=list)
    lead_id: int | None = None  # LEAD_ID: the lead converted into this deal (generator/leads.py)


def _count(rng: random.Random, mean: float) -> int:
    """A non-negative integer with the given mean and Poisson-like spread."""
    return max(0, round(rng.gauss(mean, mean**0.5))) if mean > 0 else 0


def plan_deals(
    managers: list[Person],
    windows: dict[int, WorkWindows],
    calendar: PortalCalendar,
    clock: PortalClock,
    first: date,
    days: int,
    deals_per_day: float,
    robot_id: int,
    seed: int,
) -> list[Deal]:
    """Create deals per manager and day; IDs follow DATE_CREATE as on a real portal."""
    rng = random.Random(f"{seed}:deals")
    deals: list[Deal] = []
    end = clock.ts(first + timedelta(days=days))
    for manager in managers:
        win = windows[manager.id]
        for offset in range(days):
            day = first + timedelta(days=offset)
            if not manager.employed_on(day):
                continue
            day_start = clock.ts(day)
            workday = calendar.is_workday(day)
            # Deals the manager opens during the shift (calls, e-mails, repeat sales).
            for begin, stop in win.between(day_start, day_start + 86400):
                for _ in range(_count(rng, deals_per_day * 0.6)):
                    source = rng.choices(("CALL", "EMAIL", "REPEAT_SALE", "OTHER"), weights=(5, 2, 2, 1))[0]
                    category = 1 if source == "REPEAT_SALE" else (2 if rng.random() < 0.06 else 0)
                    ts = rng.randrange(begin, stop)
                    deals.append(Deal(ts, manager, manager.id, category, source, _opportunity(rng)))
            # Web forms and chats arrive at any hour, also on weekends and holidays.
            for _ in range(_count(rng, deals_per_day * (0.4 if workday else 0.12))):
                ts = day_start + 3600 * rng.choices(range(24), weights=_WEB_HOURS)[0] + rng.randrange(3600)
                if ts < end:
                    source = rng.choice(("WEB", "WEBFORM"))
                    deals.append(Deal(ts, manager, robot_id, 0, source, _opportunity(rng)))
    deals.sort(key=lambda d: (d.created, d.manager.id))
    for number, deal in enumerate(deals, start=1):
        deal.id = number
        progress, _, _ = stages(deal.category)
        deal.stage = progress[0]
        deal.moved_at = deal.modified_at = deal.created
        deal.moved_by = deal.modified_by = deal.creator
        deal.moves.append(Move(deal.created, 1, deal.id, deal.category, "P", deal.stage.status_id))
    return deals


def _opportunity(rng: random.Random) -> int:
    return int(rng.lognormvariate(11.5, 0.9)) // 100 * 100


def deals_table(deals: list[Deal], clock: PortalClock) -> Table:
    rows = []
    for d in deals:
        assert d.stage is not None
        closed = d.stage.semantic != "P"
        created = clock.iso(d.created)
        close_day = (
            clock.local_date(d.moved_at)
            if closed
            else clock.local_date(d.created) + timedelta(days=14 + d.id % 30)
        )
        last_time, last_by = d.last_activity or (d.created, d.creator)
        rows.append(
            (
                str(d.id),
                f"Сделка #{d.id}",
                "SALE",
                d.stage.status_id,
                None,
                "RUB",
                f"{d.opportunity}.00",
                "N",
                "0.00",
                None if d.lead_id is None else str(d.lead_id),
                None,
                str(1_000_000 + d.id),
                None,
                clock.date_only(clock.local_date(d.created)),
                clock.date_only(close_day),
                str(d.manager.id),
                str(d.creator),
                str(d.modified_by),
                created,
                clock.iso(d.modified_at),
                "Y",
                "Y" if closed else "N",
                None,
                None,
                None,
                str(d.category),
                d.stage.semantic,
                "Y" if d.modified_at == d.created else "N",
                "N",
                "Y" if d.source == "REPEAT_SALE" else "N",
                "N",
                d.source,
                None,
                None,
                None,
                str(d.moved_by),
                clock.iso(d.moved_at),
                clock.iso(last_time),
                str(last_by),
                None,
                None,
                None,
                None,
                None,
            )
        )
    return Table("deals", DEAL_FIELDS, rows)


def history_table(deals: list[Deal], clock: PortalClock) -> Table:
    """crm.stagehistory.list rows with every number as a string, as real portals send them (the docs'
    example shows native ints; docs/bitrix24-api.md § crm.stagehistory.list)."""
    moves = sorted((m for d in deals for m in d.moves), key=lambda m: (m.created, m.deal, m.type_id))
    rows = [
        (str(i), str(m.type_id), str(m.deal), clock.iso(m.created), str(m.category), m.semantic, m.stage_id)
        for i, m in enumerate(moves, start=1)
    ]
    return Table("stage_history", HISTORY_FIELDS, rows)
