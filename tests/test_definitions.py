"""The Dagster code location loads, and its asset graph is what we expect (a snapshot of keys, deps, groups).

An accidental change of the graph — a lost dependency between a dbt source and its ingestion asset,
a model in the wrong group — fails here and shows the difference.
"""

import subprocess
import sys
from pathlib import Path

from orchestration.defs.definitions import defs
from orchestration.paths import PROJECT_ROOT

EXPECTED_GRAPH = {
    # asset key: (group, sorted upstream keys); staging models read raw/deletions to hide deleted records
    "raw/users": ("raw", []),
    "raw/departments": ("raw", []),
    "raw/calendar_settings": ("raw", []),
    "raw/absences": ("raw", ["raw/users"]),
    "staging/stg_bitrix24__users": ("staging", ["raw/deletions", "raw/users"]),
    "staging/stg_bitrix24__departments": ("staging", ["raw/deletions", "raw/departments"]),
    "staging/stg_bitrix24__calendar_settings": ("staging", ["raw/calendar_settings", "raw/deletions"]),
    "staging/stg_bitrix24__absences": ("staging", ["raw/absences", "raw/deletions"]),
    "marts/dim_managers": (
        "marts",
        [
            "intermediate/int_departments_in_sales_report",
            "intermediate/int_users_unknown",
            "staging/stg_bitrix24__departments",
            "staging/stg_bitrix24__users",
        ],
    ),
    # #18 point 2: the users the deals, leads, calls and counted activities name that user.get does not
    # list as employees
    "intermediate/int_users_unknown": (
        "intermediate",
        [
            "intermediate/int_responsibles_seen",
            "intermediate/int_users_named",
            "staging/stg_bitrix24__activities",
            "staging/stg_bitrix24__calls",
            "staging/stg_bitrix24__deals",
            "staging/stg_bitrix24__leads",
            "staging/stg_bitrix24__users",
        ],
    ),
    # ... and the former responsibles: every ASSIGNED_BY_ID of every stored deal and lead version
    "intermediate/int_responsibles_seen": ("intermediate", ["raw/deals", "raw/leads"]),
    # ... and every user a staged record that counts names (int_users_unknown's candidates)
    "intermediate/int_users_named": (
        "intermediate",
        [
            "staging/stg_bitrix24__activities",
            "staging/stg_bitrix24__calls",
            "staging/stg_bitrix24__deals",
            "staging/stg_bitrix24__leads",
        ],
    ),
    "intermediate/int_departments_in_sales_report": (
        "intermediate",
        [
            "intermediate/int_departments_ancestors",
            "staging/stg_bitrix24__deals",
            "staging/stg_bitrix24__departments",
            "staging/stg_bitrix24__users",
        ],
    ),
    "alerts/sla_alert_deliveries": ("alerts", ["marts/alert_recipients", "marts/sla_alerts"]),
    "alerts/morning_digests": (
        "alerts",
        [
            "marts/alert_recipients",
            "marts/dim_departments",
            "marts/dim_managers",
            "marts/fct_manager_daily_calls",
            "marts/fct_manager_daily_deals",
        ],
    ),
    # leads (#15): read like deals, their comments with the deals', swept with the deals
    "raw/leads": ("raw", []),
    "raw/lead_stage_history": ("raw", []),
    "raw/timeline_comments": ("raw", ["raw/deals", "raw/leads"]),
    "raw/deletions": (
        "reconciliation",
        ["raw/activities", "raw/deals", "raw/lead_stage_history", "raw/leads"],
    ),
    "staging/stg_bitrix24__leads": (
        "staging",
        ["raw/deletions", "raw/leads", "staging/stg_bitrix24__lead_statuses"],
    ),
    "staging/stg_bitrix24__lead_stage_history": ("staging", ["raw/deletions", "raw/lead_stage_history"]),
    "staging/stg_bitrix24__lead_statuses": ("staging", ["staging/stg_bitrix24__stages"]),
    # the request models are incremental: their change sets read the window's staging tables (#15)
    "intermediate/int_lead_contacts_unioned": (
        "intermediate",
        [
            "raw/deletions",
            "staging/stg_bitrix24__activities",
            "staging/stg_bitrix24__calls",
            "staging/stg_bitrix24__lead_stage_history",
            "staging/stg_bitrix24__leads",
            "staging/stg_bitrix24__timeline_comments",
            "staging/stg_bitrix24__users",
        ],
    ),
    "intermediate/int_request_chains": (
        "intermediate",
        [
            "staging/stg_bitrix24__activities",
            "staging/stg_bitrix24__deals",
            "staging/stg_bitrix24__lead_stage_history",
            "staging/stg_bitrix24__leads",
            "staging/stg_bitrix24__stage_history",
            "staging/stg_bitrix24__timeline_comments",
        ],
    ),
    "intermediate/int_requests_first_touched": (
        "intermediate",
        [
            "intermediate/int_deal_contacts_unioned",
            "intermediate/int_lead_contacts_unioned",
            "intermediate/int_request_chains",
            "staging/stg_bitrix24__activities",
            "staging/stg_bitrix24__deals",
            "staging/stg_bitrix24__lead_stage_history",
            "staging/stg_bitrix24__leads",
            "staging/stg_bitrix24__stage_history",
            "staging/stg_bitrix24__timeline_comments",
        ],
    ),
    # snapshot_at() reads raw deals and activities (the instant the data stands for)
    "marts/managerControl_Request": (
        "marts",
        [
            "intermediate/int_requests_first_touched",
            "intermediate/int_working_time_lookup",
            "raw/activities",
            "raw/deals",
            "staging/stg_bitrix24__activities",
            "staging/stg_bitrix24__deals",
            "staging/stg_bitrix24__lead_stage_history",
            "staging/stg_bitrix24__leads",
            "staging/stg_bitrix24__stage_history",
            "staging/stg_bitrix24__timeline_comments",
            "staging/stg_bitrix24__users",
        ],
    ),
    "marts/fct_manager_daily_leads": (
        "marts",
        [
            "staging/stg_bitrix24__activities",
            "staging/stg_bitrix24__lead_stage_history",
            "staging/stg_bitrix24__leads",
            "staging/stg_bitrix24__timeline_comments",
        ],
    ),
    "marts/fct_lead_backlog_spans": (
        "marts",
        [
            "raw/activities",
            "raw/deletions",
            "raw/leads",
            "staging/stg_bitrix24__activities",
            "staging/stg_bitrix24__lead_stage_history",
            "staging/stg_bitrix24__leads",
            "staging/stg_bitrix24__timeline_comments",
        ],
    ),
}


def _graph():
    graph = {}
    for spec in defs.resolve_all_asset_specs():
        key = spec.key.to_user_string()
        graph[key] = (spec.group_name, sorted(dep.asset_key.to_user_string() for dep in spec.deps))
    return graph


def test_asset_graph_matches_the_snapshot():
    graph = _graph()
    for key, expected in EXPECTED_GRAPH.items():
        assert graph.get(key) == expected, f"{key}: {graph.get(key)} != {expected}"


def test_every_materialisable_asset_has_a_description_and_a_group():
    materialisable = [spec for asset in defs.assets or [] for spec in getattr(asset, "specs", [])]
    assert materialisable
    for spec in materialisable:
        assert spec.group_name, spec.key
        assert spec.description, f"{spec.key.to_user_string()} has no description"


def test_the_quickstart_names_every_asset_group():
    """A group the UI shows but the quickstart does not explain (#19 point 10: `reconciliation`)."""
    quickstart = (PROJECT_ROOT / "docs" / "quickstart.md").read_text()
    groups = {spec.group_name for spec in defs.resolve_all_asset_specs()}
    assert {"raw", "reconciliation"} <= groups
    assert not {group for group in groups if f"* `{group}` —" not in quickstart}


def test_dagster_validates_the_workspace():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_assets_carry_owners_kinds_and_marts_a_freshness_policy():
    materialisable = [spec for asset in defs.assets or [] for spec in getattr(asset, "specs", [])]
    for spec in materialisable:
        name = spec.key.to_user_string()
        assert spec.owners, f"{name} has no owner"
        assert spec.kinds, f"{name} has no kinds"
        if spec.group_name == "marts":
            assert spec.freshness_policy is not None, f"{name} has no freshness policy"
