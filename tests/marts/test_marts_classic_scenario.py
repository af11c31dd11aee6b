"""The end-to-end comparisons of test_marts_against_emulator.py, on a portal in the vendor's classic activity
scenario (#12 point 3): only missed incoming calls and callbacks are COMPLETED N there, every other call Y.

One small portal for the module: the conftest's ``built_warehouse`` loads and builds whatever ``portal``
fixture the module provides.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bitrix24_emulator.generator import generate
from bitrix24_emulator.model import PortalData
from tests.marts.conftest import PORTAL_CONFIG
from tests.marts.test_marts_against_emulator import (  # noqa: F401 — collected again with this module's portal
    test_backlog_counts_scheduled_work_only_for_every_deal,
    test_dbt_build_passes_with_every_data_test,
    test_department_ancestors_follow_the_portal_tree,
    test_first_touch_equals_ground_truth_for_every_deal,
    test_report_2_daily_aggregates_equal_counts_from_the_portal_calls,
)

CLASSIC_CONFIG = replace(PORTAL_CONFIG, seed=8, managers=6, activity_scenario="classic")


@pytest.fixture(scope="module")
def portal() -> PortalData:
    return generate(CLASSIC_CONFIG)


@pytest.fixture(scope="module")
def observed_days() -> tuple[date, ...]:
    return ()  # no backlog-history tests here: a backfill only


def test_the_portal_is_in_the_classic_scenario(portal: PortalData) -> None:
    activities = portal.tables["activities"]
    calls = [a for a in map(activities.as_dict, activities.rows) if a["PROVIDER_ID"] == "VOXIMPLANT_CALL"]
    waiting = {a["COMPLETED"] for a in calls if a["SETTINGS"] == [] and a["DIRECTION"] == "1"}
    assert waiting == {"Y"}, "answered incoming calls are completed at once in the classic scenario"
