"""Assembles the whole portal from the component generators."""

from __future__ import annotations

from datetime import timedelta

from bitrix24_emulator.generator.absences import plan_absences
from bitrix24_emulator.generator.call_handling import complete_handled_calls
from bitrix24_emulator.generator.call_rows import calls_table
from bitrix24_emulator.generator.clock import PortalClock
from bitrix24_emulator.generator.config import GeneratorConfig
from bitrix24_emulator.generator.deals import deals_table, history_table, plan_deals
from bitrix24_emulator.generator.directory import departments_table, users_table
from bitrix24_emulator.generator.filler import add_filler_calls
from bitrix24_emulator.generator.leads import (
    Lead,
    LeadTeller,
    lead_history_table,
    lead_statuses_rows,
    leads_table,
)
from bitrix24_emulator.generator.lifecycle import Storyteller, edit_done_activities
from bitrix24_emulator.generator.people import Organisation, build_organisation
from bitrix24_emulator.generator.pipelines import categories_table, statuses_table
from bitrix24_emulator.generator.records import Recorder
from bitrix24_emulator.generator.rows import activities_table, comments_table, number_records
from bitrix24_emulator.generator.truth import first_touches, request_chains
from bitrix24_emulator.generator.work_calendar import PortalCalendar, calendar_settings
from bitrix24_emulator.generator.worktime import build_windows
from bitrix24_emulator.model import PortalData, Table

SCHEDULE_FIELDS = ("USER_ID", "KIND", "START", "END", "CYCLE", "ANCHOR", "HONOURS_PORTAL_CALENDAR")
"""``work_schedules`` is emulator-only: Bitrix24 REST cannot list who works which schedule."""


def generate(config: GeneratorConfig) -> PortalData:
    """Build the portal described by ``config``; the same config always gives identical data."""
    clock = PortalClock(config.portal_time_zone)
    first = config.end_date - timedelta(days=config.days)
    snapshot = clock.ts(config.end_date)
    settings = calendar_settings(config.work_time_start, config.work_time_end)
    calendar = PortalCalendar.from_settings(settings)
    org = build_organisation(config, first)
    absences = plan_absences(org.people, clock, first, config.days, config.seed)
    employees = [p for p in org.people if p.user_type == "employee"]
    windows = {
        p.id: build_windows(
            p,
            calendar,
            clock,
            config.portal_time_zone,
            first - timedelta(days=1),
            config.end_date + timedelta(days=30),
        )
        for p in employees
    }
    deals = plan_deals(
        org.managers,
        windows,
        calendar,
        clock,
        first,
        config.days,
        config.deals_per_day,
        org.robot_id,
        config.seed,
    )
    rec = Recorder()
    fired = {p.id: clock.ts(p.fired) for p in org.people if p.fired}
    universal = config.activity_scenario == "universal"
    teller = Storyteller(
        rec,
        windows,
        _colleagues(org),
        org.robot_id,
        snapshot,
        fired,
        config.untouched_share,
        config.seed,
        universal,
    )
    for deal in deals:
        teller.tell(deal)
    leads: list[Lead] = []
    if config.lead_share > 0:
        lead_teller = LeadTeller(
            rec,
            windows,
            _colleagues(org),
            org.robot_id,
            snapshot,
            fired,
            config.untouched_share,
            universal=universal,
            first=clock.ts(first),
            lead_share=config.lead_share,
            seed=config.seed,
        )
        leads = lead_teller.tell(deals)
    if universal:
        complete_handled_calls(rec, snapshot)
    add_filler_calls(rec, org.managers, windows, clock.ts(first), snapshot, config.calls_per_day, config.seed)
    number_records(rec)
    edit_done_activities(rec.activities, snapshot, config.seed)
    employee_ids = {p.id for p in employees}
    truth = first_touches(deals, rec, employee_ids, clock, leads)
    requests = request_chains(deals, leads, rec, employee_ids, clock)
    completed_at = {
        number: clock.iso(a.completed_at)
        for number, a in enumerate(rec.activities, start=1)
        if a.completed and a.completed_at != a.last_updated
    }
    max_id = max(len(deals), len(org.people), len(leads))
    activities = activities_table(rec, clock, max_id, universal)  # both free their records as they go
    calls = calls_table(rec, clock, max_id, activities)
    tables: dict[str, Table] = {
        "users": users_table(org, clock, snapshot, config.seed),
        "departments": departments_table(org),
        "categories": categories_table(),
        "statuses": statuses_table(),
        "deals": deals_table(deals, clock),
        "stage_history": history_table(deals, clock),
        "activities": activities,
        "calls": calls,
        "timeline_comments": comments_table(rec, clock, max_id),
        "absences": absences,
        "work_schedules": _schedules_table(org),
    }
    if leads:  # a deals-only portal keeps exactly the tables it always had
        tables["leads"] = leads_table(leads, clock)
        tables["lead_stage_history"] = lead_history_table(leads, clock)
        statuses = tables["statuses"]
        statuses.rows.extend(lead_statuses_rows(len(statuses.rows) + 1))
    return PortalData(
        portal_time_zone=config.portal_time_zone,
        snapshot_at=clock.iso(snapshot),
        calendar_settings=settings,
        tables=tables,
        truth=truth,
        seed=config.seed,
        language=config.language,
        activity_completed_at=completed_at,
        requests=requests,
    )


def _colleagues(org: Organisation) -> dict[int, list[int]]:
    """Who else may contact a manager's client first: the group head, the sales head, an accountant."""
    heads = {d.id: d.head for d in org.departments}
    backup = [p.id for p in org.people if p.user_type == "employee" and not p.is_manager and p.fired is None]
    out = {}
    for m in org.managers:
        head = heads.get(m.department)
        out[m.id] = [x for x in (head, *backup) if x is not None and x != m.id]
    return out


def _schedules_table(org: Organisation) -> Table:
    rows = []
    for p in org.people:
        if p.schedule is None:
            continue
        r = p.schedule.as_record()
        rows.append(
            (p.id, r["kind"], r["start"], r["end"], r["cycle"], r["anchor"], r["honours_portal_calendar"])
        )
    return Table("work_schedules", SCHEDULE_FIELDS, rows, id_field="USER_ID")
