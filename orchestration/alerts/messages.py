"""The texts people receive, one template per language (Russian by default: a Russian portal). No secret
ever goes into a message: only the request's title, numbers from the marts and links to the portal."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

SLA_TEMPLATES = {
    "ru": {
        1: "Сделка «{title}» (№{request_id}) ждёт первого контакта уже {minutes} раб. мин "
        "(порог {threshold}). {link}",
        2: "Эскалация: сделка «{title}» (№{request_id}, ответственный — {responsible}) без контакта уже "
        "{minutes} раб. мин (порог {threshold}). {link}",
    },
    "en": {
        1: 'Deal "{title}" (#{request_id}) has waited {minutes} working minutes for a first contact '
        "(limit {threshold}). {link}",
        2: 'Escalation: deal "{title}" (#{request_id}, responsible: {responsible}) has had no contact for '
        "{minutes} working minutes (limit {threshold}). {link}",
    },
}


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
    template = SLA_TEMPLATES[language][alert.alert_level]
    return template.format(
        title=alert.title or "—",
        request_id=alert.request_id,
        responsible=alert.responsible or "—",
        minutes=int(alert.pending_working_minutes),
        threshold=int(alert.threshold_working_minutes),
        link=deal_link(portal_host, alert.request_id),
    ).strip()
