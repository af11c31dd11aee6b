"""The ground truth is consistent with the rows and can be recomputed from what REST exposes."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pytest

from bitrix24_emulator.generator import GeneratorConfig, generate, write_truth
from bitrix24_emulator.model import DealTruth, PortalData
from tests.support.emulated import HISTORY_END

CONFIG = GeneratorConfig(seed=11, managers=12, days=60, end_date=HISTORY_END)


@pytest.fixture(scope="module")
def portal() -> PortalData:
    return generate(CONFIG)


def rows(portal: PortalData, table: str) -> list[dict]:
    t = portal.tables[table]
    return [t.as_dict(r) for r in t.rows]


def t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def recompute_from_rest_view(portal: PortalData) -> dict[int, tuple[datetime, str, int] | None]:
    """An independent reading of the README rules that looks only at REST-visible fields."""
    employees = {int(u["ID"]) for u in rows(portal, "users") if u["USER_TYPE"] == "employee"}
    deals = {int(d["ID"]): d for d in rows(portal, "deals")}
    connected = {
        c["CALL_ID"]
        for c in rows(portal, "calls")
        if c["CALL_FAILED_CODE"] == "200" and int(c["CALL_DURATION"]) > 0
    }
    kinds = ("call", "email", "open_line", "meeting", "stage_change", "deal_edit", "comment")
    found: dict[int, list[tuple[datetime, int, int, str, int]]] = defaultdict(list)

    def offer(deal: int, when: str, kind: str, row: int, by: int) -> None:
        if by in employees and t(when) >= t(deals[deal]["DATE_CREATE"]):
            found[deal].append((t(when), kinds.index(kind), row, kind, by))

    for a in rows(portal, "activities"):
        deal, row, by = int(a["OWNER_ID"]), int(a["ID"]), int(a["AUTHOR_ID"])
        if a["PROVIDER_ID"] == "VOXIMPLANT_CALL":
            attempt = a["DIRECTION"] == "2" or a["PROVIDER_TYPE_ID"] == "CALLBACK"  # callbacks: no DIRECTION
            if attempt or a["ORIGIN_ID"][3:] in connected:
                offer(deal, a["START_TIME"], "call", row, by)
        elif a["PROVIDER_ID"] == "CRM_EMAIL" and a["DIRECTION"] == "2":
            offer(deal, a["START_TIME"], "email", row, by)
        elif a["PROVIDER_ID"] == "IMOPENLINES_SESSION" and a["RESULT_STATUS"] == "2":
            offer(deal, a["START_TIME"], "open_line", row, by)
        elif a["TYPE_ID"] == "1" and a["COMPLETED"] == "Y":
            offer(deal, a["START_TIME"], "meeting", row, by)
    for c in rows(portal, "timeline_comments"):
        offer(int(c["ENTITY_ID"]), c["CREATED"], "comment", int(c["ID"]), int(c["AUTHOR_ID"]))
    for h in rows(portal, "stage_history"):
        if int(h["TYPE_ID"]) in (2, 3, 5):
            deal = int(h["OWNER_ID"])
            offer(deal, h["CREATED_TIME"], "stage_change", 0, int(deals[deal]["ASSIGNED_BY_ID"]))
    for deal, d in deals.items():
        if t(d["DATE_MODIFY"]) > t(d["DATE_CREATE"]) and d["DATE_MODIFY"] != d["MOVED_TIME"]:
            offer(deal, d["DATE_MODIFY"], "deal_edit", 0, int(d["MODIFY_BY_ID"]))
    out: dict[int, tuple[datetime, str, int] | None] = {}
    for deal in deals:
        best = min(found[deal]) if found[deal] else None
        out[deal] = None if best is None else (best[0], best[3], best[4])
    return out


def test_truth_is_recomputable_from_the_rest_view(portal: PortalData) -> None:
    expected = recompute_from_rest_view(portal)
    assert [x.deal_id for x in portal.truth] == sorted(expected)
    for truth in portal.truth:
        got = (
            None
            if truth.first_touch_at is None
            else (t(truth.first_touch_at), truth.first_touch_kind, truth.first_touch_by)
        )
        assert got == expected[truth.deal_id], truth


def test_truth_matches_deals_and_never_names_the_robot(portal: PortalData) -> None:
    users = {int(u["ID"]): u for u in rows(portal, "users")}
    deals = {int(d["ID"]): d for d in rows(portal, "deals")}
    assert len(portal.truth) == len(deals)
    for truth in portal.truth:
        deal = deals[truth.deal_id]
        assert truth.created_at == deal["DATE_CREATE"] and truth.responsible_id == int(deal["ASSIGNED_BY_ID"])
        if truth.first_touch_at is not None:
            assert users[truth.first_touch_by]["USER_TYPE"] == "employee"
            assert t(truth.first_touch_at) >= t(truth.created_at)
    kinds = {x.first_touch_kind for x in portal.truth}
    assert kinds == {None, "call", "email", "open_line", "meeting", "stage_change", "deal_edit", "comment"}


def test_traps_exist_and_are_not_counted(portal: PortalData) -> None:
    robot = next(u["ID"] for u in rows(portal, "users") if u["USER_TYPE"] == "bot")
    deals = {d["ID"]: d for d in rows(portal, "deals")}
    truth = {str(x.deal_id): x for x in portal.truth}
    activities = rows(portal, "activities")
    robot_rows = [a for a in activities if a["AUTHOR_ID"] == robot]
    assert {a["PROVIDER_ID"] for a in robot_rows} >= {"CRM_EMAIL", "IMOPENLINES_SESSION", "CRM_TODO"}
    early = [a for a in activities if t(a["START_TIME"]) < t(deals[a["OWNER_ID"]]["DATE_CREATE"])]
    assert early, "bad data on purpose: activities older than their deal"
    for a in early:
        touch = truth[a["OWNER_ID"]].first_touch_at
        assert touch is None or t(touch) >= t(deals[a["OWNER_ID"]]["DATE_CREATE"])
    # Untouched deals that still have a to-do planned (not a contact) and ones with robot mail only.
    untouched = {k for k, x in truth.items() if x.first_touch_at is None}
    assert any(a["OWNER_ID"] in untouched and a["PROVIDER_ID"] == "CRM_TODO" for a in activities)
    assert any(a["OWNER_ID"] in untouched and a in robot_rows for a in activities)
    # Same-instant contact: the deal was created during the call.
    assert any(x.first_touch_at == x.created_at for x in portal.truth)


def test_operational_patterns_exist(portal: PortalData) -> None:
    snapshot = t(portal.snapshot_at)
    deals = {d["ID"]: d for d in rows(portal, "deals")}
    open_deals = {k for k, d in deals.items() if d["STAGE_SEMANTIC_ID"] == "P"}
    open_acts = [a for a in rows(portal, "activities") if a["COMPLETED"] == "N"]
    overdue = {a["OWNER_ID"] for a in open_acts if t(a["DEADLINE"]) < snapshot}
    assert overdue & open_deals
    assert any(a["PROVIDER_ID"] == "CRM_TODO" and t(a["DEADLINE"]) < snapshot for a in open_acts)
    assert open_deals - {a["OWNER_ID"] for a in open_acts}, "open deals without any planned activity"
    assert {"S", "F"} <= {d["STAGE_SEMANTIC_ID"] for d in deals.values()}
    assert any(x.first_touch_at is None for x in portal.truth)


def test_unhealthy_call_profiles_show_in_the_calls() -> None:
    calls = rows(generate(CONFIG), "calls")
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # outgoing, connected, talk seconds
    for c in calls:
        if c["PORTAL_USER_ID"] is None:
            continue
        s = stats[c["PORTAL_USER_ID"]]
        s[0] += c["CALL_TYPE"] == "1"
        if c["CALL_FAILED_CODE"] == "200" and int(c["CALL_DURATION"]) > 0:
            s[1] += 1
            s[2] += int(c["CALL_DURATION"])
    busy = {u: s for u, s in stats.items() if s[0] > 100}
    rate = {u: s[1] / s[0] for u, s in busy.items()}
    talk = {u: s[2] / s[1] for u, s in busy.items() if s[1]}

    def quartile(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[int(q * (len(ordered) - 1))]

    dialers = [
        u
        for u in busy
        if busy[u][0] >= quartile([s[0] for s in busy.values()], 0.75)
        and rate[u] <= quartile(list(rate.values()), 0.25)
    ]
    short = [
        u
        for u in talk
        if busy[u][1] >= quartile([s[1] for s in busy.values()], 0.5)
        and talk[u] <= quartile(list(talk.values()), 0.25)
    ]
    assert dialers and short


def test_write_truth_exports_what_the_oracle_needs(portal: PortalData, tmp_path: Path) -> None:
    paths = {p.name: p for p in write_truth(portal, tmp_path)}
    assert set(paths) == {
        "deal_truth.csv",
        "request_truth.csv",
        "users.csv",
        "schedules.csv",
        "absences.csv",
        "portal.json",
    }
    with paths["deal_truth.csv"].open(encoding="utf-8") as handle:
        exported = list(csv.DictReader(handle))
    assert len(exported) == len(portal.truth)
    first = portal.truth[0]
    assert exported[0] == {
        "deal_id": str(first.deal_id),
        "responsible_id": str(first.responsible_id),
        "created_at": first.created_at,
        "first_touch_at": first.first_touch_at or "",
        "first_touch_kind": first.first_touch_kind or "",
        "first_touch_by": "" if first.first_touch_by is None else str(first.first_touch_by),
    }
    with paths["schedules.csv"].open(encoding="utf-8") as handle:
        schedules = list(csv.DictReader(handle))
    assert {s["kind"] for s in schedules} == {"portal", "fixed", "shift"}
    with paths["users.csv"].open(encoding="utf-8") as handle:
        zones = {u["time_zone"] for u in csv.DictReader(handle)}
    assert "Europe/Moscow" in zones and len(zones) > 1 and "" not in zones
    with paths["absences.csv"].open(encoding="utf-8") as handle:
        absences = list(csv.DictReader(handle))
    assert absences and all(t(a["starts_at"]) < t(a["ends_at"]) for a in absences)


def test_dealtruth_type_is_the_models() -> None:
    assert all(
        isinstance(x, DealTruth)
        for x in generate(GeneratorConfig(managers=6, days=5, end_date=HISTORY_END)).truth
    )
