"""Call activities as the vendor's telephony writes them, in both activity scenarios (#12 points 2 and 3).

Facts and their vendor sources: docs/bitrix24-api.md § crm.activity.list — call activities.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.model import PortalData
from tests.support.emulated import HISTORY_END

CLASSIC = GeneratorConfig(
    seed=5, managers=8, departments=2, days=40, activity_scenario="classic", end_date=HISTORY_END
)
UNIVERSAL = replace(CLASSIC, activity_scenario="universal")
_STREAM_WHEN_CONNECTED = {"1": "2", "2": "1", "3": "1", "4": "3"}  # CALL_TYPE -> RESULT_STREAM, code 200
# Fields the activity scenario may change on a call activity; everything else is the same in both.
_SCENARIO_FIELDS = {"COMPLETED", "STATUS", "LAST_UPDATED", "IS_INCOMING_CHANNEL"}


def _rows(portal: PortalData, table: str) -> list[dict]:
    t = portal.tables[table]
    return [t.as_dict(r) for r in t.rows]


def _call_activities(portal: PortalData) -> list[tuple[dict, dict]]:
    """(activity, its statistic row) for every call activity, linked through ORIGIN_ID = VI_<CALL_ID>."""
    calls = {c["CALL_ID"]: c for c in _rows(portal, "calls")}
    return [
        (a, calls[a["ORIGIN_ID"].removeprefix("VI_")])
        for a in _rows(portal, "activities")
        if a["PROVIDER_ID"] == "VOXIMPLANT_CALL"
    ]


@pytest.fixture(scope="module")
def classic() -> PortalData:
    return generate(CLASSIC)


@pytest.fixture(scope="module")
def universal() -> PortalData:
    return generate(UNIVERSAL)


def test_the_universal_scenario_is_the_default() -> None:
    assert GeneratorConfig().activity_scenario == "universal"
    with pytest.raises(ValueError, match="activity_scenario"):
        GeneratorConfig(activity_scenario="modern")  # type: ignore[arg-type]


@pytest.mark.parametrize("scenario", ["classic", "universal"])
def test_call_activities_carry_result_stream_and_missed_flag_never_result_status(
    scenario: str, classic: PortalData, universal: PortalData
) -> None:
    portal = classic if scenario == "classic" else universal
    pairs = _call_activities(portal)
    assert {c["CALL_TYPE"] for _, c in pairs} == {"1", "2", "4"}, "outgoing, incoming and callbacks"
    for activity, call in pairs:
        code, call_type = call["CALL_FAILED_CODE"], call["CALL_TYPE"]
        assert activity["RESULT_STATUS"] == "0", activity
        expected_stream = _STREAM_WHEN_CONNECTED[call_type] if code == "200" else "4"
        assert activity["RESULT_STREAM"] == expected_stream, (activity, call)
        missed = call_type in ("2", "4") and code == "304"
        assert activity["SETTINGS"] == ({"MISSED_CALL": True} if missed else []), (activity, call)
        callback = call_type == "4"
        assert activity["PROVIDER_TYPE_ID"] == ("CALLBACK" if callback else "CALL")
        assert activity["DIRECTION"] == {"1": "2", "2": "1", "4": "0"}[call_type]
        # END_TIME = START_TIME + CALL_DURATION: the fallback rule of the first touch reads it
        talk = datetime.fromisoformat(activity["END_TIME"]) - datetime.fromisoformat(activity["START_TIME"])
        assert talk.total_seconds() == int(call["CALL_DURATION"])


def test_classic_scenario_leaves_only_missed_incoming_calls_and_callbacks_open(classic: PortalData) -> None:
    for activity, call in _call_activities(classic):
        waiting = call["CALL_TYPE"] in ("2", "4") and call["CALL_FAILED_CODE"] == "304"
        assert activity["COMPLETED"] == ("N" if waiting else "Y"), (activity, call)
        assert activity["IS_INCOMING_CHANNEL"] == "N"


def test_universal_scenario_leaves_incoming_calls_open_until_a_later_call_connects(
    universal: PortalData,
) -> None:
    snapshot = datetime.fromisoformat(universal.snapshot_at)
    per_deal: dict[str, list[tuple[dict, dict]]] = {}
    for activity, call in _call_activities(universal):
        per_deal.setdefault(activity["OWNER_ID"], []).append((activity, call))
    handled = waiting = 0
    for pairs in per_deal.values():
        ends_connected = sorted(
            datetime.fromisoformat(a["END_TIME"])
            for a, c in pairs
            if int(c["CALL_DURATION"]) > 0
            and c["CALL_FAILED_CODE"] != "304"
            and datetime.fromisoformat(a["END_TIME"]) < snapshot
        )
        for activity, call in pairs:
            end = datetime.fromisoformat(activity["END_TIME"])
            assert activity["IS_INCOMING_CHANNEL"] == ("Y" if call["CALL_TYPE"] == "2" else "N")
            if call["CALL_TYPE"] == "1":
                assert activity["COMPLETED"] == "Y"
            elif call["CALL_TYPE"] == "4":
                assert activity["COMPLETED"] == "N"  # callbacks are not completed by later calls
            else:
                # completed by the first connected call that ended at or after it (not itself)
                later = [e for e in ends_connected if e > end]
                if later:
                    handled += 1
                    assert activity["COMPLETED"] == "Y", activity
                    assert datetime.fromisoformat(activity["LAST_UPDATED"]) == later[0]
                else:
                    waiting += 1
                    assert activity["COMPLETED"] == "N", activity
    assert handled and waiting, "both handled and still waiting incoming calls exist"


def test_the_scenario_changes_only_call_completion_and_never_the_truth(
    classic: PortalData, universal: PortalData
) -> None:
    assert universal.truth == classic.truth
    for name, table in classic.tables.items():
        if name != "activities":
            assert universal.tables[name].rows == table.rows, name
    fields = classic.tables["activities"].fields
    changed: set[str] = set()
    for old, new in zip(_rows(classic, "activities"), _rows(universal, "activities"), strict=True):
        diff = {f for f in fields if old[f] != new[f]}
        if diff:
            assert old["PROVIDER_ID"] == "VOXIMPLANT_CALL", (old, new)
            changed |= diff
    assert changed and changed <= _SCENARIO_FIELDS


def test_serve_takes_the_activity_scenario() -> None:
    """``b24ops emulator serve --activity-scenario classic`` (the CLI passes its arguments through)."""
    import typer

    from bitrix24_emulator.cli import app

    serve = typer.main.get_command(app).commands["serve"]  # type: ignore[attr-defined]
    assert serve.make_context("serve", []).params["activity_scenario"] == "universal"
    assert (
        serve.make_context("serve", ["--activity-scenario", "classic"]).params["activity_scenario"]
        == "classic"
    )
    with pytest.raises(Exception, match="not one of"):  # typer's own BadParameter
        serve.make_context("serve", ["--activity-scenario", "modern"])
