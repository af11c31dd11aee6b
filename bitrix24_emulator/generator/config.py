"""Knobs of the synthetic portal; every output is a pure function of one :class:`GeneratorConfig`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

ActivityScenario = Literal["universal", "classic"]


def portal_today(time_zone: str) -> date:
    """Today's date in the portal's time zone (not the machine's, not UTC)."""
    return datetime.now(ZoneInfo(time_zone)).date()


@dataclass(frozen=True)
class GeneratorConfig:
    """Size and shape of the generated portal.

    The history covers ``[end_date - days, end_date)`` in the portal's time zone and the snapshot ("now"
    of the portal) is ``end_date`` 00:00 portal time. ``end_date`` defaults to today in the portal's zone,
    so a served portal ends today; the same seed and ``end_date`` always give byte-identical data, so
    tests and benchmarks that compare numbers pass an explicit ``end_date``.
    """

    seed: int = 42
    managers: int = 70
    departments: int = 6
    days: int = 365
    end_date: date | None = None
    """The portal's "today" (its history ends the day before); None: today in ``portal_time_zone``."""
    portal_time_zone: str = "Europe/Moscow"
    language: str = "ru"
    """The portal's language (``app.info`` LANGUAGE_ID): the generated people and departments are Russian."""
    work_time_start: int = 9
    work_time_end: int = 18
    deals_per_day: float = 4.0
    """Mean new deals per manager per working day (non-working days get a tenth of it)."""
    calls_per_day: float = 30.0
    """Mean telephony calls per manager per working day (profiles scale it)."""
    untouched_share: float = 0.04
    """Share of deals nobody ever contacts (neglectful managers get more)."""
    fired_share: float = 0.05
    other_time_zone_share: float = 0.12
    shift_share: float = 0.06
    activity_scenario: ActivityScenario = "universal"
    """How telephony completes call activities (docs/bitrix24-api.md § crm.activity.list — call activities).
    ``universal`` (the vendor's default, the "universal activity scenario"): incoming calls and callbacks are
    created ``COMPLETED N`` and wait to be handled; a later successful call with the client completes the
    waiting incoming ones. ``classic`` (portals that turned the scenario off): missed incoming calls and
    callbacks are ``N``, every other call ``Y``."""

    lead_share: float = 0.0
    """Share of the requests from outside (web forms, chats, calls, e-mails) that arrive as a lead and are
    converted into their deal; besides, leads that stay leads (junk, in work, repeated requests) and a few
    converted into an existing deal (generator/leads.py). 0 (the default) is a deals-only portal, byte for
    byte the portal of the same seed without leads; ``serve`` and the demo use a mix."""

    def __post_init__(self) -> None:
        if self.end_date is None:  # resolved once: every generator component reads the same day
            object.__setattr__(self, "end_date", portal_today(self.portal_time_zone))
        if self.managers < self.departments or self.departments < 1:
            raise ValueError("need at least one manager per sales department")
        if self.days < 1:
            raise ValueError("days must be positive")
        if not 0.0 <= self.lead_share <= 1.0:
            raise ValueError("lead_share must be between 0 and 1")
        if self.activity_scenario not in ("universal", "classic"):
            raise ValueError("activity_scenario must be 'universal' or 'classic'")
