"""One source per report rule: the metric formulas and the department walk live in dbt, nowhere else.

The CLI, the digests and the Superset datasets read dbt's SQL functions (dbt_project/macros/reports/);
a ratio, an average, a quantile or a walk of the department tree written in Python or in the bundle is a
second copy of a rule that can drift from dbt's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orchestration.paths import PROJECT_ROOT

# what a metric formula or the department rule looks like in SQL
FORMULA = {
    "a ratio guarded against a zero denominator": re.compile(r"\bnullif\s*\(", re.IGNORECASE),
    # (a unit conversion, SUM(talk_seconds) / 60.0, is not a formula)
    "a division by an aggregate": re.compile(r"/\s*\(?\s*(sum|count)\s*\(", re.IGNORECASE),
    "an average": re.compile(r"\bavg\s*\(", re.IGNORECASE),
    "a quantile": re.compile(r"\bpercentile_(cont|disc)\b", re.IGNORECASE),
    "a recursive walk": re.compile(r"\bwith\s+recursive\b", re.IGNORECASE),
    "the department tree's ancestors": re.compile(r"\bancestor_department_ids\b"),
}

OUTSIDE_DBT = sorted(
    [*(PROJECT_ROOT / "orchestration").rglob("*.py"), *(PROJECT_ROOT / "superset" / "bundle").rglob("*.yaml")]
)


def formulas_in(text: str) -> list[str]:
    return [what for what, pattern in FORMULA.items() if pattern.search(text)]


@pytest.mark.parametrize("path", OUTSIDE_DBT, ids=lambda path: path.relative_to(PROJECT_ROOT).as_posix())
def test_no_report_rule_outside_dbt(path: Path):
    assert formulas_in(path.read_text()) == [], f"{path}: move the rule into dbt_project/macros/reports/"


@pytest.mark.parametrize(
    "sql",
    [
        "round(daily.response_sum / nullif(daily.response_count, 0), 1)",
        "SUM(calls_outgoing_connected)::numeric / SUM(calls_outgoing)",
        "select avg(response_working_minutes) from marts.fct_manager_daily_deals",
        "with recursive tree as (select 1)",
        "departments.ancestor_department_ids && %(departments)s::bigint[]",
    ],
)
def test_the_guard_recognises_a_formula(sql: str):
    assert formulas_in(sql)


def test_the_guard_lets_the_dbt_functions_through():
    assert not formulas_in(
        "marts.connect_rate(SUM(calls_outgoing_connected), SUM(calls_outgoing)),"
        " marts.department_subtree(%(departments)s::bigint[])"
    )
