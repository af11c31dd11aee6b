"""Formats the simulated records as ``activities``, ``calls`` and ``timeline_comments`` wire tables.

Records are numbered in time order (CREATED for activities and comments, call end for telephony rows,
which Bitrix24 writes when a call finishes), then cross-linked: ``ORIGIN_ID`` = ``VI_<CALL_ID>`` and
``CRM_ACTIVITY_ID`` = the call activity's ID.
"""

from __future__ import annotations

from collections.abc import Callable

from bitrix24_emulator.generator.clock import PortalClock
from bitrix24_emulator.generator.records import CALL, EMAIL, MEETING, OPEN_LINE, Recorder
from bitrix24_emulator.generator.telephony import FAILED_REASONS
from bitrix24_emulator.model import Table

ACTIVITY_FIELDS = (
    "ID",
    "OWNER_ID",
    "OWNER_TYPE_ID",
    "TYPE_ID",
    "PROVIDER_ID",
    "PROVIDER_TYPE_ID",
    "PROVIDER_GROUP_ID",
    "ASSOCIATED_ENTITY_ID",
    "SUBJECT",
    "CREATED",
    "LAST_UPDATED",
    "START_TIME",
    "END_TIME",
    "DEADLINE",
    "COMPLETED",
    "STATUS",
    "RESPONSIBLE_ID",
    "PRIORITY",
    "NOTIFY_TYPE",
    "NOTIFY_VALUE",
    "DESCRIPTION",
    "DESCRIPTION_TYPE",
    "DIRECTION",
    "LOCATION",
    "SETTINGS",
    "ORIGINATOR_ID",
    "ORIGIN_ID",
    "AUTHOR_ID",
    "EDITOR_ID",
    "RESULT_MARK",
    "RESULT_STATUS",
    "RESULT_STREAM",
    "RESULT_SOURCE_ID",
    "AUTOCOMPLETE_RULE",
    "IS_INCOMING_CHANNEL",
)
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
COMMENT_FIELDS = ("ID", "CREATED", "ENTITY_ID", "ENTITY_TYPE", "AUTHOR_ID", "COMMENT")

# kind -> (TYPE_ID, PROVIDER_ID, PROVIDER_TYPE_ID)
_PROVIDERS = {
    CALL: ("2", "VOXIMPLANT_CALL", "CALL"),
    EMAIL: ("4", "CRM_EMAIL", "EMAIL"),
    OPEN_LINE: ("6", "IMOPENLINES_SESSION", "1"),
    MEETING: ("1", "CRM_MEETING", "MEETING"),
    "todo": ("6", "CRM_TODO", "TODO"),
}
_NO_SETTINGS: list[object] = []  # PHP serialises an empty map as []
_MISSED = {"MISSED_CALL": True}


def number_records(rec: Recorder) -> None:
    """Sort every record list into ID order (ID = position + 1) and re-point the call ↔ activity links."""
    act_order = sorted(range(len(rec.activities)), key=lambda i: (rec.activities[i].created, i))
    call_order = sorted(range(len(rec.calls)), key=lambda i: (rec.calls[i].start + rec.calls[i].duration, i))
    act_pos = [0] * len(act_order)
    for pos, i in enumerate(act_order):
        act_pos[i] = pos
    call_pos = [0] * len(call_order)
    for pos, i in enumerate(call_order):
        call_pos[i] = pos
    rec.activities[:] = [rec.activities[i] for i in act_order]
    rec.calls[:] = [rec.calls[i] for i in call_order]
    for act in rec.activities:
        if act.call >= 0:
            act.call = call_pos[act.call]
    for call in rec.calls:
        if call.activity >= 0:
            call.activity = act_pos[call.activity]
    rec.comments.sort(key=lambda c: (c.created, c.deal))


def activities_table(rec: Recorder, clock: PortalClock) -> Table:
    iso, user_str = clock.iso, _interned_str()
    rows = []
    for number, a in enumerate(rec.activities, start=1):
        type_id, provider, provider_type = _PROVIDERS[a.kind]
        created = iso(a.created)
        start = created if a.start == a.created else iso(a.start)
        end = start if a.end == a.start else iso(a.end)
        deadline = end if a.deadline == a.end else start if a.deadline == a.start else iso(a.deadline)
        updated = (
            created
            if a.last_updated == a.created
            else end
            if a.last_updated == a.end
            else iso(a.last_updated)
        )
        settings: object = _NO_SETTINGS
        origin = associated = source = None
        result_status, stream, incoming = "0", "0", "Y" if a.direction == 1 else "N"
        if a.kind == CALL:
            call = rec.calls[a.call]
            origin = f"VI_{call.call_id}"
            connected = call.code == "200"
            result_status = "2" if connected else "1"
            stream = ("1" if a.direction == 1 else "2") if connected else "4"
            if a.direction == 1 and not connected:
                settings = _MISSED
        elif a.kind == OPEN_LINE:
            associated = user_str(100_000 + number)
            origin = f"IMOL_{100_000 + number}"
            result_status, source = ("2" if a.answered else "1"), "livechat"
        elif a.kind != EMAIL:
            incoming = "N"
        rows.append(
            (
                str(number),
                user_str(a.deal),
                "2",
                type_id,
                provider,
                provider_type,
                None,
                associated,
                a.subject,
                created,
                updated,
                start,
                end,
                deadline,
                "Y" if a.completed else "N",
                "2" if a.completed else "1",
                user_str(a.responsible),
                "2",
                "0",
                "0",
                "",
                "1",
                user_str(a.direction),
                "",
                settings,
                None,
                origin,
                user_str(a.author),
                user_str(a.author),
                "0",
                result_status,
                stream,
                source,
                "0",
                incoming,
            )
        )
    return Table("activities", ACTIVITY_FIELDS, rows)


def calls_table(rec: Recorder, clock: PortalClock) -> Table:
    rows = []
    as_str = _interned_str()
    phones: dict[int, str] = {}
    for number, c in enumerate(rec.calls, start=1):
        linked = c.activity >= 0
        row_id = str(number)
        if c.contact:
            phone = phones.get(c.contact) or phones.setdefault(
                c.contact, f"+7495{c.contact % 10_000_000:07d}"
            )
        else:
            phone = f"+79{(number * 7919) % 10**9:09d}"
        rows.append(
            (
                row_id,
                c.call_id,
                None,
                "external",
                None if c.user is None else as_str(c.user),
                "reg1",
                phone,
                as_str(c.call_type),
                as_str(c.duration),
                clock.iso(c.start),
                None,
                None,
                "0.0000",
                "RUR",
                c.code,
                FAILED_REASONS[c.code],
                "CONTACT" if c.contact else None,
                as_str(c.contact) if c.contact else None,
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
    return Table("calls", CALL_FIELDS, rows)


def comments_table(rec: Recorder, clock: PortalClock) -> Table:
    user_str = _interned_str()
    rows = [
        (str(i), clock.iso(c.created), user_str(c.deal), "deal", user_str(c.author), c.text)
        for i, c in enumerate(rec.comments, start=1)
    ]
    return Table("timeline_comments", COMMENT_FIELDS, rows)


def _interned_str() -> Callable[[int], str]:
    """``str(int)`` with one shared object per value: deal and user IDs repeat on millions of rows."""
    cache: dict[int, str] = {}

    def convert(value: int) -> str:
        text = cache.get(value)
        if text is None:
            text = cache[value] = str(value)
        return text

    return convert
