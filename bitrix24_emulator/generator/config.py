"""Knobs of the synthetic portal; every output is a pure function of one :class:`GeneratorConfig`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

ActivityScenario = Literal["universal", "classic"]


@dataclass(frozen=True)
class GeneratorConfig:
    """Size and shape of the generated portal.

    ``end_date`` is fixed (not "today") so that the same config yields byte-identical data whatever the
    wall clock says: the history covers ``[end_date - days, end_date)`` in the portal's time zone and the
    snapshot ("now" of the portal) is ``end_date`` 00:00 portal time.
    """

    seed: int = 42
    managers: int = 70
    departments: int = 6
    days: int = 365
    end_date: date = date(2026, 11, 1)
    portal_time_zone: str = "Europe/Moscow"
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

    def __post_init__(self) -> None:
        if self.managers < self.departments or self.departments < 1:
            raise ValueError("need at least one manager per sales department")
        if self.days < 1:
            raise ValueError("days must be positive")
        if self.activity_scenario not in ("universal", "classic"):
            raise ValueError("activity_scenario must be 'universal' or 'classic'")
