"""Compare the deal mart with the emulator's ground truth (first touch per deal)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg2.extensions import connection as Connection

from bitrix24_emulator.model import PortalData

FIRST_TOUCH = (
    "select deal_id, responsible_id, created_at, first_touch_at, first_touch_kind, first_touch_by,"
    ' is_untouched from marts."managerControl_Deal"'
)


def first_touch_mismatches(conn: Connection, portal: PortalData) -> tuple[int, list[tuple[int, Any, Any]]]:
    """(deals in the mart, [(deal_id, expected, got)] for every deal whose first touch differs)."""
    with conn.cursor() as cur:
        cur.execute(FIRST_TOUCH)
        got = {row[0]: row[1:] for row in cur.fetchall()}
    mismatches = []
    for truth in portal.truth:
        expected = (
            truth.responsible_id,
            datetime.fromisoformat(truth.created_at),
            datetime.fromisoformat(truth.first_touch_at) if truth.first_touch_at else None,
            truth.first_touch_kind,
            truth.first_touch_by,
            truth.first_touch_at is None,
        )
        if got.get(truth.deal_id) != expected:
            mismatches.append((truth.deal_id, expected, got.get(truth.deal_id)))
    return len(got), mismatches


BACKLOG = (
    "select deal_id, open_activity_count, overdue_activity_count, has_no_planned_activities"
    ' from marts."managerControl_Deal"'
)
# The only scheduled work the emulator generates (bitrix24_emulator/README.md: open deals get a planned
# to-do or meeting, or nothing); calls, e-mails and chats are records of contacts, whatever COMPLETED says.
_SCHEDULED_PROVIDERS = ("CRM_TODO", "CRM_MEETING")


def backlog_mismatches(conn: Connection, portal: PortalData) -> tuple[int, list[tuple[int, Any, Any]]]:
    """(deals in the mart, [(deal_id, expected, got)] where the open / overdue / no-planned backlog differs).

    Expected from the wire rows: a deal's open activities are its not completed to-dos and meetings, overdue
    the ones whose DEADLINE is before the snapshot; an in-progress deal without one has nothing planned."""
    snapshot = datetime.fromisoformat(portal.snapshot_at)
    activities, deals = portal.tables["activities"], portal.tables["deals"]
    open_count: dict[int, int] = {}
    overdue: dict[int, int] = {}
    for row in activities.rows:
        a = activities.as_dict(row)
        if a["COMPLETED"] == "N" and a["PROVIDER_ID"] in _SCHEDULED_PROVIDERS:
            deal = int(a["OWNER_ID"])
            open_count[deal] = open_count.get(deal, 0) + 1
            overdue[deal] = overdue.get(deal, 0) + (datetime.fromisoformat(a["DEADLINE"]) < snapshot)
    with conn.cursor() as cur:
        cur.execute(BACKLOG)
        got = {row[0]: row[1:] for row in cur.fetchall()}
    mismatches = []
    for row in deals.rows:
        d = deals.as_dict(row)
        deal = int(d["ID"])
        opened = open_count.get(deal, 0)
        expected = (opened, overdue.get(deal, 0), d["STAGE_SEMANTIC_ID"] == "P" and opened == 0)
        if got.get(deal) != expected:
            mismatches.append((deal, expected, got.get(deal)))
    return len(got), mismatches
