"""Recursive shape of a REST answer: which JSON types each path carries, to compare two answers by shape.

A shape maps a path to the set of JSON types seen there, over every row:

    ``ID``                    the row key ``ID``
    ``SETTINGS.MISSED_CALL``  a key inside an object
    ``UF_DEPARTMENT[]``       the items of a list
    ``FILES.*.id``            keys that are numbers (attached files; users of calendar.accessibility.get)

Types are JSON's: ``null``, ``bool``, ``number`` (PHP writes 0 or 0.5 alike), ``string``, ``object``,
``array``. PHP encodes an empty associative array as ``[]`` and a filled one as ``{}``
(docs/bitrix24-api.md § Value formats), so an empty list or object is typed ``empty`` and matches either.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

Shape = dict[str, set[str]]


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict | list) and not value:
        return "empty"
    return "object" if isinstance(value, dict) else "array"


def _walk(value: Any, path: str, shape: Shape) -> None:
    kind = json_type(value)
    if path:
        shape[path].add(kind)
    prefix = f"{path}." if path else ""
    if kind == "object":
        for key, item in value.items():
            _walk(item, prefix + ("*" if str(key).isdigit() else str(key)), shape)
    elif kind == "array":
        for item in value:
            _walk(item, f"{path}[]", shape)


def shape_of(rows: Iterable[Any]) -> Shape:
    """The union of the shapes of ``rows`` (each a row object of a list answer, or one object answer)."""
    shape: Shape = defaultdict(set)
    for row in rows:
        _walk(row, "", shape)
    return dict(shape)


def compatible(expected: set[str], got: set[str]) -> bool:
    """Whether every type in ``got`` is one the vendor's example shows (``empty`` matches list or object)."""
    widened = set(expected)
    if widened & {"object", "array"}:
        widened.add("empty")
    if "empty" in widened:
        widened |= {"object", "array"}
    return got <= widened


def differences(
    vendor: Shape, emulator: Shape, allowed: dict[str, list[str]], optional: Iterable[str], exact: bool
) -> list[str]:
    """What does not match: vendor paths the emulator lacks (unless ``optional``), types it sends that the
    vendor does not (beyond ``allowed`` extra types per path), and, if ``exact``, paths only the emulator has.
    Paths under a missing or optional path are judged with their parent."""
    problems = []
    skipped = set(optional)
    for path in sorted(vendor):
        if any(path == s or path.startswith((f"{s}.", f"{s}[")) for s in skipped):
            continue
        if path not in emulator:
            problems.append(f"{path}: in the vendor's answer, not in the emulator's")
            skipped.add(path)
            continue
        expected = vendor[path] | set(allowed.get(path, ()))
        if not compatible(expected, emulator[path]):
            problems.append(
                f"{path}: emulator sends {sorted(emulator[path])}, vendor shows {sorted(vendor[path])}"
            )
    if exact:
        extra = sorted(p for p in emulator if p not in vendor and p not in allowed)
        problems += [
            f"{path}: only in the emulator's answer" for path in extra if "." not in path and "[" not in path
        ]
    return problems
