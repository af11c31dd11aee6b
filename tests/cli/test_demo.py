"""`b24ops demo` end to end, the way `make demo` runs it: a subprocess against a fresh warehouse.

Two demo runs (a smaller portal than the default, the same code path) shared by the module's tests: the
emulated portal ends today in the portal's time zone, the first sync covers its history from its first
day, both reports for the last 30 days up to that today have every column populated, the terminal shows
the progress and the results while dbt's and Dagster's output goes to the log it names, the quickstart's
and the README's pasted output has the shape of the real one; the second run syncs only today and
reports the same numbers.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from orchestration.defs.ingestion.raw_changes import CHANGE_FEEDS
from orchestration.defs.partitions import portal_time_zone
from orchestration.paths import PROJECT_ROOT
from orchestration.reports import Report, Slice, run_report
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation

pytestmark = pytest.mark.integration

MANAGERS, DAYS = 24, 45
# each day is one partition of every change feed and of the timeline comments
CHANGE_ASSETS = len(CHANGE_FEEDS) + 1
# Report 1's backlog columns come from the daily backlog snapshots, today's measured at the run's last load
# instant: between two runs an activity may fall overdue. The period's averages include today's count, so
# they move with it; a period that ends yesterday (whole days, each measured at its end) must not move.
BACKLOG = (
    "deals_with_overdue_activities",
    "open_deals_without_planned_activities",
    "avg_deals_with_overdue_activities",
    "avg_open_deals_without_planned_activities",
)
# Counts an untouched deal with the working minutes it has waited until the run's snapshot: it grows between
# two runs while its manager is at work (an employee whose time zone is in working hours then).
WAITED_SO_FAR = "avg_response_incl_untouched"


@dataclass(frozen=True)
class DemoRun:
    stdout: str
    log: str
    today: date
    location: WarehouseLocation
    reports: dict[str, Report]
    rerun_stdout: str
    rerun_reports: dict[str, Report]


def _run_demo(location: WarehouseLocation) -> str:
    env = {**os.environ, "WAREHOUSE_URL": location.libpq_url()}
    env.pop("B24_WEBHOOK_URL", None)  # the demo serves its own emulator
    env.pop("COLUMNS", None)  # as the docs' output was captured: a log, 120 columns
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "demo", "--managers", str(MANAGERS), "--days", str(DAYS)],
        capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, check=False, timeout=1800,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def _reports(location: WarehouseLocation, today: date) -> dict[str, Report]:
    """Both reports for the last 30 days up to today, and report 1 for the 30 days up to yesterday."""
    first, yesterday = today - timedelta(days=29), today - timedelta(days=1)
    return {
        "deals": run_report(location, "deals", first, today, Slice()),
        "calls": run_report(location, "calls", first, today, Slice()),
        "deals to yesterday": run_report(location, "deals", first - timedelta(days=1), yesterday, Slice()),
    }


@pytest.fixture(scope="module")
def demo(module_database: WarehouseLocation) -> DemoRun:
    stdout = _run_demo(module_database)
    today = datetime.now(ZoneInfo(portal_time_zone())).date()
    log = (PROJECT_ROOT / ".data" / "logs" / "demo.log").read_text(errors="replace")
    reports = _reports(module_database, today)
    rerun = _run_demo(module_database)
    return DemoRun(stdout, log, today, module_database, reports, rerun, _reports(module_database, today))


def test_the_portal_ends_today_and_the_sync_starts_at_its_first_day(demo: DemoRun) -> None:
    first = demo.today - timedelta(days=DAYS)
    assert f"{DAYS} days to {demo.today}" in demo.stdout
    assert f"changes {first} – {demo.today}: {CHANGE_ASSETS * (DAYS + 1)} partitions" in demo.stdout
    assert f"report deals: {demo.today - timedelta(days=29)} – {demo.today}" in demo.stdout


@pytest.mark.parametrize("kind", ["deals", "calls"])
def test_every_report_column_is_populated(demo: DemoRun, kind: str) -> None:
    report = demo.reports[kind]
    assert len(report.rows) >= MANAGERS  # the sales departments' employees (#19 point 8)
    empty = [
        column
        for index, column in enumerate(report.columns)
        if not any(row[index] not in (None, 0, False, "") for row in report.rows)
    ]
    assert empty == []


def test_the_terminal_shows_progress_and_results_and_the_log_the_rest(demo: DemoRun) -> None:
    for step in ("reference data ━", "changes ", "dbt models and marts "):
        assert step in demo.stdout
    assert "Managers per department" in demo.stdout
    assert "dbt and Dagster logs: .data/logs/demo.log" in demo.stdout
    for noise in ("Running with dbt", " START sql ", "BetaWarning", "PreviewWarning"):
        assert noise not in demo.stdout
    assert "Running with dbt" in demo.log and " OK created sql " in demo.log


def test_a_rerun_syncs_today_only_and_reports_the_same(demo: DemoRun) -> None:
    assert "already loaded: syncing today" in demo.rerun_stdout
    assert f"changes {demo.today} – {demo.today}: {CHANGE_ASSETS} partitions" in demo.rerun_stdout
    assert demo.rerun_reports["calls"] == demo.reports["calls"]
    # Today's backlog may move between the runs (BACKLOG), a period up to yesterday's may not; the untouched
    # deals have waited longer at the second run, never less. The rows are ordered by that wait, so two
    # managers may swap places: compared per manager.
    for report, moves in (("deals", BACKLOG), ("deals to yesterday", ())):
        deals, again = demo.reports[report], demo.rerun_reports[report]
        keep = [i for i, column in enumerate(deals.columns) if column not in (*moves, WAITED_SO_FAR)]
        waited = deals.columns.index(WAITED_SO_FAR)
        first_run = {row[0]: row for row in deals.rows}
        second_run = {row[0]: row for row in again.rows}
        assert len(first_run) == len(deals.rows) and second_run.keys() == first_run.keys()
        for manager, first in first_run.items():
            second = second_run[manager]
            assert [second[i] for i in keep] == [first[i] for i in keep], (report, first, second)
            assert (first[waited] is None) == (second[waited] is None)
            assert first[waited] is None or second[waited] >= first[waited], (first, second)


NOUN = re.compile(r"(partition|row|request|asset)s?")


def _shape(line: str) -> re.Pattern[str]:
    """A pasted line as a pattern: numbers and dates stand for any number, … for anything, bars any length,
    a run of spaces for any run (column widths follow the numbers), a counted noun singular or plural."""
    parts = re.split(r"(…|━+|\d[\d,.:]*| +)", line.rstrip())
    pattern = "".join(
        ".*" if part == "…" else "━+" if part.startswith("━") else r"\d[\d,.:]*" if part[:1].isdigit()
        else " +" if part.startswith(" ") else NOUN.sub(r"\1s?", re.escape(part))
        for part in parts
    )  # fmt: skip
    return re.compile(pattern)


@pytest.mark.parametrize(
    ("doc", "lead"),
    [
        ("docs/quickstart.md", "The output, from top to bottom:"),
        ("README.md", "the bars are 20 characters wide):"),
    ],
)
def test_the_pasted_output_has_the_shape_of_a_real_run(demo: DemoRun, doc: str, lead: str) -> None:
    text = (PROJECT_ROOT / doc).read_text(encoding="utf-8")
    block = re.search(re.escape(lead) + r"\n\n```\n(.*?)```", text, re.DOTALL)
    assert block is not None
    # The test's warehouse is a scratch database; the docs show the demo's own, b24ops.
    stdout = demo.stdout.replace(f"/{demo.location.database}?", "/b24ops?")
    real = [re.sub(r"\s+$", "", line) for line in stdout.splitlines()]
    pasted = [line for line in block.group(1).splitlines() if line.strip() not in ("", "…")]
    assert len(pasted) > 3
    missing = [line for line in pasted if not any(_shape(line).fullmatch(r) for r in real)]
    assert missing == []


def test_the_demo_portal_ships_example_teams(demo: DemoRun) -> None:
    """#19 point 9: the demo's emulated portal has teams, so the team filters have options (a real
    installation's teams are the seed alone: tests/marts/test_call_traffic_readability.py)."""
    conn = connect(demo.location)
    try:
        with conn.cursor() as cur:
            cur.execute("select distinct team_name from marts.teams order by 1")
            teams = [row[0] for row in cur.fetchall()]
    finally:
        conn.close()
    assert teams == ["Department heads (example)", "One per department (example)"]
