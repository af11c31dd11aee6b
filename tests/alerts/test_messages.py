"""The texts, in both languages, from the report functions' rows (no warehouse needed)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from orchestration.alerts.messages import SlaAlert, digest_text, sla_text
from orchestration.reports import Report

DEALS = Report(
    ["manager_id", "manager_name", "deals_created", "deals_untouched", "avg_response_incl_untouched"],
    [(6, "Анна Петрова", 3, 1, Decimal("180.0")), (7, "Олег Ким", 0, 0, None)],
)
CALLS = Report(
    [
        "manager_id",
        "calls_total",
        "calls_connected",
        "calls_outgoing",
        "calls_outgoing_connected",
        "connect_rate",
        "dials_a_lot_rarely_connects",
        "connects_but_cannot_hold",
    ],
    # user 7 made no outgoing attempt: no connect rate (dbt's NULL), still its two counts
    [(6, 40, 5, 32, 4, Decimal("0.1250"), True, False), (7, 2, 2, 0, 0, None, False, False)],
)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "ru",
            "Сводка за 2026-11-16\n"
            "Сделок новых: 3, без контакта: 1. Звонков: 42, соединённых (все направления): 7; "
            "исходящих попыток: 32, исходящих соединённых: 4.\n"
            "Анна Петрова: сделок 3, без контакта 1, ср. реакция 180.0 раб. мин; звонков 40, "
            "соединённых (все направления) 5, доля дозвонов 12.5 % (4 из 32 исходящих) "
            "(много набирает, редко дозванивается)\n"
            "Олег Ким: сделок 0, без контакта 0, ср. реакция — раб. мин; звонков 2, "
            "соединённых (все направления) 2, доля дозвонов — (0 из 0 исходящих)\n"
            "Дашборд: https://bi.example/d/1",
        ),
        (
            "en",
            "Summary for 2026-11-16\n"
            "New deals: 3, untouched: 1. Calls: 42, connected (all directions): 7; "
            "outgoing attempts: 32, outgoing connected: 4.\n"
            "Анна Петрова: deals 3, untouched 1, avg response 180.0 working min; calls 40, "
            "connected (all directions) 5, connect rate 12.5 % (4 of 32 outgoing) "
            "(dials a lot, rarely connects)\n"
            "Олег Ким: deals 0, untouched 0, avg response — working min; calls 2, "
            "connected (all directions) 2, connect rate — (0 of 0 outgoing)\n"
            "Dashboard: https://bi.example/d/1",
        ),
    ],
)
def test_digest_in_both_languages(language: str, expected: str) -> None:
    assert digest_text(date(2026, 11, 16), DEALS, CALLS, language, "https://bi.example/d/1") == expected


def test_sla_alert_in_english_has_no_secret_only_the_portal_link() -> None:
    alert = SlaAlert("deal", 9001, 2, "Order", "Anna", Decimal("31.5"), Decimal("30"))
    assert sla_text(alert, "en", "portal.example") == (
        'Escalation: deal "Order" (#9001, responsible: Anna) has had no contact for 31 working minutes '
        "(limit 30). https://portal.example/crm/deal/details/9001/"
    )


HEADLINE_COLUMNS = (
    "metric", "day_value", "baseline", "change_percent",
    "day_numerator", "day_denominator", "baseline_numerator", "baseline_denominator",
)  # fmt: skip
HEADLINE = [
    dict(zip(HEADLINE_COLUMNS, row, strict=True))
    for row in (
        ("deals_created", Decimal("3"), Decimal("2.5"), Decimal("20.0"), None, None, None, None),
        ("avg_response_incl_untouched", None, None, None, None, None, None, None),
        ("calls_total", Decimal("42"), Decimal("0"), None, None, None, None, None),
        # a rate with the sums it divides: the day's 5 of 20, the 4 weeks' pooled 40 of 80
        ("connect_rate", Decimal("0.25"), Decimal("0.5"), Decimal("-50.0"), 5, 20, 40, 80),
    )
]
UNTOUCHED = [
    {"request_id": 9001, "title": "Заявка", "responsible_name": "Анна Петрова",
     "pending_working_minutes": Decimal("61"), "untouched_total": 3},
]  # fmt: skip


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "ru",
            "К тому же дню недели за 4 предыдущие недели:\n"
            "новых сделок: 3, обычно 2.5 (+20.0 %)\n"
            "ср. реакция, раб. мин: —, обычно — (—)\n"
            "звонки: 42, обычно 0 (—)\n"
            "доля дозвонов: 25.0 % (5 из 20 исходящих), обычно 50.0 % (40 из 80 исходящих) (-50.0 %)\n"
            "Без контакта сейчас: 3.\n"
            "Самые давние:\n"
            "№9001 «Заявка»: Анна Петрова, ждёт 61 раб. мин",
        ),
        (
            "en",
            "Against the same weekday of the previous 4 weeks:\n"
            "new deals: 3, usually 2.5 (+20.0 %)\n"
            "avg response, working min: —, usually — (—)\n"
            "calls: 42, usually 0 (—)\n"
            "connect rate: 25.0 % (5 of 20 outgoing), usually 50.0 % (40 of 80 outgoing) (-50.0 %)\n"
            "Still untouched: 3.\n"
            "The oldest:\n"
            '#9001 "Заявка": Анна Петрова, waiting 61 working min',
        ),
    ],
)
def test_digest_headline_and_untouched_in_both_languages(language: str, expected: str) -> None:
    text = digest_text(date(2026, 11, 16), DEALS, CALLS, language, "", headline=HEADLINE, untouched=UNTOUCHED)
    assert text.split("\n", 4)[4] == expected
    nothing = digest_text(date(2026, 11, 16), DEALS, CALLS, language, "", untouched=[])
    assert (
        nothing.splitlines()[-1] == {"ru": "Без контакта сейчас: 0.", "en": "Still untouched: 0."}[language]
    )
