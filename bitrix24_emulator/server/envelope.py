"""Response envelopes and errors in the portal's JSON shape (docs/bitrix24-api.md § Requests, § Errors).

PHP serialises an empty array as ``[]`` even where a map is expected (``"result_error": []``);
:func:`to_json` reproduces that so clients meet the quirk here first.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


class RestError(Exception):
    """A REST error answer: HTTP status, ``error`` code (may be empty for CRM business errors) and text."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(f"{status} {code}: {description}")
        self.status = status
        self.code = code
        self.description = description

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "error_description": self.description}


def not_found_method() -> RestError:
    return RestError(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")


def crm_error(description: str) -> RestError:
    """CRM business errors come with HTTP 400 and an empty ``error`` code."""
    return RestError(400, "", description)


class PhpObject(dict[str, Any]):
    """A PHP *object* (not an array): ``json_encode`` writes ``{}`` for it even when it shows no property, as
    for the date objects user.get returns in TIMESTAMP_X (docs/bitrix24-api.md § user.get)."""


_SCALARS = frozenset({str, int, float, bool, type(None)})


def php_empty(value: Any) -> Any:
    """Recursively turn empty maps into empty lists, as PHP's ``json_encode`` of ``array()`` does."""
    if isinstance(value, PhpObject):
        return value
    # Scalars are kept without a call each: a page of 2,500 rows holds ~50,000 of them.
    if isinstance(value, dict):
        if not value:
            return []
        return {k: v if type(v) in _SCALARS else php_empty(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [v if type(v) in _SCALARS else php_empty(v) for v in value]
    return value


def to_json(value: Any) -> bytes:
    body = php_empty(value)
    try:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (hostile data) has no UTF-8 form: send it as a \u escape
        return json.dumps(body, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def time_block(
    start: float,
    finish: float,
    processing: float,
    zone: ZoneInfo,
    operating: float | None,
    reset_at: int | None,
) -> dict[str, Any]:
    """The ``time`` member; ``operating``/``operating_reset_at`` only where an operating budget is kept."""
    block: dict[str, Any] = {
        "start": round(start, 6),
        "finish": round(finish, 6),
        "duration": round(finish - start, 6),
        "processing": round(processing, 6),
        "date_start": datetime.fromtimestamp(start, zone).isoformat(timespec="seconds"),
        "date_finish": datetime.fromtimestamp(finish, zone).isoformat(timespec="seconds"),
    }
    if operating is not None:
        block["operating_reset_at"] = reset_at if reset_at is not None else int(finish)
        block["operating"] = round(operating, 4)
    return block
