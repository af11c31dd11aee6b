"""Every error message documented in ``docs/troubleshooting.md`` is produced and checked by a test.

The page lists each message as a level-3 heading holding one back-quoted fragment, e.g.
``### `cannot connect to the warehouse` ``. Messages the product prints but no test asserts yet live under
the heading ``## Not yet covered by tests`` and are not parsed: documenting a message the tests never
produce would promise an error text nobody keeps stable.
"""

from __future__ import annotations

import re
from pathlib import Path

from orchestration.paths import PROJECT_ROOT

PAGE = PROJECT_ROOT / "docs" / "troubleshooting.md"
UNCOVERED_HEADING = "## Not yet covered by tests"
MESSAGE_HEADING = re.compile(r"^### `([^`]+)`\s*$", re.MULTILINE)


def documented_messages(page: str) -> list[str]:
    """The back-quoted fragments of the ``###`` headings above the "not yet covered" section."""
    covered = page.split(UNCOVERED_HEADING, 1)[0]
    return MESSAGE_HEADING.findall(covered)


def other_test_files() -> dict[Path, str]:
    this = Path(__file__).resolve()
    return {
        path: path.read_text(encoding="utf-8")
        for path in sorted((PROJECT_ROOT / "tests").rglob("*.py"))
        if path.resolve() != this
    }


def test_the_page_separates_covered_from_uncovered_messages() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert page.count(UNCOVERED_HEADING) == 1
    assert len(documented_messages(page)) >= 15, "no message headings found: was the format changed?"
    uncovered = page.split(UNCOVERED_HEADING, 1)[1]
    assert not MESSAGE_HEADING.search(uncovered), "uncovered messages must not use the ### `…` heading form"


def test_every_documented_message_is_asserted_by_a_test() -> None:
    texts = other_test_files()
    missing = [
        message
        for message in documented_messages(PAGE.read_text(encoding="utf-8"))
        if not any(message in text for text in texts.values())
    ]
    assert not missing, f"documented in docs/troubleshooting.md but produced by no test: {missing}"
