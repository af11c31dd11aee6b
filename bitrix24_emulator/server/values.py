"""Typed comparison of wire-format values (strings, ``Y``/``N``, ISO datetimes) against filter operands.

Rows stay in wire format; for filtering and ordering a column gets a *kind* inferred once from its values, and
both sides are coerced to it. Datetimes compare as instants, whatever offset or format (ISO with/without
offset, ``YYYY-MM-DD``, portal format ``DD.MM.YYYY HH:MM:SS``) the operand uses; an operand without an offset
is read in the portal time zone (docs/bitrix24-api.md § Value formats, inferred from source).
"""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo
from functools import lru_cache
from typing import Any

INT, FLOAT, DATETIME, BOOL, STR = "int", "float", "datetime", "bool", "str"

_INT_RE = re.compile(r"^-?\d+$")
_FLOAT_RE = re.compile(r"^-?\d+\.\d+$")
_ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?")
_PORTAL_RE = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?$")


def infer_kind(values: list[Any]) -> str:
    """The comparison kind of a column from a sample of its non-null values."""
    sample = [v for v in values if v is not None and v != ""]
    if not sample:
        return STR
    if all(isinstance(v, bool) for v in sample):
        return BOOL
    if all(isinstance(v, int) and not isinstance(v, bool) or _INT_RE.match(str(v)) for v in sample):
        return INT
    if all(isinstance(v, int | float) or _FLOAT_RE.match(str(v)) or _INT_RE.match(str(v)) for v in sample):
        return FLOAT
    if all(isinstance(v, str) and (_ISO_RE.match(v) or _PORTAL_RE.match(v)) for v in sample):
        return DATETIME
    return STR


@lru_cache(maxsize=4096)
def _parse_instant(text: str, zone: tzinfo) -> float | None:
    text = text.strip()
    match = _PORTAL_RE.match(text)
    try:
        if match:
            day, month, year, hh, mm, ss = match.groups()
            moment = datetime(int(year), int(month), int(day), int(hh or 0), int(mm or 0), int(ss or 0))
        elif len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), datetime.min.time())
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.timestamp()


def coerce(value: Any, kind: str, zone: tzinfo) -> Any:
    """``value`` as a comparable of ``kind``; ``None`` when unreadable (such a condition matches nothing)."""
    if value is None or isinstance(value, dict | list):
        return None
    if kind == BOOL:
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("1", "y", "true")
    if kind == INT:
        try:
            return int(value) if not isinstance(value, float) else value
        except (TypeError, ValueError):
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
    if kind == FLOAT:
        try:
            return float(value)
        except (TypeError, ValueError):
            return None
    if kind == DATETIME:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        return _parse_instant(str(value), zone)
    return str(value)
