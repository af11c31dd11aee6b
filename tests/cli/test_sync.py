"""`b24ops sync --from --to`: the documented command, in a subprocess, against the emulator over HTTP."""

import os
import subprocess
import sys

import dagster as dg
import pytest

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.server import Hostile, HostileCase
from bitrix24_emulator.testing import listed_users, running_emulator
from orchestration.defs.partitions import daily_partitions
from orchestration.warehouse.bootstrap import connect
from tests.ingestion import harness
from tests.support.emulated import HISTORY_END

pytestmark = pytest.mark.integration


def test_sync_loads_the_range_and_prints_what_it_cost(fresh_database):
    portal = generate(GeneratorConfig(seed=5, managers=6, days=15, end_date=HISTORY_END))
    # The days holding the portal's changes: each day outside them would still cost a request per feed,
    # paced at the standard plan's 2 requests/s, and only make the test slower.
    first, last = harness.history_days(portal)
    with running_emulator(portal, fast=True) as emu:
        env = {**os.environ, "B24_WEBHOOK_URL": emu.webhook_url, "WAREHOUSE_URL": fresh_database.libpq_url(),
               "COLUMNS": "200", "B24_PLAN": "standard"}  # fmt: skip
        result = subprocess.run(
            [sys.executable, "-m", "orchestration.cli", "sync", "--from", first, "--to", last],
            capture_output=True, text=True, env=env, check=False, timeout=900,
        )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert emu.webhook_url.rsplit("/", 2)[-2] not in result.stdout + result.stderr  # the secret never shows
    deals = len(portal.tables["deals"].rows)
    deals_lines = [line for line in result.stdout.splitlines() if line.startswith("│ raw/deals ")]
    assert len(deals_lines) == 1, deals_lines  # one summary row per asset, however many days the run covered
    assert f"{deals:,}" in deals_lines[0]
    users_line = next(line for line in result.stdout.splitlines() if line.startswith("│ raw/users "))
    assert f"{len(listed_users(portal)):,}" in users_line
    assert "sync finished" in result.stdout
    conn = connect(fresh_database)
    try:
        with conn.cursor() as cur:
            cur.execute('select count(*) from marts."managerControl_Deal"')
            assert cur.fetchone()[0] == deals
    finally:
        conn.close()
    assert_progress_matches_summary(result.stdout, first, last)


CHANGE_ASSETS = ("raw/activities", "raw/calls", "raw/deals", "raw/lead_stage_history", "raw/leads",
                 "raw/stage_history", "raw/timeline_comments")  # fmt: skip
REFERENCE_ASSETS = ("raw/absences", "raw/calendar_settings", "raw/departments", "raw/pipelines", "raw/stages",
                    "raw/users")  # fmt: skip


def summary_table(stdout: str) -> dict[str, tuple[int, int]]:
    """rows and requests per raw asset, from the summary table printed at the end."""
    cells = [
        [cell.strip() for cell in line.split("│")[1:4]] for line in stdout.splitlines() if "│ raw/" in line
    ]
    return {
        asset: (int(rows.replace(",", "")), int(requests.replace(",", ""))) for asset, rows, requests in cells
    }


def assert_progress_matches_summary(stdout: str, first: str, last: str) -> None:
    """Not a terminal: plain lines per asset and each bar's final state, with the summary's counts."""
    summary = summary_table(stdout)
    days = len(daily_partitions.get_partition_keys_in_range(dg.PartitionKeyRange(first, last)))
    lines = stdout.splitlines()
    for asset in CHANGE_ASSETS:
        rows, requests = summary[asset]
        counted = f"{rows:,} row{'s' * (rows != 1)}, {requests:,} request{'s' * (requests != 1)}"
        assert f"  {asset}: {days} partitions, {counted}" in lines
    rows = sum(summary[asset][0] for asset in CHANGE_ASSETS)
    requests = sum(summary[asset][1] for asset in CHANGE_ASSETS)
    # The estimate asked of the portal before the step is exact for this portal (no deal has 50 comments).
    assert f"changes {first} – {last}: {len(CHANGE_ASSETS) * days} partitions, ≈ {requests:,} requests, " \
           f"≈ {requests / 2:,.0f} s at 2 requests/s" in lines  # fmt: skip
    bar = next(line for line in lines if line.startswith(f"changes {first} – {last} ━"))
    partitions = len(CHANGE_ASSETS) * days
    assert (
        f" {partitions}/{partitions} partitions {rows:,} rows · {requests:,}/≈{requests:,} requests " in bar
    )
    reference = next(line for line in lines if line.startswith("reference data ━"))
    rows = sum(summary[asset][0] for asset in REFERENCE_ASSETS)
    requests = sum(summary[asset][1] for asset in REFERENCE_ASSETS)
    assert f" 6/6 assets {rows:,} rows · {requests:,} requests " in reference
    assert any(
        line.startswith(f"dbt models and marts {first} – {last} ━") and " partitions " in line
        for line in lines
    )


def test_a_failed_check_fails_the_sync_with_one_line_per_check(fresh_database):
    """#18 point 4: user.get announcing 10 users more than it lists: exit 1, the check named, no traceback."""
    portal = generate(GeneratorConfig(seed=5, managers=6, days=15, end_date=HISTORY_END))
    users = len(listed_users(portal))
    hostile = Hostile((HostileCase("total_beyond_rows", "user.get", 10, times=0),))
    with running_emulator(portal, fast=True, hostile=hostile) as emu:
        env = {**os.environ, "B24_WEBHOOK_URL": emu.webhook_url, "WAREHOUSE_URL": fresh_database.libpq_url(),
               "COLUMNS": "200", "B24_PLAN": "unlimited"}  # fmt: skip
        result = subprocess.run(
            [sys.executable, "-m", "orchestration.cli", "sync", "--from", "2026-11-20", "--to", "2026-11-27"],
            capture_output=True, text=True, env=env, check=False, timeout=900,
        )  # fmt: skip
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "sync finished" not in result.stdout
    assert "Traceback" not in result.stderr
    assert "error: reference data failed — 1 asset check(s) failed:" in result.stderr, result.stderr
    line = f"  raw/users matches_portal_total: user.get delivered {users - 10:,} of the {users:,} records"
    assert f"{line} its total announces" in result.stderr
