"""Numbers the simulated records and formats ``activities`` and ``timeline_comments`` wire tables.

Records are numbered in time order (CREATED for activities and comments, call end for telephony rows,
which Bitrix24 writes when a call finishes), then cross-linked: ``ORIGIN_ID`` = ``VI_<CALL_ID>`` and
``CRM_ACTIVITY_ID`` = the call activity's ID.
"""

from __future__ import annotations

from bitrix24_emulator.generator.clock import PortalClock
from bitrix24_emulator.generator.records import CALL, DEAL, EMAIL, LEAD, MEETING, OPEN_LINE, Recorder
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
COMMENT_FIELDS = ("ID", "CREATED", "ENTITY_ID", "ENTITY_TYPE", "AUTHOR_ID", "COMMENT")

# kind -> (TYPE_ID, PROVIDER_ID, PROVIDER_TYPE_ID)
_PROVIDERS = {
    CALL: ("2", "VOXIMPLANT_CALL", "CALL"),
    EMAIL: ("4", "CRM_EMAIL", "EMAIL"),
    OPEN_LINE: ("6", "IMOPENLINES_SESSION", "1"),
    MEETING: ("1", "CRM_MEETING", "MEETING"),
    "todo": ("6", "CRM_TODO", "TODO"),
}
_OWNER_TYPES = {LEAD: "1", DEAL: "2"}
_ENTITY_TYPES = {LEAD: "lead", DEAL: "deal"}  # crm.timeline.comment.list ENTITY_TYPE
_NO_SETTINGS: list[object] = []  # PHP serialises an empty map as []
_MISSED = {"MISSED_CALL": True}
_STREAMS = {1: "2", 2: "1", 3: "1", 4: "3"}  # CALL_TYPE -> RESULT_STREAM when the call went through


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
    rec.comments.sort(key=lambda c: (c.created, c.deal, c.owner_type))


def activities_table(rec: Recorder, clock: PortalClock, max_id: int, universal: bool) -> Table:
    """``max_id``: the largest deal or user ID (for the shared ID strings); ``universal``: the universal
    activity scenario (telephony then marks incoming calls IS_INCOMING_CHANNEL Y)."""
    iso, num = clock.iso, number_strings(max_id)
    rows = []
    records = rec.activities
    for number in range(1, len(records) + 1):
        a = records[number - 1]
        records[number - 1] = None  # type: ignore[call-overload]  # free each record once formatted
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
            # As the vendor's telephony writes a call activity (docs/bitrix24-api.md § crm.activity.list —
            # call activities): RESULT_STATUS is never set; RESULT_STREAM says how a call that went through
            # (code 200) was made, 4 for any other code; SETTINGS.MISSED_CALL marks incoming calls and
            # callbacks with code 304; callbacks are PROVIDER_TYPE_ID CALLBACK without a DIRECTION.
            call = rec.calls[a.call]
            origin = f"VI_{call.call_id}"
            stream = _STREAMS[call.call_type] if call.code == "200" else "4"
            if call.call_type in (2, 4) and call.code == "304":
                settings = _MISSED
            if call.call_type == 4:
                provider_type = "CALLBACK"
            incoming = "Y" if universal and call.call_type in (2, 3) else "N"
        elif a.kind == OPEN_LINE:
            associated = str(100_000 + number)
            origin = f"IMOL_{100_000 + number}"
            result_status, source = ("2" if a.answered else "1"), "livechat"
        elif a.kind != EMAIL:
            incoming = "N"
        rows.append(
            (
                str(number),
                num[a.deal],
                _OWNER_TYPES[a.owner_type],
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
                num[a.responsible],
                "2",
                "0",
                "0",
                "",
                "1",
                num[a.direction],
                "",
                settings,
                None,
                origin,
                num[a.author],
                num[a.author],
                "0",
                result_status,
                stream,
                source,
                "0",
                incoming,
            )
        )
    records.clear()
    return Table("activities", ACTIVITY_FIELDS, rows)


def comments_table(rec: Recorder, clock: PortalClock, max_id: int) -> Table:
    num = number_strings(max_id)
    rows = [
        (str(i), clock.iso(c.created), num[c.deal], _ENTITY_TYPES[c.owner_type], num[c.author], c.text)
        for i, c in enumerate(rec.comments, start=1)
    ]
    return Table("timeline_comments", COMMENT_FIELDS, rows)


def number_strings(limit: int) -> list[str]:
    """``str(i)`` for ``0..limit``, one shared object each: deal and user IDs repeat on millions of rows."""
    return [str(i) for i in range(limit + 1)]
