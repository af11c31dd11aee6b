"""Render a report as a rich table: numbers right-aligned, the unhealthy call patterns marked."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table

from orchestration.i18n import N_, gettext_for
from orchestration.percent import percent
from orchestration.reports import Report

if TYPE_CHECKING:  # the sync module imports Dagster, which the quick commands must not load
    from orchestration.runtime.sync import ExtractSummary

# The reports' column headers and pattern flags (the catalogue translates them; CSV and JSON keep the column
# names, for scripts). A column without a label shows its name (tests/cli/test_report.py notices).
COLUMN_LABELS = {
    "manager_id": N_("manager id"),
    "manager_name": N_("manager name"),
    "department_name": N_("department name"),
    "deals_created": N_("deals created"),
    "deals_touched": N_("deals touched"),
    "deals_untouched": N_("deals untouched"),
    "avg_response_working_minutes": N_("avg response working minutes"),
    "avg_response_incl_untouched": N_("avg response incl untouched"),
    "deals_with_overdue_activities": N_("deals with overdue activities"),
    "avg_deals_with_overdue_activities": N_("avg deals with overdue activities"),
    "open_deals_without_planned_activities": N_("open deals without planned activities"),
    "avg_open_deals_without_planned_activities": N_("avg open deals without planned activities"),
    "backlog_as_of": N_("backlog as of"),
    "backlog_exact": N_("backlog exact"),
    "requests_created": N_("requests created"),
    "arrived_as_leads": N_("arrived as leads"),
    "requests_touched": N_("requests touched"),
    "requests_untouched": N_("requests untouched"),
    "leads_created": N_("leads created"),
    "leads_converted": N_("leads converted"),
    "leads_junk": N_("leads junk"),
    "leads_in_work": N_("leads in work"),
    "leads_with_overdue_activities": N_("leads with overdue activities"),
    "open_leads_without_planned_activities": N_("open leads without planned activities"),
    "calls_total": N_("calls total"),
    # which calls each count holds, where the column name alone would mislead
    "calls_outgoing": N_("outgoing attempts"),
    "calls_outgoing_connected": N_("outgoing connected"),
    "calls_incoming": N_("calls incoming"),
    "calls_connected": N_("connected (all directions)"),
    "calls_missed": N_("calls missed"),
    "connect_rate": N_("connect rate"),
    "average_talk_seconds": N_("average talk seconds"),
    "talk_seconds_total": N_("talk seconds total"),
    "pattern_reason": N_("pattern (why)"),
}
FLAG_LABELS = {
    "dials_a_lot_rarely_connects": N_("dials a lot, rarely connects"),
    "connects_but_cannot_hold": N_("connects, cannot hold"),
}
# The call-pattern flags are data for JSON/CSV; on screen their reason (dbt's pattern_reason, which names
# the flag and its numbers) says the same in words.
FLAG_COLUMNS = {*FLAG_LABELS, "is_flagged"}
REPORT_NAMES = {"deals": N_("deals"), "requests": N_("requests"), "leads": N_("leads"), "calls": N_("calls")}
REPORT = N_("report")  # the demo's titles: "report deals: …"
# Calls and deals that name no employee count under this manager (dbt_project/macros/reports/unassigned.sql);
# dim_managers names it in English, the table in the reader's language.
UNASSIGNED_MANAGER_ID = 0
UNASSIGNED = N_("Unassigned")
# The label of a department's subtotal row, as on the dashboards' per-manager tables.
SUBTOTAL = N_("Department total")


# Fractions 0–1 in the data (JSON, CSV), percentages with one decimal on screen.
PERCENT_COLUMNS = {"connect_rate"}

# Point-in-time columns read from the period's days: NULL means the marts hold no day of it.
NO_DATA_COLUMNS = {
    "deals_with_overdue_activities",
    "avg_deals_with_overdue_activities",
    "open_deals_without_planned_activities",
    "avg_open_deals_without_planned_activities",
    "backlog_as_of",
    "backlog_exact",
}
# The backlog at the period's end is per manager only: blank on a department's subtotal row, not "no data"
# or "—" (orchestration/reports.py).
PER_MANAGER_COLUMNS = {
    *NO_DATA_COLUMNS,
    "leads_with_overdue_activities",
    "open_leads_without_planned_activities",
}


def day_text(day: date, language: str) -> str:
    """A day as its reader writes it: 2026-10-31 in English, 31.10.2026 in Russian."""
    return day.strftime("%d.%m.%Y") if language == "ru" else day.isoformat()


def _number(value: Decimal | int, language: str) -> str:
    # Babel's locale data: "1,234.5" in English, "1 234,5" (non-breaking space, decimal comma) in Russian.
    # Imported here: the quick commands (--help) do not pay for it.
    from babel.numbers import format_decimal

    pattern = "#,##0.00" if isinstance(value, Decimal) and value % 1 else "#,##0"
    return format_decimal(value, format=pattern, locale=language)


def _cell(value: Any, column: str, language: str) -> str:
    _ = gettext_for(language)
    if value is None and column == "pattern_reason":
        return ""
    if column == "pattern_reason":
        return f"[bold red]{escape(value)}[/]"
    if value is None:
        return _("no data") if column in NO_DATA_COLUMNS else "—"
    if column in PERCENT_COLUMNS:
        return percent(value)
    if column == "backlog_exact":
        return _("exact") if value else _("estimated")
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return _number(value, language)
    if isinstance(value, date):
        return day_text(value, language)
    return str(value)


def report_title(kind: str, first: date, last: date, language: str) -> str:
    _ = gettext_for(language)
    return f"{_(REPORT_NAMES[kind])}: {day_text(first, language)} – {day_text(last, language)}"


def report_table(report: Report, title: str, language: str = "en") -> Table:
    _ = gettext_for(language)
    shown = [i for i, name in enumerate(report.columns) if name not in FLAG_COLUMNS]
    table = Table(title=title)
    for i in shown:
        name = report.columns[i]
        numeric = i > 2 and name != "pattern_reason"
        label = _(COLUMN_LABELS[name]) if name in COLUMN_LABELS else name.replace("_", " ")
        table.add_column(label, justify="right" if numeric else "left", overflow="fold")
    name_at = shown.index(report.columns.index("manager_name"))
    for row in report.subtotals:
        cells = [
            ""
            if row[i] is None and report.columns[i] in PER_MANAGER_COLUMNS
            else _cell(row[i], report.columns[i], language)
            for i in shown
        ]
        cells[name_at] = _(SUBTOTAL)
        table.add_row(*cells, style="bold")
    if report.subtotals:
        table.add_section()
    for row in report.rows:
        cells = [_cell(row[i], report.columns[i], language) for i in shown]
        if row[report.columns.index("manager_id")] == UNASSIGNED_MANAGER_ID:
            cells[name_at] = _(UNASSIGNED)
        table.add_row(*cells)
    return table


def extract_summary_table(summaries: list[ExtractSummary]) -> Table:
    """What the export cost per raw asset: the numbers to compare with the portal's limits."""
    table = Table(title="export from the portal")
    for column in ("asset", "rows", "requests", "rows / request", "retries", "waited for pacing (s)"):
        table.add_column(column, justify="left" if column == "asset" else "right")
    for item in summaries:
        per_request = f"{item.rows / item.http_requests:,.0f}" if item.http_requests else "—"
        table.add_row(
            item.asset,
            f"{item.rows:,}",
            f"{item.http_requests:,}",
            per_request,
            str(item.retries),
            f"{item.pacing_wait_seconds:,.1f}",
        )
    return table
