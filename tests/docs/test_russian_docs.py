"""The Russian docs (docs/ru/) stay in step with the English ones: the same commands and outputs (every code
block, in order) and the same sections (heading levels and their numbers, in order)."""

from __future__ import annotations

import re

import pytest

from orchestration.paths import PROJECT_ROOT

CODE_BLOCK = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^(#+) (\d+\.)?", re.MULTILINE)


def _opening(text: str) -> str:
    """The README's opening: what comes before its documentation index."""
    return text.split("\n## Documentation", 1)[0]


PAIRS = {
    "README.md": ("docs/ru/README.md", _opening),
    "docs/quickstart.md": ("docs/ru/quickstart.md", lambda text: text),
    "docs/metrics.md": ("docs/ru/metrics.md", lambda text: text),
}


def _versions(english: str) -> tuple[str, str]:
    russian, part = PAIRS[english]
    return part((PROJECT_ROOT / english).read_text()), (PROJECT_ROOT / russian).read_text()


def _sections(text: str) -> list[tuple[int, str]]:
    prose = CODE_BLOCK.sub("", text)  # a `# comment` in a shell block is no heading
    return [(len(level), number or "") for level, number in HEADING.findall(prose)]


@pytest.mark.parametrize("english", PAIRS)
def test_the_russian_version_has_the_same_commands_and_outputs(english: str) -> None:
    en, ru = _versions(english)
    assert CODE_BLOCK.findall(ru) == CODE_BLOCK.findall(en)


@pytest.mark.parametrize("english", PAIRS)
def test_the_russian_version_has_the_same_sections(english: str) -> None:
    en, ru = _versions(english)
    assert _sections(ru) == _sections(en)
    assert len(_sections(en)) > 1
