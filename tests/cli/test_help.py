"""The CLI's help reads like a person wrote it (#19 point 12): no Python types after the options
(``<bool>`` after a flag or ``--help``, ``<list[int]>``, ``<int>``, ``<str>``), and ``--sort`` names the
columns it sorts by."""

import re

import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from orchestration.reports import SORT_COLUMNS

COMMANDS = [
    [],
    ["report"],
    ["demo"],
    ["sync"],
    ["up"],
    ["check"],
    ["down"],
    ["warehouse"],
    ["warehouse", "start"],
    ["warehouse", "url"],
    ["warehouse", "dbt"],
    ["warehouse", "psql"],
    ["alerts"],
    ["alerts", "test"],
]
PYTHON_TYPE = re.compile(r"<(bool|int|str|float|list\[[a-z]+\]|%Y-%m-%d)>")


def help_text(*command: str) -> str:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"}, prog_name="b24ops")
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "b24ops")
def test_help_shows_no_python_types(command: list[str]) -> None:
    text = help_text(*command)
    assert "--help" in text
    assert not PYTHON_TYPE.search(text), PYTHON_TYPE.search(text)
    assert "``" not in text  # reStructuredText quotes are for docstrings, not for a terminal


def test_report_help_names_what_each_option_takes() -> None:
    text = " ".join(help_text("report").split())  # the terminal wraps lines anywhere
    for option, metavar in [
        ("--from", "YYYY-MM-DD"),
        ("--to", "YYYY-MM-DD"),
        ("--last", "DAYS"),
        ("--department", "ID"),
        ("--manager", "ID"),
        ("--team", "NAME"),
        ("--sort", "COLUMN"),
    ]:
        assert re.search(rf"{option} │? *{metavar}", text) or f"{option} {metavar}" in text, option
    for columns in SORT_COLUMNS.values():
        for column in columns:
            assert column in text, column
    assert "last 30 days" in text
    assert "--this-month" in text
