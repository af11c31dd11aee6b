"""The two rules for portal values on their way into PostgreSQL, in one place.

* :func:`pg_safe` — text PostgreSQL can store: ``jsonb`` and ``text`` refuse U+0000, and UTF-8 has no
  encoding for a lone surrogate (a ``\\ud800`` escape without its pair, which JSON allows and Python keeps).
  U+0000 is dropped, a lone surrogate becomes U+FFFD; the loader keeps the original beside the cleaned record.
* :func:`portal_datetime` — one reading of a portal datetime (docs/bitrix24-api.md § Value formats): ISO-8601
  with an offset as it says; ISO-8601 without one in the portal's time zone (what the portal means: it writes
  every datetime in its own zone); the display format ``dd.mm.yyyy[ hh:mm[:ss]]`` day-first, in the portal's
  zone. Anything else is not a datetime (:class:`ValueError`): the loader quarantines the record rather than
  guess, so no time is ever shifted.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# The same three forms as the staging macro b24_timestamp (dbt_project/macros/bitrix24/bitrix24_values.sql).
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?")
_DISPLAY = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?")


def _clean_text(text: str) -> str:
    return _LONE_SURROGATE.sub("\ufffd", text.replace("\x00", ""))


def pg_safe(value: Any) -> Any:
    """``value`` (a decoded JSON value) with every string, keys included, storable by PostgreSQL."""
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, dict):
        return {_clean_text(str(key)): pg_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [pg_safe(item) for item in value]
    return value


def portal_datetime(value: Any, time_zone: str | None) -> datetime:
    """An aware datetime for a portal datetime value; :class:`ValueError` when it is none, or when it names
    no offset and no ``time_zone`` is given to read it in."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{value!r} is not a datetime")
    text = value.strip()
    display = _DISPLAY.fullmatch(text)
    if display and time_zone is None:
        raise ValueError(f"{value!r} has no UTC offset")
    if display:
        day, month, year, hour, minute, second = (int(part or 0) for part in display.groups())
        try:
            return datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo(time_zone))
        except ValueError:
            raise ValueError(f"{value!r} is not a datetime") from None
    if not _ISO.fullmatch(text):
        raise ValueError(f"{value!r} is not a datetime")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:  # the shape is right, the values are not (month 13, hour 25)
        raise ValueError(f"{value!r} is not a datetime") from None
    if parsed.tzinfo is not None:
        return parsed
    if time_zone is None:
        raise ValueError(f"{value!r} has no UTC offset")
    return parsed.replace(tzinfo=ZoneInfo(time_zone))
