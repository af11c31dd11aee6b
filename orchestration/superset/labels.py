"""The strings of the Superset bundle a reader sees, by their YAML key: what the catalogue holds
(:func:`extract_bundle_labels`, Babel's extractor for ``superset/bundle/``, see ``babel.cfg``) and what
provisioning translates (:func:`translate_labels`). One list of keys serves both, so a label cannot be
provisioned untranslated without the catalogue test noticing.

Column descriptions are not here: they come from the dbt docs at rendering (the documentation of a column,
kept in English); the catalogue gives display names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import IO, Any

import yaml

LABEL_KEYS = frozenset(
    {
        "dashboard_title",
        "slice_name",
        "description",  # of a dashboard, chart, dataset, metric or native filter
        "verbose_name",  # of a dataset column or metric
        "name",  # of a native filter (filters.yaml)
        "default_option",  # the option a select filter opens with (filters.yaml)
        "x_axis_title",
        "y_axis_title",
        "x_axis_label",
        "y_axis_label",
    }
)

# A text value a dataset's SQL shows (a pattern's name, "exact"): written _('label') in the template, a plain
# SQL literal in the reader's language once rendered (an unrendered one is an SQL error, never shown).
SQL_LABEL = re.compile(r"_\('([^']+)'\)")

# How a Russian reader writes a day and a month: the charts' date formats replaced at provisioning.
DATE_FORMATS = {"ru": {"smart_date": "%d.%m.%Y", "%Y-%m-%d": "%d.%m.%Y", "%Y-%m": "%m.%Y"}}
DATE_FORMAT_KEYS = frozenset({"table_timestamp_format", "x_axis_time_format"})


def _is_label(key: Any, value: Any) -> bool:
    return key in LABEL_KEYS and isinstance(value, str) and bool(value.strip())


def translate_labels(tree: Any, gettext: Callable[[str], str], language: str) -> Any:
    """``tree`` (parsed bundle YAML) with every label translated and day formats in ``language``'s way."""
    if isinstance(tree, list):
        return [translate_labels(item, gettext, language) for item in tree]
    if not isinstance(tree, dict):
        return tree
    date_formats = DATE_FORMATS.get(language, {})
    translated = {}
    for key, value in tree.items():
        if _is_label(key, value):
            translated[key] = gettext(value)
        elif key == "sql" and isinstance(value, str):
            translated[key] = SQL_LABEL.sub(
                lambda label: "'" + gettext(label[1]).replace("'", "''") + "'", value
            )
        elif key in DATE_FORMAT_KEYS and value in date_formats:
            translated[key] = date_formats[value]
        else:
            translated[key] = translate_labels(value, gettext, language)
    return translated


def _labels(node: yaml.Node) -> Iterator[tuple[int, str]]:
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _labels(item)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if not isinstance(value, yaml.ScalarNode):
                yield from _labels(value)
            elif key.value == "sql":
                for label in SQL_LABEL.finditer(value.value):
                    # a block scalar starts on the line after its key
                    yield value.start_mark.line + 2 + value.value.count("\n", 0, label.start()), label[1]
            elif value.tag.endswith(":str") and _is_label(key.value, value.value):
                yield value.start_mark.line + 1, value.value


def extract_bundle_labels(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, None, str, list[str]]]:
    """Babel's extraction method for the bundle's YAML (the signature Babel calls)."""
    root = yaml.compose(fileobj.read().decode())
    if root is not None:
        for line, label in _labels(root):
            yield line, None, label, []
