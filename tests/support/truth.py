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
