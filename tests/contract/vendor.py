"""The contract fixtures: answers of the REST methods the product calls, from the vendor's documentation.

Each ``fixtures/<method>.json`` (``<method>.<variant>.json`` for a second question to the same method, e.g.
the lead stage history ``crm.stagehistory.list.lead.json``) holds the vendor's example answer (``response``)
with the page it comes from (``_source``, a path in the ``bitrix24/b24restdocs`` repository), the parameters
to ask the emulator the same question (``params``), where the rows are (``rows``), and the allowed
differences between the emulator's answer and the example, each with its reason (``allowed`` extra types per
path, ``optional`` paths). ``exact`` fixtures show every field the method returns, so a field only the
emulator sends is a difference.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FIXTURE_DIR = Path(__file__).parent / "fixtures"


@dataclass(frozen=True)
class VendorExample:
    method: str
    source: str
    params: dict[str, Any]
    rows_path: str
    exact: bool
    allowed: dict[str, list[str]]
    optional: tuple[str, ...]
    response: dict[str, Any]

    def rows(self, answer: dict[str, Any] | None = None) -> list[Any]:
        """The row objects of ``answer`` (the vendor's example by default) at ``rows_path``; an object answer
        (calendar.settings.get, batch) is its one row."""
        value: Any = self.response if answer is None else answer
        for key in self.rows_path.split("."):
            value = value[key]
        return value if isinstance(value, list) else [value]


def load(method: str) -> VendorExample:
    data = json.loads((FIXTURE_DIR / f"{method}.json").read_text(encoding="utf-8"))
    return VendorExample(
        method=data["method"],
        source=data["_source"],
        params=data["params"],
        rows_path=data["rows"],
        exact=data["exact"],
        allowed={path: rule["types"] for path, rule in data["allowed"].items()},
        optional=tuple(data["optional"]),
        response=data["response"],
    )


METHODS = sorted(path.stem for path in FIXTURE_DIR.glob("*.json"))
