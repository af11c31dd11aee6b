"""Render a report as a rich table: numbers right-aligned, the unhealthy call patterns marked."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.table import Table

from orchestration.cli.reports import Report

if TYPE_CHECKING:  # the sync module imports Dagster, which the quick commands must not load
    from orchestration.sync import ExtractSummary

FLAG_LABELS = {
    "dials_a_lot_rarely_connects": "dials a lot, rarely connects",
    "connects_but_cannot_hold": "connects, cannot hold",
}


# Point-in-time columns read from the period's days: NULL means the marts hold no day of it.
NO_DATA_COLUMNS = {
    "deals_with_overdue_activities",
    "avg_deals_with_overdue_activities",
    "open_deals_without_planned_activities",
    "avg_open_deals_without_planned_activities",
    "backlog_as_of",
    "backlog_exact",
}


def _cell(value: Any, column: str = "") -> str:
    if value is None:
        return "no data" if column in NO_DATA_COLUMNS else "—"
    if column == "backlog_exact":
        return "exact" if value else "estimated"
    if isinstance(value, Decimal):
        return f"{value:,.2f}" if value % 1 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def report_table(report: Report, title: str) -> Table:
    flag_columns = [i for i, name in enumerate(report.columns) if name in FLAG_LABELS]
    shown = [i for i in range(len(report.columns)) if i not in flag_columns]
    table = Table(title=title)
    for i in shown:
        numeric = i > 2
        table.add_column(
            report.columns[i].replace("_", " "), justify="right" if numeric else "left", overflow="fold"
        )
    if flag_columns:
        table.add_column("pattern")
    for row in report.rows:
        cells = [_cell(row[i], report.columns[i]) for i in shown]
        if flag_columns:
            flags = [FLAG_LABELS[report.columns[i]] for i in flag_columns if row[i]]
            cells.append("[bold red]" + "; ".join(flags) + "[/]" if flags else "")
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
