"""The product's labels in its reader's language: gettext, the English label being the msgid.

Code, the Superset bundle and the digest templates keep their English strings where they are used; a label
is translated where it is shown (``gettext_for(language)(label)``). The one catalogue is
``locale/ru/LC_MESSAGES/b24ops.po`` (``make locale`` extracts the labels with Babel and merges them in;
tests/i18n checks that nothing is missing or untranslated). English needs no catalogue.

No compiled ``.mo`` is committed or built at install: Babel compiles the ``.po`` in memory the first time a
language other than English is asked for, so a compiled catalogue can never be older than its source.
Measured on the shared 2-core machine at load 17: compiling 56 ms, importing Babel's catalogue modules
0.8-1.2 s (paid by a Russian report or provisioning, never by English or ``--help``).
"""

from __future__ import annotations

import functools
import gettext
import io
from collections.abc import Callable
from pathlib import Path
from typing import Literal, get_args

from orchestration.paths import PROJECT_ROOT

Language = Literal["en", "ru"]
LANGUAGES: tuple[str, ...] = get_args(Language)
SOURCE_LANGUAGE = "en"  # the msgids' language
DOMAIN = "b24ops"
LOCALE_DIR = PROJECT_ROOT / "locale"


def N_(label: str) -> str:
    """Mark ``label`` for the catalogue where it is defined (a table of labels); it is translated where it
    is shown. Babel's extractor knows this name."""
    return label


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``language`` (fuzzy entries left out, as ``msgfmt`` does)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}: one of {', '.join(LANGUAGES)}")
    if language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    # Imported here: only a command that shows a translated label pays for Babel.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with catalogue_path(language).open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def gettext_for(language: str) -> Callable[[str], str]:
    """The translating function of ``language``: a label not in the catalogue comes back as it is."""
    return translations(language).gettext
