"""Render a report as a rich table: numbers right-aligned, the unhealthy call patterns marked."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from rich.markup import escape
from rich.table import Table

from orchestration.cli.reports import Report
from orchestration.sync import ExtractSummary

# The call-pattern flags are data for JSON/CSV; on screen their reason (dbt's pattern_reason, which names
# the flag and its numbers) says the same in words.
FLAG_COLUMNS = {"dials_a_lot_rarely_connects", "connects_but_cannot_hold", "is_flagged"}


# Headers where the column name alone would mislead: which calls each count holds.
HEADERS = {
    "calls_outgoing": "outgoing attempts",
    "calls_outgoing_connected": "outgoing connected",
    "calls_connected": "connected (all directions)",
    "pattern_reason": "pattern (why)",
}

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


def percent(fraction: Decimal | float) -> str:
    """A fraction as a percentage with one decimal, halves rounded up as PostgreSQL's round() does in the
    marts' reason texts (format's half-to-even would print 14.2 % where the reason says 14.3 %)."""
    value = (Decimal(str(fraction)) * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{value} %"


def _cell(value: Any, column: str = "") -> str:
    if value is None and column == "pattern_reason":
        return ""
    if value is None:
        return "no data" if column in NO_DATA_COLUMNS else "—"
    if column == "pattern_reason":
        return f"[bold red]{escape(value)}[/]"
    if column in PERCENT_COLUMNS:
        return percent(value)
    if column == "backlog_exact":
        return "exact" if value else "estimated"
    if isinstance(value, Decimal):
        return f"{value:,.2f}" if value % 1 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def report_table(report: Report, title: str) -> Table:
    shown = [i for i, name in enumerate(report.columns) if name not in FLAG_COLUMNS]
    table = Table(title=title)
    for i in shown:
        numeric = i > 2 and report.columns[i] != "pattern_reason"
        table.add_column(
            HEADERS.get(report.columns[i], report.columns[i].replace("_", " ")),
            justify="right" if numeric else "left",
            overflow="fold",
        )
    for row in report.rows:
        cells = [_cell(row[i], report.columns[i]) for i in shown]
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
