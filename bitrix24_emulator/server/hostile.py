"""A hostile portal: answers that are well-formed HTTP but wrong in ways a client must not trust.

Protocol cases, applied to a method's answer after it ran (each at most ``times`` answers of ``method``):

* ``short_page`` — a full 50-row page comes back with only ``rows`` of them (37 by default) and the
  ``total``/``next`` of the full page: a client that stops at a short page silently loses the rest.
* ``total_beyond_rows`` — the list withholds its last ``rows`` records (pages past them come back empty)
  while ``total`` still counts them (``user.get`` saying 60 and listing 50).
* ``duplicate_rows`` — every page repeats its first row right after it (an offset list then also shows an
  ID on two pages when its pages overlap). On a keyset list (``>ID``) this breaks the filter's promise, and
  the client refuses the answer rather than guess.
* ``unauthorized`` — the ``rows``-th answer of the method (counted from 1) is ``401 NO_AUTH_FOUND``, as when
  the webhook is deleted or its user fired in the middle of a run.
* ``bad_records`` — every read of the list ends with :data:`BAD_RECORDS`: copies of the read's last record
  under new IDs (above every real one, so the ID order holds) with a string holding U+0000, a lone
  surrogate, no ``DATE_MODIFY`` at all, ``DATE_MODIFY: null``; ``total`` does not count them. A portal's
  filter would never return the last two; a proxy, a plug-in or a bug between the database and the answer
  can.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from bitrix24_emulator.server.envelope import RestError
from bitrix24_emulator.server.methods import Result
from bitrix24_emulator.server.paging import PAGE

CASES = ("short_page", "total_beyond_rows", "bad_records", "duplicate_rows", "unauthorized")
# The records ``bad_records`` appends: (ID offset above the portal's highest ID, change to the copied record).
BAD_ID_BASE = 1_000_000
BAD_RECORDS: tuple[tuple[int, dict[str, Any]], ...] = (
    (1, {"TITLE": "Nul\x00in the title"}),
    (2, {"TITLE": "Lone \ud800 surrogate"}),
    (3, {"DATE_MODIFY": None}),
    (4, {"DATE_MODIFY": ...}),  # Ellipsis: the key is left out
    # loads as it is: a 100,000-character title of quotes, backslashes, tabs, newlines and COPY's \N
    (5, {"TITLE": ("\"quoted\" 'single' back\\slash \\N tab\t line\n" * 2000)[:100_000]}),
)


@dataclass(frozen=True)
class HostileCase:
    case: str
    method: str
    rows: int
    times: int = 1  # answers changed; 0 = every answer


@dataclass
class Hostile:
    cases: tuple[HostileCase, ...] = ()
    _served: dict[int, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        unknown = {case.case for case in self.cases} - set(CASES)
        if unknown:
            raise ValueError(f"unknown hostile cases: {sorted(unknown)}")

    def refuse(self, method: str) -> None:
        """Raise the ``401`` of an ``unauthorized`` case whose turn it is (before the method runs)."""
        for number, case in enumerate(self.cases):
            if case.case == "unauthorized" and case.method == method:
                with self._lock:
                    self._served[number] = self._served.get(number, 0) + 1
                    turn = self._served[number] == case.rows
                if turn:
                    raise RestError(401, "NO_AUTH_FOUND", "Wrong authorization data")

    def apply(self, method: str, start: int, result: Result) -> Result:
        """The answer a hostile portal gives instead of ``result`` (a page starting at offset ``start``)."""
        for number, case in enumerate(self.cases):
            if case.method != method or not isinstance(result.result, list):
                continue
            rows = result.result
            if case.case == "short_page" and len(rows) == PAGE and self._take(number, case):
                result = Result(rows[: case.rows], result.total, result.next, case.rows, result.scanned)
            elif case.case == "bad_records":
                result = with_extra_records(result, BAD_RECORDS)
            elif case.case == "duplicate_rows" and rows:
                doubled = [rows[0], rows[0], *rows[1:]]
                result = Result(
                    doubled, result.total, result.next, len(doubled), result.scanned, result.counted
                )
            elif case.case == "total_beyond_rows" and result.total:
                kept = max(0, min(len(rows), result.total - case.rows - start))
                if kept < len(rows) and self._take(number, case):
                    result = Result(rows[:kept], result.total, result.next, kept, result.scanned, True)
        return result

    def _take(self, number: int, case: HostileCase) -> bool:
        with self._lock:
            served = self._served.get(number, 0)
            if case.times and served >= case.times:
                return False
            self._served[number] = served + 1
            return True


def bad_record(base: dict[str, Any], offset: int, change: dict[str, Any]) -> dict[str, Any]:
    record = {**base, "ID": str(BAD_ID_BASE + offset)}
    for key, value in change.items():
        if value is ...:
            record.pop(key, None)
        else:
            record[key] = value
    return record


def with_extra_records(result: Result, records: tuple[tuple[int, dict[str, Any]], ...]) -> Result:
    """The read's last page (short, with room for the bad records) ends with ``records`` (as
    :data:`BAD_RECORDS`); ``total`` is left as the database counted (the records come from between the
    database and the answer). Public so that a test can serve well-formed twins of some bad records on the
    same pages: the room asked for is the bad records', whatever ``records`` holds."""
    rows = result.result
    if not rows or len(rows) + len(BAD_RECORDS) >= PAGE:
        return result
    extra = [bad_record(rows[-1], offset, change) for offset, change in records]
    return Result(
        [*rows, *extra], result.total, result.next, len(rows) + len(extra), result.scanned, result.counted
    )


def parse_case(text: str) -> HostileCase:
    """``short_page:crm.deal.list:37`` or ``total_beyond_rows:user.get:10`` (the emulator's --hostile)."""
    case, method, rows, *times = text.split(":")
    return HostileCase(case, method.lower(), int(rows), int(times[0]) if times else 1)
