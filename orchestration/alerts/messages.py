"""The texts people receive: English templates translated by the catalogue (orchestration/i18n.py), in the
alerts' language (Russian by default: a Russian portal). No secret ever goes into a message: only the
request's title, numbers from the marts and links to the portal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from orchestration.i18n import N_, gettext_for
from orchestration.percent import percent

# English templates, the msgids of the catalogue (locale/ru/LC_MESSAGES/b24ops.po has their Russian).
SLA_TEMPLATES = {
    1: N_(
        'Deal "{title}" (#{request_id}) has waited {minutes} working minutes for a first contact '
        "(limit {threshold}). {link}"
    ),
    2: N_(
        'Escalation: deal "{title}" (#{request_id}, responsible: {responsible}) has had no contact for '
        "{minutes} working minutes (limit {threshold}). {link}"
    ),
}


# `b24ops alerts test --to USER`: proves the way alerts take (webhook, scope `im`, recipient) without an alert
PROBE_TEMPLATE = N_(
    "Test message from b24ops: SLA alerts and morning digests will reach you here. Nothing to do."
)


def probe_text(language: str) -> str:
    """The test notification's text in ``language`` (named so pytest never takes it for a test)."""
    return gettext_for(language)(PROBE_TEMPLATE)


@dataclass(frozen=True)
class SlaAlert:
    request_type: str
    request_id: int
    alert_level: int
    title: str
    responsible: str
    pending_working_minutes: Decimal | float
    threshold_working_minutes: Decimal | float


def deal_link(portal_host: str, deal_id: int) -> str:
    return f"https://{portal_host}/crm/deal/details/{deal_id}/" if portal_host else ""


def sla_text(alert: SlaAlert, language: str, portal_host: str) -> str:
    template = gettext_for(language)(SLA_TEMPLATES[alert.alert_level])
    return template.format(
        title=alert.title or "—",
        request_id=alert.request_id,
        responsible=alert.responsible or "—",
        minutes=int(alert.pending_working_minutes),
        threshold=int(alert.threshold_working_minutes),
        link=deal_link(portal_host, alert.request_id),
    ).strip()


DIGEST_TEMPLATES = {
    "title": N_("Summary for {day}"),
    # the call counts as report 2 names them (orchestration/cli/report_table.py): "connected" alone would
    # read as the connect rate's numerator, which counts outgoing attempts only (docs/metrics.md)
    "totals": N_(
        "New deals: {created}, untouched: {untouched}. Calls: {calls}, connected (all directions): "
        "{connected}; outgoing attempts: {outgoing}, outgoing connected: {outgoing_connected}."
    ),
    "manager": N_(
        "{name}: deals {created}, untouched {untouched}, avg response {response} working min; "
        "calls {calls}, connected (all directions) {connected}, connect rate {connect_rate}{flags}"
    ),
    # a connect rate with the two counts it divides (outgoing connected / outgoing attempts), as report 2
    "rate": N_("{percent} ({connected} of {outgoing} outgoing)"),
    "dials": N_("dials a lot, rarely connects"),
    "cannot_hold": N_("connects but cannot hold the client"),
    "dashboard": N_("Dashboard: {url}"),
    "headline": N_("Against the same weekday of the previous 4 weeks:"),
    "headline_line": N_("{metric}: {value}, usually {baseline} ({change})"),
    "untouched": N_("Still untouched: {total}."),
    "untouched_oldest": N_("The oldest:"),
    "untouched_line": N_('#{request_id} "{title}": {responsible}, waiting {minutes} working min'),
}
# the headline metrics of marts.department_headline, as the digest names them
HEADLINE_NAMES = {
    "deals_created": N_("new deals"),
    "avg_response_incl_untouched": N_("avg response, working min"),
    "calls_total": N_("calls"),
    "connect_rate": N_("connect rate"),
}


def _number(value: Decimal | None) -> str:
    return "—" if value is None else str(value)


def rate_text(rate: Decimal | float | None, connected: Any, outgoing: Any, language: str) -> str:
    """A connect rate as report 2 prints it (a percentage, one decimal) with its numerator and denominator,
    all three dbt's: "42.0 % (21 of 50 outgoing)"; without outgoing attempts the rate is "—"."""
    return gettext_for(language)(DIGEST_TEMPLATES["rate"]).format(
        percent="—" if rate is None else percent(rate),
        connected=_number(connected),
        outgoing=_number(outgoing),
    )


def _headline_value(row: dict[str, Any], prefix: str, language: str) -> str:
    """``day`` or ``baseline`` of a headline row: a rate with its counts when dbt gives them."""
    value = row["day_value" if prefix == "day" else "baseline"]
    if row[f"{prefix}_denominator"] is None:
        return _number(value)
    return rate_text(value, row[f"{prefix}_numerator"], row[f"{prefix}_denominator"], language)


def headline_lines(headline: Sequence[dict[str, Any]], language: str) -> list[str]:
    """marts.department_headline's rows: the day's value, the 4 weeks' baseline and the change, as dbt
    computed them (the digest only prints; a rate with the numerator and denominator dbt divided)."""
    _ = gettext_for(language)
    lines = [_(DIGEST_TEMPLATES["headline"])]
    for row in headline:
        change = row["change_percent"]
        lines.append(
            _(DIGEST_TEMPLATES["headline_line"]).format(
                metric=_(HEADLINE_NAMES[row["metric"]]),
                value=_headline_value(row, "day", language),
                baseline=_headline_value(row, "baseline", language),
                change="—" if change is None else f"{change:+} %",
            )
        )
    return lines


def untouched_lines(untouched: Sequence[dict[str, Any]], language: str) -> list[str]:
    """marts.department_untouched's rows: the total count, then the oldest requests listed."""
    _ = gettext_for(language)
    total = untouched[0]["untouched_total"] if untouched else 0
    lines = [_(DIGEST_TEMPLATES["untouched"]).format(total=total)]
    if untouched:
        lines.append(_(DIGEST_TEMPLATES["untouched_oldest"]))
    lines.extend(
        _(DIGEST_TEMPLATES["untouched_line"]).format(
            request_id=row["request_id"],
            title=row["title"] or "—",
            responsible=row["responsible_name"] or "—",
            minutes=_number(row["pending_working_minutes"]),
        )
        for row in untouched
    )
    return lines


def digest_text(
    day: date,
    deals: Any,
    calls: Any,
    language: str,
    dashboard_url: str,
    headline: Sequence[dict[str, Any]] = (),
    untouched: Sequence[dict[str, Any]] | None = None,
) -> str:
    """Report 1 and report 2 of ``day`` (orchestration/reports.py ``Report`` objects), one line per
    manager; the totals are sums of counts only (an average of averages would be wrong). Then the
    headline numbers against the previous 4 weeks and the requests still untouched, when given."""
    _ = gettext_for(language)
    words = {key: _(template) for key, template in DIGEST_TEMPLATES.items()}
    call_rows = {row["manager_id"]: row for row in _rows(calls)}
    lines = [words["title"].format(day=day.isoformat())]
    deal_rows = _rows(deals)
    lines.append(
        words["totals"].format(
            created=sum(r["deals_created"] for r in deal_rows),
            untouched=sum(r["deals_untouched"] for r in deal_rows),
            calls=sum(r["calls_total"] for r in call_rows.values()),
            connected=sum(r["calls_connected"] for r in call_rows.values()),
            outgoing=sum(r["calls_outgoing"] for r in call_rows.values()),
            outgoing_connected=sum(r["calls_outgoing_connected"] for r in call_rows.values()),
        )
    )
    for deal in deal_rows:
        call = call_rows.get(deal["manager_id"], {})
        flags = [
            words[k]
            for k, col in (
                ("dials", "dials_a_lot_rarely_connects"),
                ("cannot_hold", "connects_but_cannot_hold"),
            )
            if call.get(col)
        ]
        lines.append(
            words["manager"].format(
                name=deal["manager_name"],
                created=deal["deals_created"],
                untouched=deal["deals_untouched"],
                response="—"
                if deal["avg_response_incl_untouched"] is None
                else deal["avg_response_incl_untouched"],
                calls=call.get("calls_total", 0),
                connected=call.get("calls_connected", 0),
                connect_rate=rate_text(
                    call.get("connect_rate"),
                    call.get("calls_outgoing_connected", 0),
                    call.get("calls_outgoing", 0),
                    language,
                ),
                flags=f" ({'; '.join(flags)})" if flags else "",
            )
        )
    if headline:
        lines.extend(headline_lines(headline, language))
    if untouched is not None:
        lines.extend(untouched_lines(untouched, language))
    if dashboard_url:
        lines.append(words["dashboard"].format(url=dashboard_url))
    return "\n".join(lines)


def _rows(report: Any) -> list[dict[str, Any]]:
    return [dict(zip(report.columns, row, strict=True)) for row in report.rows]
