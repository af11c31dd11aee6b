"""The one catalogue of labels: every label the product shows has its Russian, and nothing is shown that the
catalogue lacks (the labels extracted from the code, the Superset bundle and the digests with babel.cfg)."""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from orchestration.i18n import DOMAIN, LANGUAGES, SOURCE_LANGUAGE, catalogue_path, gettext_for
from orchestration.paths import PROJECT_ROOT

TRANSLATED = [language for language in LANGUAGES if language != SOURCE_LANGUAGE]
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")


def _catalogue(language: str):
    with catalogue_path(language).open("rb") as source:
        return read_po(source, locale=language, domain=DOMAIN)


def _extracted() -> set[str]:
    with (PROJECT_ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    return {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(PROJECT_ROOT), method_map, options_map
        )
    }


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_label_has_a_translation_that_is_not_fuzzy(language: str) -> None:
    untranslated = [
        message.id for message in _catalogue(language) if message.id and (not message.string or message.fuzzy)
    ]
    assert not untranslated, f"translate (make locale adds new labels) in {catalogue_path(language)}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_translation_keeps_the_placeholders_of_its_label(language: str) -> None:
    differ = [
        message.id
        for message in _catalogue(language)
        if message.id
        and sorted(PLACEHOLDER.findall(message.id)) != sorted(PLACEHOLDER.findall(message.string))
    ]
    assert not differ


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalogue_holds_every_label_of_the_cli_the_bundle_and_the_digests(language: str) -> None:
    extracted = _extracted()
    catalogue = {message.id for message in _catalogue(language) if message.id}
    assert not extracted - catalogue, "labels missing from the catalogue: run make locale, then translate"
    assert not catalogue - extracted, "labels no longer used: run make locale (it drops them)"


def test_extraction_sees_python_yaml_and_sql_labels() -> None:
    extracted = _extracted()
    assert {
        "avg response working minutes",  # a report column (orchestration/cli/report_table.py)
        "Summary for {day}",  # a digest template (orchestration/alerts/messages.py)
        "Deal handling",  # a dashboard title (superset/bundle/dashboards)
        "Date range",  # a native filter (superset/bundle/filters.yaml)
        "Avg response, working h:mm",  # a metric label (superset/bundle/datasets)
        "estimated",  # a value a dataset's SQL shows
    } <= extracted


def test_russian_comes_from_the_catalogue_and_english_is_the_label_itself() -> None:
    assert gettext_for("ru")("Deal handling") == "Работа со сделками"
    assert gettext_for("en")("Deal handling") == "Deal handling"
    assert gettext_for("ru")("a label nobody wrote") == "a label nobody wrote"
