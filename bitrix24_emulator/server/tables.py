"""Load-time indexes over the portal's tables, shared by every method and kept current by live mode.

Rows are sorted by ID; ``ids`` is a parallel list of ints so a keyset page (``>ID`` + ``start=-1``)
starts with a bisect instead of a scan. Coerced columns (ints, datetimes as instants) are built on
first use and patched on every mutation, so a date filter over 10^6 rows does not re-parse strings.
All access goes through ``PortalState.lock``.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from typing import Any
from zoneinfo import ZoneInfo

from bitrix24_emulator.model import PortalData, Table
from bitrix24_emulator.server.messenger import Messenger
from bitrix24_emulator.server.values import coerce, infer_kind

_SAMPLE = 200


class TableIndex:
    def __init__(self, table: Table, zone: ZoneInfo) -> None:
        self.table = table
        self.zone = zone
        self.id_pos = table.index_of(table.id_field)
        self.ids: list[int] = [int(row[self.id_pos]) for row in table.rows]
        self.by_lower = {name.lower(): name for name in table.fields}
        self.positions = {name: pos for pos, name in enumerate(table.fields)}  # field → index in a row
        self._kinds: dict[str, str] = {}
        self._columns: dict[str, list[Any]] = {}
        self._lookups: dict[tuple[str, bool], dict[Any, list[int]]] = {}

    @property
    def fields(self) -> tuple[str, ...]:
        return self.table.fields

    @property
    def rows(self) -> list[tuple[Any, ...]]:
        return self.table.rows

    def field(self, name: str) -> str | None:
        """The real field name for a case-insensitive ``name``, or ``None`` if the table has no such field."""
        return self.by_lower.get(str(name).lower())

    def kind(self, name: str) -> str:
        if name not in self._kinds:
            pos = self.table.index_of(name)
            rows = self.table.rows
            sample = [r[pos] for r in rows[:_SAMPLE]] + [r[pos] for r in rows[-_SAMPLE:]]
            self._kinds[name] = "int" if name == self.table.id_field else infer_kind(sample)
        return self._kinds[name]

    def column(self, name: str) -> list[Any]:
        """Coerced values of one column, aligned with ``rows``."""
        if name not in self._columns:
            pos, kind = self.table.index_of(name), self.kind(name)
            self._columns[name] = [coerce(r[pos], kind, self.zone) for r in self.table.rows]
        return self._columns[name]

    def lookup(self, name: str, fold: bool) -> dict[Any, list[int]]:
        """Positions (ascending) by coerced value of one column (lower-cased strings with ``fold``)."""
        key = (name, fold)
        if key not in self._lookups:
            lookup: dict[Any, list[int]] = {}
            for pos, value in enumerate(self.column(name)):
                lookup.setdefault(value.lower() if fold and isinstance(value, str) else value, []).append(pos)
            self._lookups[key] = lookup
        return self._lookups[key]

    def position(self, row_id: int) -> int | None:
        pos = bisect_left(self.ids, row_id)
        return pos if pos < len(self.ids) and self.ids[pos] == row_id else None

    def get(self, row_id: int) -> tuple[Any, ...] | None:
        pos = self.position(row_id)
        return None if pos is None else self.table.rows[pos]

    def next_id(self) -> int:
        return (self.ids[-1] if self.ids else 0) + 1

    # --- mutations (live mode); callers hold the portal lock -------------------------------------
    def append(self, row: tuple[Any, ...]) -> None:
        self._lookups.clear()  # rebuilt on the next look-up
        self.table.rows.append(row)
        self.ids.append(int(row[self.id_pos]))
        for name, values in self._columns.items():
            values.append(coerce(row[self.table.index_of(name)], self.kind(name), self.zone))

    def replace(self, pos: int, row: tuple[Any, ...]) -> None:
        self._lookups.clear()  # rebuilt on the next look-up
        self.table.rows[pos] = row
        for name, values in self._columns.items():
            values[pos] = coerce(row[self.table.index_of(name)], self.kind(name), self.zone)

    def delete(self, pos: int) -> None:
        self._lookups.clear()  # rebuilt on the next look-up
        del self.table.rows[pos]
        del self.ids[pos]
        for values in self._columns.values():
            del values[pos]


class PortalState:
    """The served portal plus its indexes and the one lock readers and the live mutator share."""

    def __init__(self, portal: PortalData) -> None:
        self.portal = portal
        self.zone = ZoneInfo(portal.portal_time_zone)
        self.lock = threading.RLock()
        self.tables = {name: TableIndex(table, self.zone) for name, table in portal.tables.items()}
        self.messenger = Messenger()  # what the im.* methods delivered (tests read it)

    def table(self, name: str) -> TableIndex | None:
        return self.tables.get(name)
