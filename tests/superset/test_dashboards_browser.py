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
import secrets
import socket
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import dagster as dg
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.testing import running_emulator
from orchestration.assets.dbt import dbt_project, prepared_project
from orchestration.assets.superset import build_superset_assets
from orchestration.definitions import build_definitions
from orchestration.i18n import gettext_for
from orchestration.paths import DATA_DIR
from orchestration.resources import WarehouseResource
from orchestration.superset.bundle import BUNDLE_DIR, render_bundle
from orchestration.superset.client import SupersetApiError, SupersetClient
from orchestration.superset.resources import SupersetResource
from orchestration.superset.server import start_superset, stop_superset
from orchestration.superset.settings import LocalSuperset
from orchestration.sync import sync
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation
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


@pytest.fixture(scope="module")
def marts(module_database: WarehouseLocation, tmp_path_factory) -> WarehouseLocation:
    portal = generate(GeneratorConfig(seed=7, managers=8, days=20, end_date=HISTORY_END))
    with pytest.MonkeyPatch.context() as env, running_emulator(portal, fast=True) as emulator:
        env.setenv("B24_WEBHOOK_URL", emulator.webhook_url)
        env.setenv("WAREHOUSE_URL", module_database.libpq_url())
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


def _rows(location: WarehouseLocation, query: str, params: tuple = ()) -> list[tuple]:
    conn = connect(location)
    try:
        with conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def department(marts: WarehouseLocation) -> str:
    """A department whose managers sit partly in its sub-departments: the filter must include them."""
    rows = _rows(
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


def _number(text: str) -> float | None:
    cleaned = text.replace(",", "").replace("%", "").strip()
    return None if cleaned in NO_VALUE else float(cleaned)


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
        for name, path, *values in _rows(marts, BACKLOG, (first, last, department))
    }


@pytest.fixture(scope="module")
def period(marts: WarehouseLocation, department: str) -> tuple[date, date]:
    """First and last day (inclusive) of a week inside the backlog history where a day's slip at either
    end changes what the backlog table shows for the department: the test then proves the mapping of
    Superset's range [from, to) onto the function's inclusive days, not just that some numbers appear."""
    history_start, history_end = _rows(
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
    tables = {name: _wait_for_managers(page, name, len(rows)) for name, rows in expected.items()}
    page.wait_for_load_state("networkidle")
    page.wait_for_selector(".loading", state="detached")
    page.wait_for_timeout(SCREENSHOT_SETTLE_MS)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{slug}.png"), full_page=True)
    print(f"screenshot: {SCREENSHOTS / f'{slug}.png'}")
    return tables


def test_dashboards_show_the_marts_numbers_for_a_department_subtree(provisioned, marts, department, period):
    first, last = period
    deal_columns = ["Deals created", "Untouched deals", "Avg response, working min"]
    expected_deals = {
        (name, path): (created, untouched, None if avg is None else round(float(avg), 1))
        for name, path, created, untouched, avg in _rows(
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
    call_columns = ["Calls", "Connected (all directions)", "Connect rate", "Total talk, min"]
    expected_calls = {
        (name, path): (
            total,
            connected,
            None if rate is None else round(float(rate) * 100, 1),
            round(float(talk)),
        )
        for name, path, total, connected, rate, talk in _rows(
            marts,
            """
            select managers.manager_display_name, departments.department_path,
                sum(facts.calls_total), sum(facts.calls_connected),
                sum(facts.calls_outgoing_connected)::numeric / nullif(sum(facts.calls_outgoing), 0),
                sum(facts.talk_seconds_connected) / 60.0
            from marts.fct_manager_daily_calls as facts
            """
            + SUBTREE,
            (department, date.min, date.max),
        )
    }
    all_managers = _rows(marts, "select count(*) from marts.dim_managers")[0][0]
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
            f"{provisioned.url}/superset/dashboard/call-traffic/",
            "call-traffic",
            department,
            {"Call traffic per manager": expected_calls},
        )["Call traffic per manager"]

    assert _by_manager(deal_tables[BACKLOG_TABLE], BACKLOG_COLUMNS, read=_cell) == expected_backlog
    shown_deals = _by_manager(deal_tables[DEAL_TABLE], deal_columns)
    assert set(shown_deals) == set(expected_deals)
    for key, (created, untouched, avg) in expected_deals.items():
        assert shown_deals[key][:2] == (created, untouched), key
        assert (
            shown_deals[key][2] == pytest.approx(avg, abs=0.051)
            if avg is not None
            else shown_deals[key][2] is None
        )
    shown_calls = _by_manager(calls, call_columns)
    assert set(shown_calls) == set(expected_calls)
    for key, (total, connected, rate, talk) in expected_calls.items():
        assert shown_calls[key][:2] == (total, connected), key
        assert (
            shown_calls[key][2] == pytest.approx(rate, abs=0.051)
            if rate is not None
            else shown_calls[key][2] is None
        )
        assert shown_calls[key][3] == pytest.approx(talk, abs=0.51), key


def test_a_period_without_data_shows_empty_backlog_cells(provisioned, marts):
    """No day of data in the range: every employee is listed with empty backlog cells, never 0."""
    history_start = _rows(marts, "select min(report_date) from marts.fct_manager_daily_backlog")[0][0]
    first, last = history_start - timedelta(days=60), history_start - timedelta(days=31)
    assert not _rows(marts, "select 1 from marts.manager_deal_backlog(%s, %s)", (first, last))
    managers = _rows(marts, "select count(*) from marts.dim_managers")[0][0]
    with browser_page() as page:
        log_in(page, provisioned.url, provisioned.admin_user, provisioned.admin_password)
        page.goto(_time_range_url(provisioned.url, "deal-handling", first, last))
        rows = _wait_for_managers(page, BACKLOG_TABLE, managers)
        page.wait_for_selector(".loading", state="detached")
        page.screenshot(path=str(SCREENSHOTS / "deal-handling-no-data.png"), full_page=True)
    assert len(rows) == managers
    assert {column: {_cell(row[column]) for row in rows} for column in BACKLOG_COLUMNS} == {
        column: {None} for column in BACKLOG_COLUMNS
    }


def test_reprovisioning_adds_nothing(provisioned, marts, tmp_path):
    client = SupersetClient(provisioned.url, provisioned.admin_user, provisioned.admin_password)
    kinds = ("chart", "dataset", "dashboard", "database")
    before = {kind: client.count(kind) for kind in kinds}
    assert before == {
        "chart": len(list((BUNDLE_DIR / "charts").glob("*.yaml"))),
        "dataset": len(list((BUNDLE_DIR / "datasets").rglob("*.yaml"))),
        "dashboard": len(list((BUNDLE_DIR / "dashboards").glob("*.yaml"))),
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
        ["Manager", "Deals created", "Untouched deals", "Avg response, working min"],
    ),
    "call-traffic": (
        "Call traffic",
        "Call traffic per manager",
        ["Manager", "Calls", "Connected", "Connect rate", "Total talk, min"],
    ),
}
FILTERS = ["Date range", "Department (with sub-departments)", "Managers", "Team"]


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
