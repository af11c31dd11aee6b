"""Wire shapes, ID order and referential integrity of the generated portal."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from bitrix24_emulator.generator import GeneratorConfig, generate, portal_fingerprint
from bitrix24_emulator.model import PortalData
from tests.support.emulated import HISTORY_END

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
SMALL = GeneratorConfig(seed=7, managers=10, days=45, end_date=HISTORY_END)


@pytest.fixture(scope="module")
def portal() -> PortalData:
    return generate(SMALL)


def rows(portal: PortalData, table: str) -> list[dict]:
    t = portal.tables[table]
    return [t.as_dict(r) for r in t.rows]


def test_same_seed_same_bytes_other_seed_other_data() -> None:
    first = portal_fingerprint(generate(SMALL))
    assert first == portal_fingerprint(generate(SMALL))
    assert first != portal_fingerprint(
        generate(GeneratorConfig(seed=8, managers=10, days=45, end_date=HISTORY_END))
    )


def test_output_does_not_depend_on_the_process_hash_seed() -> None:
    """Set iteration order varies with PYTHONHASHSEED; the data must not."""
    expected = portal_fingerprint(generate(GeneratorConfig(managers=6, days=20, end_date=HISTORY_END)))
    for hash_seed in ("1", "2"):
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "bitrix24_emulator.generator",
                "--managers",
                "6",
                "--days",
                "20",
                "--end-date",
                HISTORY_END.isoformat(),
                "--fingerprint",
            ],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            cwd=Path(__file__).resolve().parents[2],
        ).stdout
        assert f"fingerprint={expected}" in out


@pytest.mark.parametrize(
    "table",
    [
        "users",
        "departments",
        "categories",
        "statuses",
        "deals",
        "activities",
        "stage_history",
        "calls",
        "timeline_comments",
        "absences",
    ],
)
def test_ids_are_unique_and_ascending(portal: PortalData, table: str) -> None:
    t = portal.tables[table]
    assert t.rows, table
    ids = [int(r[t.index_of(t.id_field)]) for r in t.rows]
    assert ids == sorted(set(ids))
    assert all(len(r) == len(t.fields) for r in t.rows)


def test_users_and_departments(portal: PortalData) -> None:
    users, departments = rows(portal, "users"), rows(portal, "departments")
    dep_ids = {int(d["ID"]) for d in departments}
    parents = {int(d["ID"]): d["PARENT"] and int(d["PARENT"]) for d in departments}

    def depth(dep: int) -> int:
        return 1 if not parents[dep] else 1 + depth(parents[dep])

    assert max(depth(d) for d in dep_ids) >= 3
    assert all(d["UF_HEAD"] is None or any(u["ID"] == d["UF_HEAD"] for u in users) for d in departments)
    for u in users:
        assert isinstance(u["ID"], str) and isinstance(u["ACTIVE"], bool)
        assert all(isinstance(dep, int) and dep in dep_ids for dep in u["UF_DEPARTMENT"])
        assert ISO.match(u["DATE_REGISTER"])
    types = Counter(u["USER_TYPE"] for u in users)
    assert types["bot"] == 1 and types["employee"] == len(users) - 1
    assert any(not u["ACTIVE"] for u in users)  # somebody was fired
    assert {u["TIME_ZONE"] for u in users} - {""}  # somebody works in another zone


def test_calendar_settings(portal: PortalData) -> None:
    s = portal.calendar_settings
    assert (s["work_time_start"], s["work_time_end"], s["week_holidays"], s["week_start"]) == (
        "9",
        "18",
        ["SA", "SU"],
        "MO",
    )
    assert re.match(r"^(\d{1,2}\.\d\d,)*\d{1,2}\.\d\d$", s["year_holidays"])
    assert ISO.match(portal.snapshot_at)


def test_deals_are_in_wire_format(portal: PortalData) -> None:
    statuses = {s["STATUS_ID"]: s for s in rows(portal, "statuses")}
    categories = {c["id"] for c in rows(portal, "categories")}
    assert len(categories) >= 2
    for d in rows(portal, "deals"):
        assert all(v is None or isinstance(v, str) for v in d.values())
        for field in ("DATE_CREATE", "DATE_MODIFY", "MOVED_TIME", "BEGINDATE", "CLOSEDATE"):
            assert ISO.match(d[field]) and d[field].endswith("+03:00"), field
        assert (
            d["DATE_CREATE"] <= d["DATE_MODIFY"] and d["DATE_CREATE"] <= d["MOVED_TIME"] <= d["DATE_MODIFY"]
        )
        cat = int(d["CATEGORY_ID"])
        assert cat in categories
        assert d["STAGE_ID"].startswith(f"C{cat}:") if cat else ":" not in d["STAGE_ID"]
        status = statuses[d["STAGE_ID"]]
        assert d["STAGE_SEMANTIC_ID"] == (status["SEMANTICS"] or "P")
        assert d["CLOSED"] == ("N" if d["STAGE_SEMANTIC_ID"] == "P" else "Y")
        assert {d["OPENED"], d["IS_NEW"]} <= {"Y", "N"}


def test_stage_history_sends_numbers_as_strings_and_follows_deals(portal: PortalData) -> None:
    deals = {int(d["ID"]): d for d in rows(portal, "deals")}
    last: dict[int, dict] = {}
    history = rows(portal, "stage_history")
    assert {h["TYPE_ID"] for h in history} == {"1", "2", "3", "5"}  # created, moved, closed, pipeline changed
    for h in history:
        assert all(isinstance(h[f], str) for f in ("ID", "TYPE_ID", "OWNER_ID", "CATEGORY_ID"))
        assert ISO.match(h["CREATED_TIME"])
        last[int(h["OWNER_ID"])] = h
    assert set(last) == set(deals)
    for deal_id, h in last.items():  # the newest history row is the deal's current stage
        assert deals[deal_id]["STAGE_ID"] == h["STAGE_ID"]
        if h["TYPE_ID"] != "1":
            assert deals[deal_id]["MOVED_TIME"] == h["CREATED_TIME"]


def test_activities_point_at_deals_and_calls_link_both_ways(portal: PortalData) -> None:
    deal_ids = {d["ID"] for d in rows(portal, "deals")}
    user_ids = {u["ID"] for u in rows(portal, "users")}
    activities = rows(portal, "activities")
    by_id = {a["ID"]: a for a in activities}
    for a in activities:
        assert a["OWNER_TYPE_ID"] == "2" and a["OWNER_ID"] in deal_ids
        assert a["RESPONSIBLE_ID"] in user_ids and a["AUTHOR_ID"] in user_ids
        assert a["COMPLETED"] in ("Y", "N") and a["DIRECTION"] in ("0", "1", "2")
        for f in ("CREATED", "LAST_UPDATED", "START_TIME", "END_TIME", "DEADLINE"):
            assert ISO.match(a[f]), f
        assert (a["TYPE_ID"], a["PROVIDER_ID"]) in {
            ("2", "VOXIMPLANT_CALL"),
            ("4", "CRM_EMAIL"),
            ("6", "IMOPENLINES_SESSION"),
            ("6", "CRM_TODO"),
            ("1", "CRM_MEETING"),
        }
    linked = 0
    for c in rows(portal, "calls"):
        assert c["CALL_TYPE"] in {"1", "2", "3", "4", "5"} and c["CALL_DURATION"].isdigit()
        assert ISO.match(c["CALL_START_DATE"])
        if c["CRM_ACTIVITY_ID"] is not None:
            linked += 1
            act = by_id[c["CRM_ACTIVITY_ID"]]
            assert act["ORIGIN_ID"] == f"VI_{c['CALL_ID']}" and act["TYPE_ID"] == "2"
            assert act["START_TIME"] == c["CALL_START_DATE"] and act["AUTHOR_ID"] == c["PORTAL_USER_ID"]
    call_activities = [a for a in activities if a["TYPE_ID"] == "2"]
    assert linked == len(call_activities) > 0


def test_call_failure_codes_and_types_are_varied() -> None:
    calls = rows(generate(GeneratorConfig(seed=3, managers=12, days=60, end_date=HISTORY_END)), "calls")
    codes = Counter(c["CALL_FAILED_CODE"] for c in calls)
    assert {"200", "304", "603", "603-S", "486", "OTHER"} <= set(codes)
    assert {c["CALL_TYPE"] for c in calls} == {"1", "2", "3", "4", "5"}


def test_comments_and_absences(portal: PortalData) -> None:
    deal_ids = {d["ID"] for d in rows(portal, "deals")}
    for c in rows(portal, "timeline_comments"):
        assert c["ENTITY_TYPE"] == "deal" and c["ENTITY_ID"] in deal_ids and ISO.match(c["CREATED"])
    absences = rows(portal, "absences")
    assert absences
    for a in absences:
        assert a["FROM_HR"] is True and a["ACCESSIBILITY"] == "absent"
        assert re.match(r"^\d\d\.\d\d\.\d{4}( \d\d:\d\d:\d\d)?$", a["DT_FROM"])
        assert isinstance(a["FROM"], int) and a["FROM"] <= a["TO"]
        fmt = "%d.%m.%Y %H:%M:%S" if " " in a["DT_FROM"] else "%d.%m.%Y"
        assert datetime.strptime(a["DT_FROM"], fmt) <= datetime.strptime(a["DT_TO"], fmt)


def test_volumes_are_those_of_a_real_department(portal: PortalData) -> None:
    managers = sum(
        1 for u in rows(portal, "users") if u["WORK_POSITION"].startswith(("Менеджер", "Руководитель г"))
    )
    working_days = SMALL.days * 5 / 7
    per_manager_day_calls = len(portal.tables["calls"].rows) / managers / working_days
    per_manager_day_deals = len(portal.tables["deals"].rows) / managers / working_days
    assert 10 <= per_manager_day_calls <= 80
    assert 1 <= per_manager_day_deals <= 8
