"""End to end: emulator → Dagster → marts → Superset provisioned by the asset → headless Chromium.

The browser logs in, opens both dashboards (the deal-handling one for a date range given in the URL),
chooses a department that has sub-departments, and must find exactly that subtree's managers with the
numbers the marts hold (queried here through the dbt closure table, not through the datasets' SQL); the
backlog per manager for the range must be ``marts.manager_deal_backlog`` of its days, and a range
without data must show empty cells. Provisioned in Russian and then in English, with the interface switched,
both dashboards show their titles, column headers and filters in that language. Screenshots go to
``.data/test-artifacts/superset/``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import dagster as dg
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.testing import running_emulator
from orchestration.defs.dbt import dbt_project, prepared_project
from orchestration.defs.definitions import build_definitions
from orchestration.defs.resources import SupersetResource, WarehouseResource
from orchestration.defs.superset import build_superset_assets
from orchestration.i18n import gettext_for
from orchestration.paths import DATA_DIR
from orchestration.runtime.superset_server import start_superset, stop_superset
from orchestration.runtime.sync import sync
from orchestration.superset.bundle import render_bundle
from orchestration.superset.client import SupersetApiError, SupersetClient
from orchestration.superset.settings import LocalSuperset
from orchestration.warehouse.location import WarehouseLocation
from testkit.warehouse import query
from tests.superset.browser import browser_page, chart, choose_filter_value, log_in, read_table
from tests.superset.roles import drop_role, unique_role_name
from tests.support.emulated import HISTORY_END

pytestmark = [pytest.mark.slow, pytest.mark.integration]

SCREENSHOTS = DATA_DIR / "test-artifacts" / "superset"
DEPARTMENT_FILTER = "Department (with sub-departments)"
DEAL_TABLE = "Deal handling per manager"
BACKLOG_TABLE = "Backlog per manager for the period"
# ECharts animates bars and lines in after the data arrived: only for the screenshots to show them.
SCREENSHOT_SETTLE_MS = 2_000

DASHBOARDS = dg.AssetKey(["bi", "superset_dashboards"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _namesakes(portal) -> tuple[int, int]:
    """The two highest user IDs get one name (the demo's namesakes): two people, two rows, two options."""
    users = portal.tables["users"]
    at_id, at_name, at_last = (users.index_of(field) for field in ("ID", "NAME", "LAST_NAME"))
    rows = {int(row[at_id]): index for index, row in enumerate(users.rows)}
    first, second = sorted(rows)[-2:]
    renamed = list(users.rows[rows[second]])
    renamed[at_name], renamed[at_last] = users.rows[rows[first]][at_name], users.rows[rows[first]][at_last]
    users.rows[rows[second]] = tuple(renamed)
    return first, second


@pytest.fixture(scope="module")
def marts(module_database: WarehouseLocation, tmp_path_factory) -> WarehouseLocation:
    portal = generate(GeneratorConfig(seed=7, managers=8, days=20, end_date=HISTORY_END))
    _namesakes(portal)
    with pytest.MonkeyPatch.context() as env, running_emulator(portal, fast=True) as emulator:
        env.setenv("B24_WEBHOOK_URL", emulator.webhook_url)
        env.setenv("WAREHOUSE_URL", module_database.libpq_url())
        env.setenv("B24_EXAMPLE_TEAMS", "on")  # what `b24ops demo` sets for its emulated portal
        defs = build_definitions()
        # The Superset asset runs below against this test's own Superset, whether or not the code
        # location already lists it (with resources pointing at `make up`'s instance).
        pipeline = dg.Definitions(
            assets=[asset for asset in defs.assets or [] if DASHBOARDS not in asset.keys],
            resources=defs.resources,
        )
        with dg.DagsterInstance.ephemeral(tempdir=str(tmp_path_factory.mktemp("dagster"))) as instance:
            sync(pipeline, instance, date(2026, 9, 1), date(2026, 11, 27))
    return module_database


@pytest.fixture(scope="module")
def superset(tmp_path_factory) -> Iterator[LocalSuperset]:
    """A Superset of its own (metadata, port, PID file): `make up`'s instance is left alone."""
    port = _free_port()
    local = LocalSuperset(
        data_dir=tmp_path_factory.mktemp("superset"), port=port, service_name=f"superset-test-{port}"
    )
    start_superset(local, progress=print)
    yield local
    stop_superset(local)


@pytest.fixture(scope="module")
def resource(superset: LocalSuperset, marts: WarehouseLocation) -> Iterator[SupersetResource]:
    role = unique_role_name()
    yield SupersetResource(
        url=superset.url,
        admin_user=superset.admin_user,
        admin_password=superset.admin_password().value,
        readonly_role=role,
        readonly_password=secrets.token_urlsafe(16),
    )
    drop_role(marts, role)


def _materialise(
    marts: WarehouseLocation, resource: SupersetResource, tmp_path: Path
) -> dg.ExecuteInProcessResult:
    with dg.DagsterInstance.ephemeral(tempdir=str(tmp_path)) as instance:
        return dg.materialize(
            build_superset_assets(prepared_project()),
            resources={"warehouse": WarehouseResource(url=marts.libpq_url()), "superset": resource},
            instance=instance,
            raise_on_error=False,
        )


@pytest.fixture(scope="module")
def provisioned(marts, resource, tmp_path_factory) -> SupersetResource:
    result = _materialise(marts, resource, tmp_path_factory.mktemp("provision"))
    assert result.success
    return resource


@pytest.fixture(scope="module")
def department(marts: WarehouseLocation) -> str:
    """A department whose managers sit partly in its sub-departments: the filter must include them."""
    rows = query(
        marts,
        """
        select chosen.department_path
        from intermediate.int_departments_ancestors as closure
        join marts.dim_departments as chosen on chosen.department_id = closure.ancestor_department_id
        join marts.dim_managers as managers on managers.department_id = closure.department_id
        where chosen.parent_department_id is not null
        group by chosen.department_path
        having count(*) filter (where closure.depth > 0) > 0
        order by count(*) desc, chosen.department_path
        limit 1
        """,
    )
    assert rows, "the generated portal has no department with managers in sub-departments"
    return rows[0][0]


# the chosen department's subtree through the dbt closure table (not the datasets' SQL); %s = its path
IN_SUBTREE = """
    in (select closure.department_id
        from intermediate.int_departments_ancestors as closure
        join marts.dim_departments as chosen on chosen.department_id = closure.ancestor_department_id
        where chosen.department_path = %s)
"""

# facts of the subtree's managers over the days [%s, %s]
SUBTREE = f"""
    join marts.dim_managers as managers on managers.manager_id = facts.manager_id
    join marts.dim_departments as departments on departments.department_id = facts.department_id
    where facts.department_id {IN_SUBTREE}
      and facts.report_date between %s and %s
    group by managers.manager_display_name, departments.department_path
"""

# every employee of the subtree with marts.manager_deal_backlog(first, last) (inclusive days), as shown
BACKLOG = f"""
    select managers.manager_display_name, departments.department_path,
        backlog.deals_with_overdue_activities, backlog.open_deals_without_planned_activities,
        backlog.as_of_date::text,
        case backlog.as_of_is_exact when true then 'exact' when false then 'estimated' end,
        round(backlog.avg_deals_with_overdue_activities, 1),
        round(backlog.avg_open_deals_without_planned_activities, 1),
        backlog.working_days
    from marts.dim_managers as managers
    join marts.dim_departments as departments on departments.department_id = managers.department_id
    left join marts.manager_deal_backlog(%s, %s) as backlog on backlog.manager_id = managers.manager_id
    where managers.department_id {IN_SUBTREE}
    order by managers.manager_display_name
"""
BACKLOG_COLUMNS = [
    "Overdue deals, period end",
    "Deals without plan, period end",
    "As of",
    "Exact or estimated",
    "Overdue deals, avg over working days",
    "Without plan, avg over working days",
    "Working days",
]
NO_VALUE = {"", "N/A", "∅"}
CALL_TABLE = "Call traffic per manager"
WITH_SUBTOTALS = {DEAL_TABLE, CALL_TABLE}
SUBTOTAL = "Department total"


def _subtotals(rows: list[dict[str, str]]) -> tuple[dict[str, dict[str, str]], list[dict[str, str]]]:
    """A per-manager table's department subtotal rows (by department) and its manager rows; each subtotal
    must come right above the rows of its department's managers."""
    totals: dict[str, dict[str, str]] = {}
    managers = []
    current = None
    for row in rows:
        if row["Manager"] == SUBTOTAL:
            assert row["Department"] not in totals, f"two subtotal rows for {row['Department']}"
            totals[row["Department"]] = row
            current = row["Department"]
        else:
            assert row["Department"] == current, f"{row} is not below its department's subtotal"
            managers.append(row)
    return totals, managers


def _assert_subtotals_add_up(rows: list[dict[str, str]], columns: list[str]) -> list[dict[str, str]]:
    """The subtotal of each department = the sum of its managers' counts; returns the manager rows."""
    totals, managers = _subtotals(rows)
    assert totals, "no department subtotal rows"
    for path, total in totals.items():
        for column in columns:
            members = [_number(row[column]) or 0 for row in managers if row["Department"] == path]
            assert _number(total[column]) == sum(members), (path, column)
    return managers


def _number(text: str) -> float | None:
    """A number as shown; a duration (h:mm, h:mm:ss) in its smallest unit (minutes, seconds)."""
    cleaned = text.replace(",", "").replace("%", "").strip()
    if cleaned in NO_VALUE:
        return None
    if ":" in cleaned:
        parts = [int(part) for part in cleaned.split(":")]
        return float(sum(part * 60**power for power, part in enumerate(reversed(parts))))
    return float(cleaned)


def _cell(text: str) -> float | str | None:
    """A number as a float, a date or a word as it reads, an empty cell (no data) as None."""
    cleaned = text.strip()
    if cleaned in NO_VALUE:
        return None
    try:
        return _number(cleaned)
    except ValueError:
        return cleaned


def _by_manager(rows: list[dict[str, str]], columns: list[str], read=_number) -> dict[tuple[str, str], tuple]:
    return {
        (row["Manager"], row["Department"]): tuple(read(row[column]) for column in columns) for row in rows
    }


def _expected_backlog(marts: WarehouseLocation, department: str, first: date, last: date) -> dict:
    return {
        (name, path): tuple(None if value is None else _cell(str(value)) for value in values)
        for name, path, *values in query(marts, BACKLOG, (first, last, department))
    }


@pytest.fixture(scope="module")
def period(marts: WarehouseLocation, department: str) -> tuple[date, date]:
    """First and last day (inclusive) of a week inside the backlog history where a day's slip at either
    end changes what the backlog table shows for the department: the test then proves the mapping of
    Superset's range [from, to) onto the function's inclusive days, not just that some numbers appear."""
    history_start, history_end = query(
        marts, "select min(report_date), max(report_date) from marts.fct_manager_daily_backlog"
    )[0]
    day = timedelta(days=1)
    # from the start: the generated portal's own days (the history runs on to the wall-clock date)
    first = history_start + day
    while first + 7 * day < history_end:
        last = first + 6 * day
        shown = _expected_backlog(marts, department, first, last)
        slips = [(first - day, last), (first + day, last), (first, last - day), (first, last + day)]
        if all(_expected_backlog(marts, department, *slip) != shown for slip in slips):
            return first, last
        first += day
    pytest.fail("no week of the history where a day's slip changes the department's backlog")


def _time_range_url(url: str, slug: str, first: date, last: date) -> str:
    """The dashboard with its date range filter set to the days first..last: Superset's range excludes
    its end, so it ends the day after ``last`` (the `native_filters` URL parameter, rison)."""
    time_range = f"{first.isoformat()} : {(last + timedelta(days=1)).isoformat()}"
    filter_id = f"NATIVE_FILTER-{slug}-date"
    state = (
        f"({filter_id}:(extraFormData:(time_range:'{time_range}'),"
        f"filterState:(value:'{time_range}'),id:{filter_id},ownState:()))"
    )
    return f"{url}/superset/dashboard/{slug}/?native_filters={quote(state)}"


def _wait_for_managers(page, chart_name: str, count: int) -> list[dict[str, str]]:
    """The table once the filter took effect (as many rows as the expected managers), else as it is."""
    # on a timeout, the assertions after it report what the table shows instead
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(
            """([chart, count]) => document.querySelectorAll(
                   `[data-test-chart-name="${chart}"] table tbody tr`).length === count""",
            arg=[chart_name, count],
        )
    return read_table(page, chart_name)


def _open_filtered(page, dashboard_url: str, slug: str, department: str, expected: dict[str, dict]) -> dict:
    """The tables named in ``expected`` (chart → its expected rows) once the department is chosen."""
    page.goto(dashboard_url)
    for chart_name in expected:
        read_table(page, chart_name)  # loaded unfiltered first
    choose_filter_value(page, DEPARTMENT_FILTER, department)
    tables = {
        # the per-manager tables carry one subtotal row per department above its managers
        name: _wait_for_managers(
            page, name, len(rows) + (len({path for _, path in rows}) if name in WITH_SUBTOTALS else 0)
        )
        for name, rows in expected.items()
    }
    page.wait_for_load_state("networkidle")
    page.wait_for_selector(".loading", state="detached")
    page.wait_for_timeout(SCREENSHOT_SETTLE_MS)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{slug}.png"), full_page=True)
    print(f"screenshot: {SCREENSHOTS / f'{slug}.png'}")
    return tables


def test_dashboards_show_the_marts_numbers_for_a_department_subtree(provisioned, marts, department, period):
    first, last = period
    deal_columns = ["Deals created", "Untouched deals", "Avg response, working h:mm"]
    expected_deals = {
        (name, path): (created, untouched, None if avg is None else round(float(avg), 1))
        for name, path, created, untouched, avg in query(
            marts,
            """
            select managers.manager_display_name, departments.department_path,
                sum(facts.deals_created), sum(facts.deals_untouched),
                sum(facts.response_working_minutes_sum)::numeric
                    / nullif(sum(facts.response_working_minutes_count), 0)
            from marts.fct_manager_daily_deals as facts
            """
            + SUBTREE,
            (department, first, last),
        )
    }
    expected_backlog = _expected_backlog(marts, department, first, last)
    call_columns = ["Calls", "Connected (all directions)", "Connect rate", "Total talk, h:mm:ss"]
    expected_calls = {
        (name, path): (
            total,
            connected,
            None if rate is None else round(float(rate) * 100, 1),
            round(float(talk)),
        )
        for name, path, total, connected, rate, talk in query(
            marts,
            """
            select managers.manager_display_name, departments.department_path,
                sum(facts.calls_total), sum(facts.calls_connected),
                sum(facts.calls_outgoing_connected)::numeric / nullif(sum(facts.calls_outgoing), 0),
                sum(facts.talk_seconds_connected)
            from marts.fct_manager_daily_calls as facts
            """
            + SUBTREE,
            (department, first, last),
        )
    }
    all_managers = query(marts, "select count(*) from marts.dim_managers")[0][0]
    assert 1 < len(expected_deals) < all_managers, "the chosen department must narrow the list"
    assert any(path != department for _, path in expected_deals), (
        "sub-departments must be part of the subtree"
    )
    assert set(expected_backlog) == set(expected_deals)
    assert any(row[0] for row in expected_backlog.values()), "the period must hold a non-zero backlog"

    print(f"department filter: {department!r}, days {first}..{last}; screenshots in {SCREENSHOTS}")
    with browser_page() as page:
        log_in(page, provisioned.url, provisioned.admin_user, provisioned.admin_password)
        deal_tables = _open_filtered(
            page,
            _time_range_url(provisioned.url, "deal-handling", first, last),
            "deal-handling",
            department,
            {BACKLOG_TABLE: expected_backlog, DEAL_TABLE: expected_deals},
        )
        calls = _open_filtered(
            page,
            _time_range_url(provisioned.url, "call-traffic", first, last),
            "call-traffic",
            department,
            {CALL_TABLE: expected_calls},
        )[CALL_TABLE]

    assert _by_manager(deal_tables[BACKLOG_TABLE], BACKLOG_COLUMNS, read=_cell) == expected_backlog
    deal_managers = _assert_subtotals_add_up(deal_tables[DEAL_TABLE], ["Deals created", "Untouched deals"])
    shown_deals = _by_manager(deal_managers, deal_columns)
    assert set(shown_deals) == set(expected_deals)
    for key, (created, untouched, avg) in expected_deals.items():
        assert shown_deals[key][:2] == (created, untouched), key
        assert (  # h:mm: whole minutes
            shown_deals[key][2] == pytest.approx(avg, abs=0.51)
            if avg is not None
            else shown_deals[key][2] is None
        )
    call_managers = _assert_subtotals_add_up(calls, ["Calls", "Connected (all directions)"])
    shown_calls = _by_manager(call_managers, call_columns)
    assert set(shown_calls) == set(expected_calls)
    for key, (total, connected, rate, talk) in expected_calls.items():
        assert shown_calls[key][:2] == (total, connected), key
        assert (
            shown_calls[key][2] == pytest.approx(rate, abs=0.051)
            if rate is not None
            else shown_calls[key][2] is None
        )
        assert shown_calls[key][3] == pytest.approx(talk, abs=0.51), key  # h:mm:ss: whole seconds

    # the CLI report of the same days says the same for every manager of the department
    cli_deals = {row["manager_name"]: row for row in _cli_report(marts, "deals", first, last)}
    cli_calls = {row["manager_name"]: row for row in _cli_report(marts, "calls", first, last)}
    backlog_rows = _by_manager(deal_tables[BACKLOG_TABLE], BACKLOG_COLUMNS, read=_cell)
    for (name, _), (created, untouched, avg) in shown_deals.items():
        cli = cli_deals[name]
        assert (cli["deals_created"], cli["deals_untouched"]) == (created, untouched), name
        cli_avg = cli["avg_response_working_minutes"]
        assert avg == pytest.approx(float(cli_avg), abs=0.51) if cli_avg is not None else avg is None, name
    for (name, _), (overdue, no_plan, *_) in backlog_rows.items():
        cli = cli_deals[name]
        assert (cli["deals_with_overdue_activities"], cli["open_deals_without_planned_activities"]) == (
            overdue,
            no_plan,
        ), name
    for (name, _), (total, connected, rate, _talk) in shown_calls.items():
        cli = cli_calls[name]
        assert (cli["calls_total"], cli["calls_connected"]) == (total, connected), name
        cli_rate = cli["connect_rate"]
        assert (
            rate == pytest.approx(float(cli_rate) * 100, abs=0.051) if cli_rate is not None else rate is None
        ), name


def _cli_report(marts: WarehouseLocation, kind: str, first: date, last: date) -> list[dict]:
    """``b24ops report <kind>`` for the days first..last, as JSON (numbers as the CLI prints them); every
    employee (--all-staff), as the dashboards list them, not only the sales report's default people."""
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "report", kind, "--format", "json", "--all-staff",
         "--from", first.isoformat(), "--to", last.isoformat()],
        capture_output=True, text=True, check=False,
        env={**os.environ, "WAREHOUSE_URL": marts.libpq_url()},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _select_options(page, filter_name: str, typed: str = "") -> list[str]:
    """The options a select filter of the filter bar offers (after typing ``typed``)."""
    title = page.locator("[data-test=filter-control-name]", has_text=filter_name)
    filter_id = (title.get_attribute("id") or "").removeprefix("filter-name-")
    page.locator(f'[data-test="{filter_id}"] .ant-select-selector').click()
    if typed:
        page.keyboard.type(typed)
    page.wait_for_selector(".ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option")
    options = page.locator(
        ".ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option"
    ).evaluate_all("nodes => nodes.map(node => node.getAttribute('title'))")
    page.keyboard.press("Escape")
    return options


def test_the_demo_opens_on_30_days_with_subtotals_teams_namesakes_and_flags_first(
    provisioned, marts, department, period
):
    """#19's acceptance on the emulated demo portal: a default period, per-department summary rows, the
    example teams in the team filter, two people with one name as two options and rows, flagged managers
    first with the reason, full department names."""
    # the two highest user IDs share one name (_namesakes)
    names = dict(
        query(
            marts,
            "select manager_id, manager_display_name from marts.dim_managers"
            " order by manager_id desc limit 2",
        )
    )
    assert len(set(names.values())) == 2, names
    flagged = query(
        marts,
        "select manager_id, pattern_reason from marts.fct_manager_call_patterns where is_flagged"
        " order by period_start desc, calls_outgoing desc",
    )
    history = query(marts, "select min(report_date), max(report_date) from marts.fct_manager_daily_calls")[0]
    chart_requests: list[str] = []
    with browser_page() as page:
        page.on(
            "request",
            lambda request: (
                chart_requests.append(request.post_data or "")
                if "/api/v1/chart/data" in request.url
                else None
            ),
        )
        log_in(page, provisioned.url, provisioned.admin_user, provisioned.admin_password)
        # no range in the URL: the filter's default applies (relative to today, after this test portal's days)
        page.goto(f"{provisioned.url}/superset/dashboard/deal-handling/")
        page.wait_for_selector(chart(page, DEAL_TABLE))
        page.wait_for_load_state("networkidle")
        page.wait_for_selector(".loading", state="detached")
        page.screenshot(path=str(SCREENSHOTS / "deal-handling-default-period.png"), full_page=True)
        page.goto(_time_range_url(provisioned.url, "deal-handling", *period))
        departments = read_table(page, "Deal handling per department")
        teams = _select_options(page, "Team")
        base_name = next(iter(names.values())).split(" (")[0]
        managers = _select_options(page, "Managers", base_name)
        choose_filter_value(page, DEPARTMENT_FILTER, department)
        chosen = page.locator(".ant-select-selection-item", has_text=department).first
        truncated = chosen.evaluate("node => node.scrollWidth > node.clientWidth + 1")
        page.goto(_time_range_url(provisioned.url, "call-traffic", *history))
        patterns = read_table(page, "Unhealthy call patterns (flagged managers first)")
        read_table(page, "Call traffic per department")
        page.wait_for_selector(".loading", state="detached")
        page.wait_for_timeout(SCREENSHOT_SETTLE_MS)
        page.screenshot(path=str(SCREENSHOTS / "call-traffic-history.png"), full_page=True)

    # the default range (filters.yaml), as the chart requests' JSON spells it
    assert any('DATEADD(DATETIME(\\"today\\"), -29, day)' in body for body in chart_requests), (
        "no chart asked for the default period"
    )
    assert departments and all(row["Department"] for row in departments)
    assert {"Department heads (example)", "One per department (example)"} <= set(teams)
    assert set(names.values()) <= set(managers)
    assert not truncated, f"the chosen department {department!r} is cut in the filter bar"
    if flagged:
        reasons = [_cell(row["Pattern (why)"]) for row in patterns]
        assert reasons[0], "the first row must be a flagged manager with its reason"
        first_unflagged = next((i for i, reason in enumerate(reasons) if not reason), len(reasons))
        assert all(not reason for reason in reasons[first_unflagged:]), "flagged rows come first"


def test_a_period_without_data_shows_empty_backlog_cells(provisioned, marts):
    """No day of data in the range: every employee is listed with empty backlog cells, never 0. The
    dashboards open on the sales report's people (#19 point 8: dim_managers.is_in_sales_report, as
    `b24ops report` without a filter), the Staff filter's "All staff" lists everyone."""
    history_start = query(marts, "select min(report_date) from marts.fct_manager_daily_backlog")[0][0]
    first, last = history_start - timedelta(days=60), history_start - timedelta(days=31)
    assert not query(marts, "select 1 from marts.manager_deal_backlog(%s, %s)", (first, last))
    everyone = dict(query(marts, "select manager_display_name, is_in_sales_report from marts.dim_managers"))
    sales = {name for name, in_sales in everyone.items() if in_sales}
    assert 0 < len(sales) < len(everyone), "the test portal has staff outside the sales departments"
    with browser_page() as page:
        log_in(page, provisioned.url, provisioned.admin_user, provisioned.admin_password)
        page.goto(_time_range_url(provisioned.url, "deal-handling", first, last))
        default_rows = _wait_for_managers(page, BACKLOG_TABLE, len(sales))
        choose_filter_value(page, "Staff", "All staff")
        rows = _wait_for_managers(page, BACKLOG_TABLE, len(everyone))
        page.wait_for_selector(".loading", state="detached")
        page.screenshot(path=str(SCREENSHOTS / "deal-handling-no-data.png"), full_page=True)
    assert {row["Manager"] for row in default_rows} == sales
    assert {row["Manager"] for row in rows} == set(everyone)
    assert {column: {_cell(row[column]) for row in rows} for column in BACKLOG_COLUMNS} == {
        column: {None} for column in BACKLOG_COLUMNS
    }


# The legends ECharts actually drew on the open dashboard, per chart: Superset 6.1 decides the legend's type
# in the browser (a requested plain legend falls back to scroll, which pages, when it needs more than two
# rows), so the test reads the chart instance's option: Superset's Echart component keeps the instance in a
# React ref (useRef), found from the element ECharts rendered into (`_echarts_instance_`).
DRAWN_LEGENDS = """
() => Array.from(document.querySelectorAll('[data-test-chart-name]')).flatMap(holder => {
  const name = holder.getAttribute('data-test-chart-name');
  const div = holder.querySelector('[_echarts_instance_]');
  if (!div) return [];
  const key = Object.keys(div).find(k => k.startsWith('__reactFiber$'));
  for (let fiber = key && div[key]; fiber; fiber = fiber.return) {
    let hook = fiber.memoizedState;
    for (; hook && typeof hook === 'object' && 'next' in hook; hook = hook.next) {
      const chart = hook.memoizedState && hook.memoizedState.current;
      if (chart && typeof chart.getOption === 'function') {
        return (chart.getOption().legend || []).filter(legend => legend.show !== false)
          .map(legend => [name, legend.type, (legend.data || []).length]);
      }
    }
  }
  return [[name, 'not found', 0]];
})
"""


def test_no_chart_legend_pages(provisioned, marts):
    """#19 point 6: a legend paged "1/8" (Superset's default, scroll) hid most series. Every legend ECharts
    draws on both dashboards, over the whole history and all staff, is a plain one (it wraps, never pages);
    the per-department and per-employee trends draw five short-named lines."""
    history = query(marts, "select min(report_date), max(report_date) from marts.fct_manager_daily_deals")[0]
    drawn = []
    with browser_page() as page:
        log_in(page, provisioned.url, provisioned.admin_user, provisioned.admin_password)
        for slug in ("deal-handling", "call-traffic"):
            page.goto(_time_range_url(provisioned.url, slug, *history))
            choose_filter_value(page, "Staff", "All staff")
            # every chart drawn (a dashboard may render charts only once scrolled into view)
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            page.wait_for_load_state("networkidle")
            page.wait_for_selector(".loading", state="detached")
            page.wait_for_timeout(SCREENSHOT_SETTLE_MS)
            page.screenshot(path=str(SCREENSHOTS / f"{slug}-legends.png"), full_page=True)
            drawn += page.evaluate(DRAWN_LEGENDS)
    print(f"legends drawn: {drawn}")
    legends = {name: (kind, entries) for name, kind, entries in drawn}
    assert {"Backlog trend per department", "Backlog trend per employee"} <= set(legends), drawn
    assert {name: kind for name, (kind, _) in legends.items()} == dict.fromkeys(legends, "plain"), drawn
    assert legends["Backlog trend per department"][1] <= 5
    assert legends["Backlog trend per employee"][1] <= 5


def test_reprovisioning_adds_nothing(provisioned, marts, tmp_path):
    client = SupersetClient(provisioned.url, provisioned.admin_user, provisioned.admin_password)
    kinds = ("chart", "dataset", "dashboard", "database")
    before = {kind: client.count(kind) for kind in kinds}
    bundle = render_bundle("postgresql+psycopg2://reader:XXXXXXXXXX@/db", "pw", dbt_project.manifest_path)
    assert before == {
        "chart": len(bundle.of_kind("charts")),
        "dataset": len(bundle.of_kind("datasets")),  # with the ones rendered from others (subtotals)
        "dashboard": len(bundle.of_kind("dashboards")),
        "database": 1,
    }
    assert _materialise(marts, provisioned, tmp_path).success
    assert {kind: client.count(kind) for kind in kinds} == before


def test_a_rejected_bundle_fails_the_asset_with_supersets_message(provisioned, marts, tmp_path):
    wrong_password = SupersetResource(
        url=provisioned.url,
        admin_user=provisioned.admin_user,
        admin_password="not-the-password",
        readonly_role=provisioned.readonly_role,
        readonly_password=provisioned.readonly_password,
    )
    result = _materialise(marts, wrong_password, tmp_path)
    assert not result.success
    failure = next(event for event in result.all_events if event.is_step_failure)
    assert "/api/v1/security/login" in str(failure.step_failure_data.error)
    # a bundle Superset rejects. Superset 6.1 replaces the reason with "Import failed for an unknown
    # reason" in its answer (its log has the file and the field); the call must still fail, not pass.
    bundle = render_bundle("postgresql+psycopg2://reader:XXXXXXXXXX@/db", "pw", dbt_project.manifest_path)
    bundle.files["charts/deal_handling_per_manager.yaml"]["uuid"] = "not-a-uuid"
    client = SupersetClient(provisioned.url, provisioned.admin_user, provisioned.admin_password)
    with pytest.raises(SupersetApiError, match=r"HTTP 500: Import failed"):
        client.import_bundle(bundle.to_zip(), bundle.passwords())


# What each dashboard must show in the reader's language: its title, a table's column headers, the filters
# (English labels: the catalogue gives the Russian ones).
LABELS = {
    "deal-handling": (
        "Deal handling",
        DEAL_TABLE,
        ["Manager", "Deals created", "Untouched deals", "Avg response, working h:mm"],
    ),
    "call-traffic": (
        "Call traffic",
        "Call traffic per manager",
        ["Manager", "Calls", "Connected (all directions)", "Connect rate", "Total talk, h:mm:ss"],
    ),
}
FILTERS = ["Date range", "Staff", "Department (with sub-departments)", "Managers", "Team"]


def _in_language(resource: SupersetResource, language: str) -> SupersetResource:
    return SupersetResource(**{**resource.model_dump(), "language": language})


@pytest.mark.parametrize("language", ["ru", "en"])  # English last: the other tests read English labels
def test_dashboards_in_the_configured_language(provisioned, marts, tmp_path, language):
    """Provisioned in ``language`` from the one bundle, the interface switched to it (/lang/<language>):
    titles, chart names, column headers, filter names and Superset's own buttons are in that language."""
    _ = gettext_for(language)
    assert _materialise(marts, _in_language(provisioned, language), tmp_path).success
    with browser_page() as page:
        log_in(page, provisioned.url, provisioned.admin_user, provisioned.admin_password)
        page.goto(f"{provisioned.url}/lang/{language}")
        for slug, (title, table, headers) in LABELS.items():
            page.goto(f"{provisioned.url}/superset/dashboard/{slug}/")
            rows = read_table(page, _(table))
            page.get_by_text(_(title), exact=True).first.wait_for()
            assert set(map(_, headers)) <= set(rows[0]), rows[0]
            shown_filters = page.locator("[data-test=filter-control-name]").all_inner_texts()
            assert [name.strip() for name in shown_filters] == [_(name) for name in FILTERS]
            apply = page.locator("[data-test=filter-bar__apply-button]").inner_text().strip()
            assert apply == ("Применить" if language == "ru" else "Apply filters")
            page.wait_for_load_state("networkidle")
            page.wait_for_selector(".loading", state="detached")
            page.wait_for_timeout(SCREENSHOT_SETTLE_MS)
            # the table again: the screenshot must show the dashboard drawn, not its grid re-laid out
            page.wait_for_selector(f"{chart(page, _(table))} table tbody tr")
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{slug}-{language}.png"), full_page=True)
