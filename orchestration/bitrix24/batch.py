"""``batch`` calls: building command strings and reading the five per-command maps of the answer.

Facts: docs/bitrix24-api.md § batch.

A command is ``"method?query"`` whose query the portal parses like a PHP query string, so nested parameters
use bracket syntax (``filter[>ID]=10&order[ID]=ASC&select[0]=ID``). Values are percent-encoded once (the JSON
body carries the strings as they are); the portal substitutes ``$result[key][49][ID]`` references after
parsing, so a percent-encoded reference still resolves. PHP serialises empty maps as ``[]``;
:func:`parse_batch` turns those back into dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

MAX_COMMANDS = 50


def php_query(params: dict[str, Any]) -> str:
    """``params`` as a PHP-style query string (``a[b][0]=c``), in insertion order."""
    pairs: list[str] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}[{_key(key)}]", item)
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                walk(f"{prefix}[{index}]", item)
        else:
            pairs.append(f"{prefix}={quote(_scalar(value), safe='')}")

    for key, value in params.items():
        walk(_key(key), value)
    return "&".join(pairs)


def _key(key: object) -> str:
    # PHP url-decodes a name before reading its brackets, so operators (``>=``, ``!@``, ``%``) are encoded.
    return quote(str(key), safe="")


def _scalar(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def command(method: str, params: dict[str, Any]) -> str:
    return f"{method}?{php_query(params)}" if params else method


@dataclass
class BatchResult:
    """The per-command maps of a ``batch`` answer, keyed by command key; absent keys mean "not run"."""

    results: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, dict[str, Any]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    nexts: dict[str, int] = field(default_factory=dict)
    times: dict[str, dict[str, Any]] = field(default_factory=dict)


def _as_map(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, list):  # ``[]`` from PHP, or a list-form cmd answered positionally
        return {str(i): v for i, v in enumerate(value)}
    return {}


def parse_batch(result: Any) -> BatchResult:
    """Read the ``result`` member of a ``batch`` answer."""
    outer = _as_map(result)
    errors = {
        k: v if isinstance(v, dict) else {"error": str(v)}
        for k, v in _as_map(outer.get("result_error")).items()
    }
    return BatchResult(
        results=_as_map(outer.get("result")),
        errors=errors,
        totals={k: int(v) for k, v in _as_map(outer.get("result_total")).items() if v is not None},
        nexts={k: int(v) for k, v in _as_map(outer.get("result_next")).items() if v is not None},
        times={k: v for k, v in _as_map(outer.get("result_time")).items() if isinstance(v, dict)},
    )
