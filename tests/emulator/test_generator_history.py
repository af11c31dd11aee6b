"""The portal's past: completion instants, the portal as of an earlier instant, the backlog truth per day."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.generator.history import backlog_truth, completion_instant, end_of_day, portal_as_of
from bitrix24_emulator.model import PortalData

CONFIG = GeneratorConfig(seed=7, managers=8, departments=2, days=30, end_date=date(2026, 11, 1))
PAST_DAY = date(2026, 10, 20)


@pytest.fixture(scope="module")
def portal() -> PortalData:
    return generate(CONFIG)


def activities(portal: PortalData) -> list[dict]:
    table = portal.tables["activities"]
    return [table.as_dict(r) for r in table.rows]


def ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_done_activities_have_a_completion_instant_some_hidden_by_a_later_edit(portal: PortalData) -> None:
    done = [a for a in activities(portal) if a["COMPLETED"] == "Y"]
    for row in done:
        assert ts(row["CREATED"]) <= completion_instant(portal, row) <= ts(row["LAST_UPDATED"]), row["ID"]
    edited = [a for a in done if int(a["ID"]) in portal.activity_completed_at]
    # the share a backfill cannot date exactly: some, not most
    assert 0.01 < len(edited) / len(done) < 0.2
    assert all(completion_instant(portal, a) < ts(a["LAST_UPDATED"]) for a in edited)


def test_portal_as_of_shows_what_rest_returned_then(portal: PortalData) -> None:
    instant = end_of_day(portal, PAST_DAY)
    past = portal_as_of(portal, instant)
    then = {int(a["ID"]): a for a in activities(past)}
    assert past.snapshot_at == "2026-10-20T23:59:59+03:00"
    later = [a for a in activities(portal) if ts(a["CREATED"]) > instant.timestamp()]
    assert later and not any(int(a["ID"]) in then for a in later)
    reopened = edited_later = 0
    for row in activities(portal):
        old = then.get(int(row["ID"]))
        if old is None or row["COMPLETED"] != "Y":
            continue
        done = completion_instant(portal, row)
        if done > instant.timestamp():
            reopened += 1
            assert (old["COMPLETED"], old["LAST_UPDATED"]) == ("N", row["CREATED"])
        elif ts(row["LAST_UPDATED"]) > instant.timestamp():
            edited_later += 1
            assert old["COMPLETED"] == "Y" and ts(old["LAST_UPDATED"]) == done
        else:
            assert old == row
    assert reopened and edited_later
    # a deal shows the stage of its last move by then
    history = past.tables["stage_history"]
    last_stage = {}
    for raw in history.rows:
        move = history.as_dict(raw)
        last_stage[int(move["OWNER_ID"])] = move["STAGE_SEMANTIC_ID"]
    deals = [past.tables["deals"].as_dict(r) for r in past.tables["deals"].rows]
    assert len(deals) < len(portal.tables["deals"].rows)
    assert {d["STAGE_SEMANTIC_ID"] for d in deals} == {"P", "S", "F"}
    assert all(d["STAGE_SEMANTIC_ID"] == last_stage[int(d["ID"])] for d in deals)


def test_backlog_truth_of_the_past_portal_equals_the_truth_of_its_days(portal: PortalData) -> None:
    truth = backlog_truth(portal)
    first_day = min(day for _, day in truth)
    past = backlog_truth(portal_as_of(portal, end_of_day(portal, PAST_DAY)), first_day)
    assert past == {key: value for key, value in truth.items() if key[1] <= PAST_DAY}
    # the backlog is not empty on past days: both measures are non-zero somewhere before PAST_DAY
    assert any(v[0] for k, v in past.items()) and any(v[1] for k, v in past.items())
