"""`b24ops report deals|calls` on marts built by a real pipeline run, checked against the marts."""

import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime

import dagster as dg
import pytest
from typer.testing import CliRunner

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.generator.history import backlog_truth
from bitrix24_emulator.testing import running_emulator
from orchestration.cli.report_table import COLUMN_LABELS, FLAG_COLUMNS, percent
from orchestration.defs.dbt import connected, dbt_resource, ensure_manifest, portal_vars
from orchestration.defs.definitions import build_definitions
from orchestration.i18n import gettext_for
from orchestration.runtime.sync import sync
from orchestration.superset.bundle import render_bundle
from testkit.warehouse import query
from tests.ingestion import harness
from tests.support.emulated import HISTORY_END
from tests.support.superset_sql import NO_RANGE, render_dataset_sql

pytestmark = pytest.mark.integration

# The generated history ends on 2026-11-01; October is a whole month inside it.
FIRST, LAST = date(2026, 10, 1), date(2026, 10, 31)
NAMESAKES = (13, 14)
# the third sales group is renamed like the sales department above it: two departments, one name
SAME_NAME_GROUP, SALES_DEPARTMENT = 5, 2


@pytest.fixture(scope="module")
def portal():
    # three sales groups of four: each department has the peers its call-pattern quartiles need
    portal = generate(GeneratorConfig(seed=11, managers=12, departments=3, days=45, end_date=HISTORY_END))
    # employee 14 (another sales group) gets employee 13's name: two people, one name
    users = portal.tables["users"]
    at_id, at_name, at_last = (users.index_of(f) for f in ("ID", "NAME", "LAST_NAME"))
    rows = {int(row[at_id]): i for i, row in enumerate(users.rows)}
    namesake = list(users.rows[rows[NAMESAKES[1]]])
    source = users.rows[rows[NAMESAKES[0]]]
    namesake[at_name], namesake[at_last] = source[at_name], source[at_last]
    users.rows[rows[NAMESAKES[1]]] = tuple(namesake)
    departments = portal.tables["departments"]
    at_id, at_name = (departments.index_of(f) for f in ("ID", "NAME"))
    named = {int(row[at_id]): i for i, row in enumerate(departments.rows)}
    renamed = list(departments.rows[named[SAME_NAME_GROUP]])
    renamed[at_name] = departments.rows[named[SALES_DEPARTMENT]][at_name]
    departments.rows[named[SAME_NAME_GROUP]] = tuple(renamed)
    return portal


@pytest.fixture(scope="module")
def built(module_database, tmp_path_factory, portal):
    with running_emulator(portal, fast=True) as emu, pytest.MonkeyPatch.context() as patch:
        patch.setenv("B24_WEBHOOK_URL", emu.webhook_url)
        patch.setenv("WAREHOUSE_URL", module_database.libpq_url())
        with dg.DagsterInstance.ephemeral(tempdir=str(tmp_path_factory.mktemp("dagster"))) as instance:
            sync(build_definitions(), instance, *harness.history_dates(portal))
    return module_database


DIM_NAME = "select manager_name from marts.dim_managers where manager_id = %s"


def report(location, *args, first=FIRST, last=LAST, env=None):
    # a wide console: the deals table keeps its cells on one line
    env = {**os.environ, "WAREHOUSE_URL": location.libpq_url(), "COLUMNS": "300", **(env or {})}
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "report", *args,
         "--from", first.isoformat(), "--to", last.isoformat()],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_deals_report_counts_match_the_deal_mart(built):
    rows = json.loads(report(built, "deals", "--format", "json", "--all-staff"))
    employees = query(built, "select count(*) from marts.dim_managers")[0][0]
    assert len(rows) == employees
    direct = dict(query(built, """
        select responsible_id, count(*) from marts."managerControl_Deal"
        where created_date between %s and %s group by 1""", (FIRST, LAST)))  # fmt: skip
    assert sum(direct.values()) > 0
    for row in rows:
        assert row["deals_created"] == direct.get(row["manager_id"], 0), row


def test_calls_report_flags_match_the_monthly_pattern_mart(built):
    rows = json.loads(report(built, "calls", "--format", "json", "--all-staff"))
    monthly = {
        manager: (a, b)
        for manager, a, b in query(built, """
            select manager_id, dials_a_lot_rarely_connects, connects_but_cannot_hold
            from marts.fct_manager_call_patterns where period_start = %s""", (FIRST,))
    }  # fmt: skip
    assert monthly
    for row in rows:
        expected = monthly.get(row["manager_id"], (False, False))
        assert (row["dials_a_lot_rarely_connects"], row["connects_but_cannot_hold"]) == expected, row
    # every call of an employee in the period (info calls and calls of users outside the directory have no
    # manager to report on), counted straight from the per-call mart on the portal-local call date
    direct_calls = query(
        built,
        "select count(*) from marts.calls where call_date between %s and %s"
        " and manager_id in (select manager_id from marts.dim_managers)",
        (FIRST, LAST),
    )[0][0]
    assert sum(row["calls_total"] for row in rows) == direct_calls


def test_department_filter_includes_sub_departments(built):
    (root_id,) = query(
        built, "select department_id from marts.dim_departments where parent_department_id is null"
    )[0]
    everyone = json.loads(report(built, "calls", "--format", "json", "--all-staff"))
    under_root = json.loads(report(built, "calls", "--format", "json", "--department", str(root_id)))
    in_departments = [r for r in everyone if r["department_name"] is not None]
    assert {r["manager_id"] for r in under_root} == {r["manager_id"] for r in in_departments}


def test_table_output_marks_patterns(built):
    text = report(built, "calls")
    assert "calls:" in text and "2026-10-01" in text


def test_deals_report_shows_the_backlog_of_a_past_period_after_a_backfill(built, portal):
    """One backfill, no daily runs in October: the period's backlog is estimated, close to the truth."""
    rows = {row["manager_id"]: row for row in json.loads(report(built, "deals", "--format", "json"))}
    truth = backlog_truth(portal)
    at_end = [truth.get((manager, LAST), (0, 0)) for manager in rows]
    true_overdue, true_unplanned = (sum(counts[i] for counts in at_end) for i in (0, 1))
    overdue = sum(row["deals_with_overdue_activities"] or 0 for row in rows.values())
    unplanned = sum(row["open_deals_without_planned_activities"] or 0 for row in rows.values())
    assert true_overdue > 0 and true_unplanned > 0
    # completions are only ever estimated late (docs/metrics.md "Backlog history": the stated error)
    assert true_overdue <= overdue <= 1.10 * true_overdue
    assert 0.95 * true_unplanned <= unplanned <= true_unplanned
    with_deals = [row for manager, row in rows.items() if any(m == manager for m, _ in truth)]
    assert with_deals and all(row["backlog_as_of"] == LAST.isoformat() for row in with_deals)
    assert all(row["backlog_exact"] is False for row in with_deals)
    assert all(row["avg_open_deals_without_planned_activities"] is not None for row in with_deals)
    # the average is the mean over the employee's working days of the daily counts, read from the mart
    manager = max(with_deals, key=lambda row: row["open_deals_without_planned_activities"])["manager_id"]
    daily = """
        select round(avg(open_deals_without_planned_activities), 1)::float
        from marts.fct_manager_daily_backlog
        where manager_id = %s and report_date between %s and %s and is_working_day"""
    (expected,) = query(built, daily, (manager, FIRST, LAST))[0]
    assert rows[manager]["avg_open_deals_without_planned_activities"] == expected


def test_a_period_without_data_shows_no_data_not_zero(built):
    before = date(2025, 3, 1), date(2025, 3, 31)
    rows = json.loads(report(built, "deals", "--format", "json", first=before[0], last=before[1]))
    assert rows and all(row["deals_with_overdue_activities"] is None for row in rows)
    assert all(row["avg_open_deals_without_planned_activities"] is None for row in rows)
    text = report(built, "deals", first=before[0], last=before[1])
    assert "no data" in text
    table = report(built, "deals", "--format", "csv", first=before[0], last=before[1])
    csv_rows = list(csv.DictReader(io.StringIO(table)))
    assert csv_rows and all(row["deals_with_overdue_activities"] == "" for row in csv_rows)


def test_reports_show_the_sales_departments_by_default_and_everyone_on_demand(built):
    """#19 point 8: without a filter the reports show the sales tree (detected: the departments whose
    employees own deals), not the director, the accountants or a head of sales without deals."""
    managers = dict(query(built, "select manager_id, is_in_sales_report from marts.dim_managers"))
    default = json.loads(report(built, "deals", "--format", "json"))
    everyone = json.loads(report(built, "deals", "--format", "json", "--all-staff"))
    assert {row["manager_id"] for row in everyone} == set(managers)
    assert {row["manager_id"] for row in default} == {m for m, in_sales in managers.items() if in_sales}
    left_out = {position for (position,) in query(built, """
        select work_position from marts.dim_managers where not is_in_sales_report""")}  # fmt: skip
    assert left_out == {"Генеральный директор", "Бухгалтер", "Коммерческий директор"}
    owners = {
        manager
        for (manager,) in query(built, 'select distinct responsible_id from marts."managerControl_Deal"')
    }
    assert owners and all(managers[owner] for owner in owners if owner in managers)
    # a filter chooses people itself: the accountants by their department
    (accounting,) = query(
        built, "select department_id from marts.dim_departments where department_name = 'Бухгалтерия'"
    )[0]
    chosen = json.loads(report(built, "deals", "--format", "json", "--department", str(accounting)))
    assert chosen and all(not managers[row["manager_id"]] for row in chosen)


def test_configured_sales_departments_replace_the_detection(built):
    """B24_SALES_DEPARTMENTS reaches dbt as the var sales_department_ids: the tree of those departments."""
    (accounting,) = query(
        built, "select department_id from marts.dim_departments where department_name = 'Бухгалтерия'"
    )[0]

    def rebuild(sales_department_ids: tuple[int, ...]) -> None:
        variables = json.dumps(portal_vars(sales_department_ids=sales_department_ids))
        with connected(dbt_resource(), built) as dbt:
            dbt.cli(
                ["run", "--select", "int_departments_in_sales_report dim_managers", "--vars", variables]
            ).wait()

    rebuild((accounting,))
    try:
        chosen = query(built, """
            select managers.work_position, sales.chosen_by
            from marts.dim_managers as managers
            join intermediate.int_departments_in_sales_report as sales using (department_id)
            where managers.is_in_sales_report""")  # fmt: skip
        assert chosen and set(chosen) == {("Бухгалтер", "B24_SALES_DEPARTMENTS")}
    finally:
        rebuild(())  # the module's other tests read the detected scope
    assert query(built, "select count(*) from marts.dim_managers where is_in_sales_report")[0][0] > 2


def test_the_default_period_ends_on_the_portals_today_not_utcs(built, monkeypatch):
    """#19 point 1, through the command: at 22:30 UTC on 27 November it is 28 November in Moscow, and the
    report's default period is the 30 days up to the 28th (the snapshot's day), not up to the 27th."""
    import orchestration.cli as cli

    monkeypatch.setattr(cli, "clock", lambda: datetime(2026, 11, 27, 22, 30, tzinfo=UTC))
    cli.settings.cache_clear()
    env = {"WAREHOUSE_URL": built.libpq_url(), "B24_PORTAL_TIME_ZONE": "Europe/Moscow", "COLUMNS": "300"}
    try:
        result = CliRunner().invoke(cli.app, ["report", "deals"], env=env, prog_name="b24ops")
    finally:
        cli.settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "deals: 2026-10-30 – 2026-11-28" in result.output, result.output[:500]


def _table(text):
    """The cells of a rich table: the header row (┃) and the body rows (│)."""
    header = next(line for line in text.splitlines() if "┃" in line)
    body = [line for line in text.splitlines() if line.startswith("│")]
    cells = [[cell.strip() for cell in line.strip("│┃").split(sep)] for line, sep in ((header, "┃"),)]
    return cells[0], [[cell.strip() for cell in line.strip("│").split("│")] for line in body]


def _plain(cell, language):
    """A cell's value written the English way: 1 234,5 → 1234.5 and 31.10.2026 → 2026-10-31 in Russian."""
    if language == "ru":
        day = re.fullmatch(r"(\d\d)\.(\d\d)\.(\d{4})", cell)
        if day:
            return f"{day[3]}-{day[2]}-{day[1]}"
        if re.fullmatch(r"-?[\d\u00a0]+(,\d+)?", cell):
            return cell.replace("\u00a0", "").replace(",", ".")
        return cell
    return cell.replace(",", "") if re.fullmatch(r"-?[\d,]+(\.\d+)?", cell) else cell


@pytest.mark.parametrize("kind", ["deals", "calls"])
def test_report_in_russian_has_the_numbers_of_the_english_one_with_russian_labels(built, kind):
    """`--lang ru` and `--lang en`: the same rows and numbers, each language's headers, words and formats."""
    ru = gettext_for("ru")
    wide = {"COLUMNS": "1000"}
    en_header, en_rows = _table(report(built, kind, "--lang", "en", env=wide))
    ru_header, ru_rows = _table(report(built, kind, "--lang", "ru", env=wide))
    columns = list(json.loads(report(built, kind, "--format", "json"))[0])
    # every column of the report has a label in the catalogue (a new column without one fails here)
    assert set(columns) <= COLUMN_LABELS.keys() | FLAG_COLUMNS
    # the flags are data; on screen the reason (pattern_reason) says the same in words
    assert en_header == [COLUMN_LABELS[c] for c in columns if c not in FLAG_COLUMNS]
    assert ru_header == [ru(label) for label in en_header]
    assert ru_header != en_header
    assert len(ru_rows) == len(en_rows) > 0
    compared = 0
    for en_row, ru_row in zip(en_rows, ru_rows, strict=True):
        for en_cell, ru_cell in zip(en_row, ru_row, strict=True):
            # a number, a day or a name is the same value; a word is the catalogue's Russian
            words = "; ".join(ru(word) for word in en_cell.split("; "))
            assert _plain(ru_cell, "ru") == _plain(en_cell, "en") or ru_cell == words, (en_cell, ru_cell)
            compared += bool(re.search(r"\d", en_cell))
    assert compared > len(en_rows) * 3


def test_calls_report_shows_the_connect_rate_with_its_terms(built):
    """Outgoing attempts, outgoing connected, connect rate side by side; a fraction in data, % on screen."""
    rows = json.loads(report(built, "calls", "--format", "json"))
    columns = list(rows[0])
    at = columns.index("connect_rate")
    assert columns[at - 2 : at + 1] == ["calls_outgoing", "calls_outgoing_connected", "connect_rate"]
    callers = [row for row in rows if row["calls_outgoing"]]
    assert callers
    for row in callers:
        assert 0 <= row["connect_rate"] <= 1
        assert row["connect_rate"] == pytest.approx(row["calls_outgoing_connected"] / row["calls_outgoing"])
    assert all(row["connect_rate"] is None for row in rows if not row["calls_outgoing"])
    # incoming calls are in "connected (all directions)", not in the rate's numerator
    assert any(row["calls_connected"] > row["calls_outgoing_connected"] for row in callers)
    csv_rows = list(csv.DictReader(io.StringIO(report(built, "calls", "--format", "csv"))))
    assert {row["manager_id"]: float(row["connect_rate"]) for row in csv_rows if row["connect_rate"]} == {
        str(row["manager_id"]): row["connect_rate"] for row in callers
    }
    text = report(built, "calls")
    assert "outgoing attempts" in text and "outgoing connected" in text and "connected (all" in text
    for row in callers:
        assert percent(row["connect_rate"]) in text


def test_calls_report_lists_flagged_managers_first_with_the_reason(built):
    rows = json.loads(report(built, "calls", "--format", "json"))
    flagged = [row["is_flagged"] for row in rows]
    assert any(flagged), "the test portal flags somebody in October"
    assert flagged == sorted(flagged, reverse=True), "flagged managers come first"
    for row in rows:
        assert not (row["dials_a_lot_rarely_connects"] and row["connects_but_cannot_hold"]), row
        assert (row["pattern_reason"] is not None) == row["is_flagged"], row
        if row["dials_a_lot_rarely_connects"]:
            assert row["connect_rate"] < 0.30
            assert f"connect rate {percent(row['connect_rate'])}" in row["pattern_reason"]
    # a sort column keeps the flagged on top, sorted within
    by_missed = json.loads(report(built, "calls", "--format", "json", "--sort", "calls_missed"))
    assert [row["is_flagged"] for row in by_missed] == sorted(flagged, reverse=True)
    text = report(built, "calls")
    first = next(row for row in rows if row["is_flagged"])
    assert first["pattern_reason"].split(":")[0] in text and "pattern (why)" in text


def test_managers_with_one_name_are_two_rows_with_their_department(built):
    for kind in ("calls", "deals"):
        # everyone (--all-staff): the namesakes need not be in the sales report's default departments
        rows = {
            row["manager_id"]: row
            for row in json.loads(report(built, kind, "--format", "json", "--all-staff"))
        }
        first, second = (rows[manager] for manager in NAMESAKES)
        assert first["department_name"] != second["department_name"]
        assert (
            first["manager_name"]
            == f"{query(built, DIM_NAME, (NAMESAKES[0],))[0][0]} ({first['department_name']})"
        )
        assert second["manager_name"].endswith(f" ({second['department_name']})")
        assert first["manager_name"].split(" (")[0] == second["manager_name"].split(" (")[0]
        # every row shows dim_managers' display name: the CLI and Superset read the same column
        displayed = dict(query(built, "select manager_id, manager_display_name from marts.dim_managers"))
        assert {manager: row["manager_name"] for manager, row in rows.items()} == displayed


def test_requests_report_equals_the_deals_report_on_a_deals_only_portal(built):
    """Without leads every request is its deal: the request columns repeat the deal report's."""
    deals = {row["manager_id"]: row for row in json.loads(report(built, "deals", "--format", "json"))}
    requests = json.loads(report(built, "requests", "--format", "json"))
    assert len(requests) == len(deals)
    for row in requests:
        deal_row = deals[row["manager_id"]]
        assert (row["requests_created"], row["requests_touched"], row["requests_untouched"],
                row["avg_response_working_minutes"], row["avg_response_incl_untouched"]) == (
            deal_row["deals_created"], deal_row["deals_touched"], deal_row["deals_untouched"],
            deal_row["avg_response_working_minutes"], deal_row["avg_response_incl_untouched"])  # fmt: skip
        assert row["arrived_as_leads"] == row["leads_created"] == 0


def test_a_department_is_labelled_by_its_name_or_by_its_path_where_two_share_the_name(built):
    """dim_departments.department_label (the one rule, read by the CLI and the dashboards' legends): the
    two departments named alike are their paths, every other department its own name, short."""
    departments = query(built, """
        select department_id, department_name, department_path, department_label
        from marts.dim_departments""")  # fmt: skip
    labels = {department: label for department, _, _, label in departments}
    named_alike = {SAME_NAME_GROUP, SALES_DEPARTMENT}
    assert labels[SAME_NAME_GROUP] == "ООО «Ромашка» / Отдел продаж / Отдел продаж"
    assert labels[SALES_DEPARTMENT] == "ООО «Ромашка» / Отдел продаж"
    for department, name, path, label in departments:
        assert label == (path if department in named_alike else name), department
    # the CLI's department column, manager rows and subtotal rows alike, is that label
    department_of = dict(query(built, "select manager_id, department_id from marts.dim_managers"))
    rows = json.loads(report(built, "deals", "--format", "json", "--all-staff"))
    assert {row["department_name"] for row in rows} >= {labels[SAME_NAME_GROUP], "Группа продаж 1"}
    for row in rows:
        assert row["department_name"] == labels.get(department_of[row["manager_id"]]), row
    header, cells = _table(report(built, "deals", "--all-staff", env={"COLUMNS": "1000"}))
    name, department = header.index("manager name"), header.index("department name")
    totals = {row[department] for row in cells if row[name] == "Department total"}
    assert labels[SAME_NAME_GROUP] in totals and "Группа продаж 1" in totals


def test_the_backlog_trend_names_departments_by_dbts_label_whatever_the_filters(built):
    """The dataset of "Backlog trend per department" reads department_short from dim_departments: the same
    label under any filter (the rule it replaced counted the filtered rows, so a department named like
    another one lost its path as soon as the filters left the other one out)."""
    paths = dict(query(built, "select department_path, department_label from marts.dim_departments"))
    dataset = render_bundle("postgresql://unused", "unused", ensure_manifest()).files[
        "datasets/b24ops_warehouse/deal_handling_daily.yaml"
    ]
    same_name_path = next(
        path for path, label in paths.items() if label.endswith("Отдел продаж / Отдел продаж")
    )
    for chosen in ({}, {"department": [same_name_path]}, {"staff": ["All staff"]}):
        sql = render_dataset_sql(dataset, NO_RANGE, chosen)
        shown = dict(query(built, f"select distinct department, department_short from ({sql}) as daily"))
        assert same_name_path in shown, chosen
        assert shown == {path: paths.get(path) for path in shown}, chosen


@pytest.mark.parametrize("kind", ["deals", "calls", "requests"])
def test_the_table_prints_one_subtotal_row_per_department_above_the_managers(built, kind):
    """#19 point 7: above the manager rows, one "Department total" row per department of the slice (the
    sales tree by default, a chosen department's subtree too), equal to the sums over its managers and to
    the rate of those sums — read from dbt's department functions, which the dashboards' subtotals equal."""
    labels = dict(query(built, """
        select managers.manager_id, departments.department_label from marts.dim_managers as managers
        join marts.dim_departments as departments using (department_id)"""))  # fmt: skip
    (root_id,) = query(
        built, "select department_id from marts.dim_departments where parent_department_id is null"
    )[0]
    for args in ((), ("--department", str(root_id))):
        managers = json.loads(report(built, kind, "--format", "json", *args))
        header, rows = _table(report(built, kind, *args, env={"COLUMNS": "1000"}))
        name, department = header.index("manager name"), header.index("department name")
        totals = [row for row in rows if row[name] == "Department total"]
        assert totals and rows[: len(totals)] == totals, "the subtotals come first"
        assert len(rows) == len(totals) + len(managers)
        # employees without a department (the unassigned calls' and deals' manager) total under "—"
        shown = {labels.get(row["manager_id"], "—") for row in managers}
        assert {row[department] for row in totals} <= shown and len(totals) >= 2
        sums = {
            "deals": ("deals_created", "deals_untouched"),
            "calls": ("calls_total", "calls_outgoing"),
            "requests": ("requests_created", "requests_untouched"),
        }[kind]
        for total in totals:
            members = [row for row in managers if labels.get(row["manager_id"], "—") == total[department]]
            for column in sums:
                expected = sum(row[column] for row in members)
                assert _plain(total[header.index(COLUMN_LABELS[column])], "en") == str(expected), column
            if kind == "calls":
                connected = sum(row["calls_outgoing_connected"] for row in members)
                outgoing = sum(row["calls_outgoing"] for row in members)
                rate = percent(connected / outgoing) if outgoing else "—"
                assert total[header.index("connect rate")] == rate
    # CSV and JSON stay one row per manager (scripts)
    assert all(row["manager_id"] is not None for row in json.loads(report(built, kind, "--format", "json")))
