"""``docs/bitrix24-api.md`` is the repository's only reference for the Bitrix24 REST API (issue #12).

Code, models, tests and docs cite its sections as ``docs/bitrix24-api.md § <section>``. These tests keep it
that way: no tracked file points at notes kept outside the repository, every citation names a section that
exists, and every REST method the product's assets call has a section of its own.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from orchestration.paths import PROJECT_ROOT

PAGE = PROJECT_ROOT / "docs" / "bitrix24-api.md"
THIS = Path(__file__).resolve()

# Spelled in pieces so that this file does not match itself.
OUTSIDE_NOTES = re.compile(
    "|".join(
        [
            "REST_API" + "_NOTES",  # the notes file that used to live outside the repository
            r"notes'?\s+" + "§",  # "notes §4", "the notes' §1.4 table"
            r"(?<![\w.-])shared/(?:bitrix24|design|hooks|mission)/",  # a file under the workspace's ../shared
        ]
    )
)
CITATION = re.compile(r"bitrix24-api\.md\s*§\s*([^\s`'\")]+)")
PAGE_CITATION = re.compile(r"§\s*([^\s`'\")]+)")
HEADING = re.compile(r"^## (\S+)", re.MULTILINE)
CALLED_METHOD = re.compile(r"\"((?:crm|voximplant|user|department|calendar)\.[a-z]+(?:\.[a-z]+)*)\"")


def tracked_text_files() -> dict[str, str]:
    """Every file git tracks (this one excepted), as text; binary files are skipped."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=PROJECT_ROOT, check=True, capture_output=True
    ).stdout.decode()
    files: dict[str, str] = {}
    for name in filter(None, listed.split("\0")):
        path = PROJECT_ROOT / name
        if path.resolve() == THIS or not path.is_file():
            continue
        try:
            files[name] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
    return files


def section_keys(page: str) -> set[str]:
    """The first word of each ``##`` heading: ``Paging``, ``batch``, ``crm.activity.list`` …"""
    return {cited_key(word) for word in HEADING.findall(page)}


def cited_key(raw: str) -> str:
    return raw.rstrip(".,;:")


def test_no_tracked_file_refers_to_notes_outside_the_repository() -> None:
    offenders = [
        f"{name}:{text.count(chr(10), 0, match.start()) + 1}: {match.group(0)!r}"
        for name, text in tracked_text_files().items()
        for match in OUTSIDE_NOTES.finditer(text)
    ]
    assert not offenders, "cite docs/bitrix24-api.md instead:\n" + "\n".join(offenders)


def test_the_pattern_catches_the_old_citation_forms() -> None:
    for old in (
        "(notes §5.7)",
        "the notes' §1.4 table",
        "(REST_API" + "_NOTES §5–§6)",
        "facts: `shared/bitrix24/REST_API" + "_NOTES.md`",
        "../shared/design/METRICS.md",
        "/work/shared/design/METRICS.md",
    ):
        assert OUTSIDE_NOTES.search(old), old
    assert not OUTSIDE_NOTES.search("docs/bitrix24-api.md § Paging")


def test_every_citation_names_a_section_of_the_page() -> None:
    page = PAGE.read_text(encoding="utf-8")
    keys = section_keys(page)
    assert {"Authentication", "Paging", "batch", "Limits", "Errors", "Value"} <= keys
    cited = {
        (name, cited_key(match.group(1)))
        for name, text in tracked_text_files().items()
        for match in CITATION.finditer(text)
    }
    cited |= {("docs/bitrix24-api.md", cited_key(m.group(1))) for m in PAGE_CITATION.finditer(page)}
    assert len(cited) >= 30, "citations not found: was their format changed?"
    unknown = sorted(f"{name}: § {key}" for name, key in cited if key not in keys)
    assert not unknown, f"no such section in {PAGE.name} (sections: {sorted(keys)}):\n" + "\n".join(unknown)


def test_every_method_the_assets_call_has_a_section() -> None:
    called = {
        method
        for path in sorted((PROJECT_ROOT / "orchestration" / "defs").rglob("*.py"))
        for method in CALLED_METHOD.findall(path.read_text(encoding="utf-8"))
    }
    assert {"crm.deal.list", "user.get", "voximplant.statistic.get"} <= called
    missing = sorted(called - section_keys(PAGE.read_text(encoding="utf-8")))
    assert not missing, f"methods without a '## <method>' section in {PAGE.name}: {missing}"
