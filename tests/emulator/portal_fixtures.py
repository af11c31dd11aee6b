"""Small hand-built portals for the server tests, independent of the data generator.

Values follow the wire formats of docs/bitrix24-api.md § Value formats (strings for legacy CRM, ``Y``/``N``,
ISO with the portal offset, native ints in stage history, portal-format user timestamps) and are simple
functions of the row number, so a test can compute what the server should answer from the rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bitrix24_emulator.model import PortalData, Table

ZONE = ZoneInfo("Europe/Moscow")
EPOCH = datetime(2025, 1, 6, 9, 0, tzinfo=ZONE)  # a Monday


def iso(moment: datetime) -> str:
    return moment.astimezone(ZONE).isoformat(timespec="seconds")


def deal_created(i: int) -> datetime:
    return EPOCH + timedelta(hours=3 * i)


def _users() -> Table:
    fields = (
        "ID",
        "ACTIVE",
        "NAME",
        "LAST_NAME",
        "EMAIL",
        "UF_DEPARTMENT",
        "TIME_ZONE",
        "TIMESTAMP_X",
        "USER_TYPE",
    )
    rows = [
        (
            str(i),
            i % 10 != 0,
            f"Name{i}",
            f"Last{i}",
            f"user{i}@example.com",
            [1 + i % 3],
            "",
            f"{1 + i % 28:02d}.01.2025 10:00:00",
            "employee",
        )
        for i in range(1, 121)
    ]
    return Table("users", fields, rows)


def _departments() -> Table:
    fields = ("ID", "NAME", "SORT", "PARENT", "UF_HEAD")
    rows = [
        ("1", "Company", 500, None, "1"),
        ("2", "Sales", 500, "1", "2"),
        ("3", "Sales team A", 500, "2", "3"),
        ("4", "Sales team B", 600, "2", None),
    ]
    return Table("departments", fields, rows)


def _categories() -> Table:
    fields = ("id", "name", "sort", "entityTypeId", "isDefault", "originId", "originatorId")
    rows = [(0, "General", 100, 2, "Y", "", ""), (1, "Partners", 200, 2, "N", "", "")]
    return Table("categories", fields, rows, id_field="id")


def _statuses() -> Table:
    fields = ("ID", "ENTITY_ID", "STATUS_ID", "NAME", "SORT", "SYSTEM", "CATEGORY_ID", "SEMANTICS")
    stages = [("NEW", None), ("WORK", None), ("WON", "S"), ("LOSE", "F")]
    rows = []
    for cat, entity, prefix in ((0, "DEAL_STAGE", ""), (1, "DEAL_STAGE_1", "C1:")):
        for sort, (code, semantics) in enumerate(stages, 1):
            rows.append(
                (
                    str(len(rows) + 1),
                    entity,
                    prefix + code,
                    code.title(),
                    str(sort * 10),
                    "Y",
                    str(cat),
                    semantics,
                )
            )
    rows += [
        (str(len(rows) + 1 + i), "SOURCE", code, code.title(), str(10 * (i + 1)), "N", None, None)
        for i, code in enumerate(("CALL", "EMAIL", "WEB"))
    ]
    return Table("statuses", fields, rows)


DEAL_STAGES = ("NEW", "WORK", "WON", "LOSE")


def _deals(count: int) -> Table:
    fields = (
        "ID",
        "TITLE",
        "CATEGORY_ID",
        "STAGE_ID",
        "STAGE_SEMANTIC_ID",
        "OPPORTUNITY",
        "ASSIGNED_BY_ID",
        "DATE_CREATE",
        "DATE_MODIFY",
        "BEGINDATE",
        "CLOSED",
        "COMPANY_ID",
        "CONTACT_IDS",
        "UF_CRM_SOURCE",
    )
    rows = []
    for i in range(1, count + 1):
        cat = i % 2
        stage = DEAL_STAGES[i % 4]
        created = deal_created(i)
        rows.append(
            (
                str(i),
                f"Deal {i}{' VIP' if i % 7 == 0 else ''}",
                str(cat),
                ("C1:" if cat else "") + stage,
                {"WON": "S", "LOSE": "F"}.get(stage, "P"),
                f"{i * 100}.00",
                str(1 + i % 5),
                iso(created),
                iso(created + timedelta(minutes=30 + i % 11)),
                created.replace(hour=0, minute=0).isoformat(timespec="seconds"),
                "Y" if stage in ("WON", "LOSE") else "N",
                None if i % 3 else str(i // 3),
                [str(i)],
                f"src{i % 4}",
            )
        )
    return Table("deals", fields, rows)


def _activities(deals: int) -> Table:
    fields = (
        "ID",
        "OWNER_ID",
        "OWNER_TYPE_ID",
        "TYPE_ID",
        "PROVIDER_ID",
        "PROVIDER_TYPE_ID",
        "SUBJECT",
        "START_TIME",
        "END_TIME",
        "DEADLINE",
        "COMPLETED",
        "STATUS",
        "RESPONSIBLE_ID",
        "DIRECTION",
        "CREATED",
        "LAST_UPDATED",
        "ORIGIN_ID",
        "COMMUNICATIONS",
        "SETTINGS",
    )
    rows = []
    for i in range(1, 2 * deals + 1):
        deal = 1 + (i - 1) // 2
        start = deal_created(deal) + timedelta(minutes=20 * (i % 2) + 5)
        call = i % 2 == 1
        rows.append(
            (
                str(i),
                str(deal),
                "2",
                "2" if call else "6",
                "VOXIMPLANT_CALL" if call else "CRM_TODO",
                "CALL" if call else "TODO",
                f"Activity {i}",
                iso(start),
                iso(start + timedelta(minutes=3)),
                iso(start + timedelta(minutes=3)),
                "Y" if i % 3 else "N",
                "2" if i % 3 else "1",
                str(1 + deal % 5),
                "2" if call else "0",
                iso(start),
                iso(start),
                f"VI_call{i}" if call else "",
                [{"TYPE": "PHONE", "VALUE": f"+7900{i:07d}"}],
                {},
            )
        )
    return Table("activities", fields, rows)


def _stage_history(deals: int) -> Table:
    fields = ("ID", "TYPE_ID", "OWNER_ID", "CREATED_TIME", "CATEGORY_ID", "STAGE_SEMANTIC_ID", "STAGE_ID")
    rows = [
        (i, 1, i, iso(deal_created(i)), i % 2, "P", ("C1:" if i % 2 else "") + "NEW")
        for i in range(1, deals + 1)
    ]
    return Table("stage_history", fields, rows)


def _calls(count: int) -> Table:
    fields = (
        "ID",
        "CALL_ID",
        "PORTAL_USER_ID",
        "PHONE_NUMBER",
        "CALL_TYPE",
        "CALL_DURATION",
        "CALL_START_DATE",
        "CALL_FAILED_CODE",
        "CRM_ENTITY_TYPE",
        "CRM_ENTITY_ID",
        "CRM_ACTIVITY_ID",
    )
    rows = [
        (
            str(i),
            f"externalCall.{i:06d}",
            str(1 + i % 5),
            f"+7900{i:07d}",
            str(1 + i % 2),
            str((i * 7) % 120),
            iso(EPOCH + timedelta(minutes=17 * i)),
            "200" if i % 4 else "304",
            "CONTACT",
            str(i),
            str(2 * i - 1),
        )
        for i in range(1, count + 1)
    ]
    return Table("calls", fields, rows)


def _comments() -> Table:
    fields = ("ID", "CREATED", "ENTITY_ID", "ENTITY_TYPE", "AUTHOR_ID", "COMMENT", "FILES")
    rows = [
        (str(i), iso(deal_created(i)), str(1 + i % 3), "deal", "1", f"Comment {i}", None)
        for i in range(1, 10)
    ]
    return Table("timeline_comments", fields, rows)


def _absences() -> Table:
    fields = ("ID", "USER_ID", "FROM_HR", "DT_FROM", "DT_TO", "ACCESSIBILITY", "IMPORTANCE", "FROM", "TO")
    spans = [
        (1, 2, datetime(2025, 1, 13, tzinfo=ZONE), 5),
        (2, 2, datetime(2025, 3, 3, tzinfo=ZONE), 3),
        (3, 3, datetime(2025, 1, 20, tzinfo=ZONE), 10),
    ]
    rows = []
    for ident, user, start, days in spans:
        end = start + timedelta(days=days) - timedelta(seconds=1)
        rows.append(
            (
                str(ident),
                user,
                True,
                start.strftime("%d.%m.%Y %H:%M:%S"),
                end.strftime("%d.%m.%Y %H:%M:%S"),
                "absent",
                "normal",
                int(start.timestamp()),
                int(end.timestamp()),
            )
        )
    return Table("absences", fields, rows)


CALENDAR_SETTINGS = {
    "work_time_start": "9",
    "work_time_end": "18",
    "week_holidays": ["SA", "SU"],
    "week_start": "MO",
    "year_holidays": "1.01,2.01,7.01,23.02,8.03,1.05,9.05,12.06,4.11",
    "year_workdays": "31.12",
}


def make_portal(deals: int = 130, calls: int = 130, seed: int = 7) -> PortalData:
    """A portal of ``deals`` deals (two activities each) and ``calls`` call-statistics rows."""
    return PortalData(
        portal_time_zone="Europe/Moscow",
        snapshot_at=iso(deal_created(deals + 1)),
        calendar_settings=dict(CALENDAR_SETTINGS),
        tables={
            "users": _users(),
            "departments": _departments(),
            "categories": _categories(),
            "statuses": _statuses(),
            "deals": _deals(deals),
            "activities": _activities(deals),
            "stage_history": _stage_history(deals),
            "calls": _calls(calls),
            "timeline_comments": _comments(),
            "absences": _absences(),
        },
        seed=seed,
    )
