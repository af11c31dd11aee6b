"""The ``calls`` wire table (``voximplant.statistic.get`` rows), numbered in call-end order."""

from __future__ import annotations

from bitrix24_emulator.generator.clock import PortalClock
from bitrix24_emulator.generator.records import Recorder
from bitrix24_emulator.generator.rows import number_strings
from bitrix24_emulator.generator.telephony import FAILED_REASONS
from bitrix24_emulator.model import Table

CALL_FIELDS = (
    "ID",
    "CALL_ID",
    "EXTERNAL_CALL_ID",
    "CALL_CATEGORY",
    "PORTAL_USER_ID",
    "PORTAL_NUMBER",
    "PHONE_NUMBER",
    "CALL_TYPE",
    "CALL_DURATION",
    "CALL_START_DATE",
    "CALL_RECORD_URL",
    "CALL_VOTE",
    "COST",
    "COST_CURRENCY",
    "CALL_FAILED_CODE",
    "CALL_FAILED_REASON",
    "CRM_ENTITY_TYPE",
    "CRM_ENTITY_ID",
    "CRM_ACTIVITY_ID",
    "REST_APP_ID",
    "REST_APP_NAME",
    "TRANSCRIPT_ID",
    "TRANSCRIPT_PENDING",
    "SESSION_ID",
    "REDIAL_ATTEMPT",
    "COMMENT",
    "RECORD_DURATION",
    "RECORD_FILE_ID",
)
_COLD_POOL = 50_000  # distinct numbers without a CRM match


def calls_table(rec: Recorder, clock: PortalClock, max_id: int, activities: Table) -> Table:
    """Cold-call numbers come from a pool (lists are re-dialled); linked calls share the activity's
    START_TIME string object, which is the same instant."""
    rows = []
    start_pos, activity_rows = activities.index_of("START_TIME"), activities.rows
    num = number_strings(max(max_id, max((c.duration for c in rec.calls), default=0)))
    phones: dict[int, str] = {}
    contact_ids: dict[int, str] = {}
    records = rec.calls
    for number in range(1, len(records) + 1):
        c = records[number - 1]
        records[number - 1] = None  # type: ignore[call-overload]
        linked = c.activity >= 0
        row_id = str(number)
        if c.contact:
            phone = phones.get(c.contact) or phones.setdefault(
                c.contact, f"+7495{c.contact % 10_000_000:07d}"
            )
        else:
            slot = (number * 7919) % _COLD_POOL
            phone = phones.get(-slot - 1) or phones.setdefault(-slot - 1, f"+79{slot * 104729 % 10**9:09d}")
        rows.append(
            (
                row_id,
                c.call_id,
                None,
                "external",
                None if c.user is None else num[c.user],
                "reg1",
                phone,
                num[c.call_type],
                num[c.duration],
                activity_rows[c.activity][start_pos] if linked else clock.iso(c.start),
                None,
                None,
                "0.0000",
                "RUR",
                c.code,
                FAILED_REASONS[c.code],
                "CONTACT" if c.contact else None,
                contact_ids.get(c.contact) or contact_ids.setdefault(c.contact, str(c.contact))
                if c.contact
                else None,
                str(c.activity + 1) if linked else None,
                None,
                None,
                None,
                "N",
                row_id,
                "0",
                None,
                "0",
                None,
            )
        )
    records.clear()
    return Table("calls", CALL_FIELDS, rows)
