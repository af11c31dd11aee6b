"""Live mode: the portal keeps changing while it is read, as a working sales department's does.

Each mutation takes the portal lock, so a reader sees a page either before or after it. Timestamps
are portal time (``Service.portal_now``: ``snapshot_at`` of the generated history plus the time the server
has been running, the clock of every answer's ``time`` block), rendered with the portal's offset like every
other datetime. New rows are copies of an existing row
(whatever fields the generator emits) with the identifying and time fields rewritten.

Tests call the mutations directly between two pages (deterministic); ``run`` applies random ones at
``rate`` per second in a background thread for demos and soak tests.
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bitrix24_emulator.server.tables import PortalState, TableIndex


class LiveMutator:
    def __init__(self, state: PortalState, portal_now: Callable[[], float], seed: int = 0) -> None:
        self.state = state
        self.portal_now = portal_now
        self.rng = random.Random(seed)
        self.applied = 0

    def now_iso(self) -> str:
        return datetime.fromtimestamp(self.portal_now(), self.state.zone).isoformat(timespec="seconds")

    def _table(self, name: str) -> TableIndex:
        index = self.state.table(name)
        if index is None or not index.rows:
            raise LookupError(f"live mode needs a non-empty {name!r} table")
        return index

    @staticmethod
    def _with(index: TableIndex, row: tuple[Any, ...], **changes: Any) -> tuple[Any, ...]:
        values = list(row)
        for name, value in changes.items():
            if name in index.fields:
                values[index.table.index_of(name)] = value
        return tuple(values)

    def _id_like(self, template: Any, value: int) -> Any:
        return str(value) if isinstance(template, str) else value

    def _pick(self, index: TableIndex, row_id: int | None) -> int:
        if row_id is None:
            return self.rng.randrange(len(index.rows))
        pos = index.position(row_id)
        if pos is None:
            raise LookupError(f"no row {row_id} in {index.table.name}")
        return pos

    def new_deal(self) -> int:
        with self.state.lock:
            deals = self._table("deals")
            template = deals.rows[self.rng.randrange(len(deals.rows))]
            new_id = deals.next_id()
            now = self.now_iso()
            row = self._with(
                deals,
                template,
                ID=self._id_like(template[deals.id_pos], new_id),
                TITLE=f"Live deal #{new_id}",
                DATE_CREATE=now,
                DATE_MODIFY=now,
                MOVED_TIME=now,
                CLOSED="N",
                STAGE_SEMANTIC_ID="P",
            )
            deals.append(row)
            history = self.state.table("stage_history")
            if history is not None and history.rows:
                sample = history.rows[-1]
                stage = row[deals.table.index_of("STAGE_ID")] if "STAGE_ID" in deals.fields else None
                history.append(
                    self._with(
                        history,
                        sample,
                        ID=self._id_like(sample[history.id_pos], history.next_id()),
                        # numbers spelled as the table spells them (strings on a vendor-default portal)
                        OWNER_ID=self._id_like(sample[history.table.index_of("OWNER_ID")], new_id),
                        TYPE_ID=self._id_like(sample[history.table.index_of("TYPE_ID")], 1),
                        CREATED_TIME=now,
                        STAGE_ID=stage,
                        STAGE_SEMANTIC_ID="P",
                    )
                )
            self.applied += 1
            return new_id

    def bump_deal(self, deal_id: int | None = None) -> int:
        """An edit: only ``DATE_MODIFY`` moves (enough to reorder a sort on it and to feed a watermark)."""
        with self.state.lock:
            deals = self._table("deals")
            pos = self._pick(deals, deal_id)
            deals.replace(pos, self._with(deals, deals.rows[pos], DATE_MODIFY=self.now_iso()))
            self.applied += 1
            return deals.ids[pos]

    def delete_deal(self, deal_id: int | None = None) -> int:
        return self.delete_record("deals", deal_id)

    def delete_record(self, table: str, record_id: int | None = None) -> int:
        """Delete a record of ``table`` (``deals``, ``leads``, …; a random one by default); its ID."""
        with self.state.lock:
            index = self._table(table)
            pos = self._pick(index, record_id)
            removed = index.ids[pos]
            index.delete(pos)
            self.applied += 1
            return removed

    def complete_activity(self, activity_id: int | None = None) -> int | None:
        """Complete an open activity (``COMPLETED`` Y, ``STATUS`` 2, ``LAST_UPDATED`` now); None if none."""
        with self.state.lock:
            acts = self._table("activities")
            done = acts.table.index_of("COMPLETED")
            if activity_id is not None:
                pos: int | None = self._pick(acts, activity_id)
            else:
                tries = (self.rng.randrange(len(acts.rows)) for _ in range(200))
                pos = next((p for p in tries if acts.rows[p][done] == "N"), None)
            if pos is None:
                return None
            acts.replace(
                pos, self._with(acts, acts.rows[pos], COMPLETED="Y", STATUS="2", LAST_UPDATED=self.now_iso())
            )
            self.applied += 1
            return acts.ids[pos]

    def new_call(self) -> int:
        """A finished call appended to the statistics (rows are written once, at call end)."""
        with self.state.lock:
            calls = self._table("calls")
            template = calls.rows[self.rng.randrange(len(calls.rows))]
            new_id = calls.next_id()
            row = self._with(
                calls,
                template,
                ID=self._id_like(template[calls.id_pos], new_id),
                CALL_START_DATE=self.now_iso(),
                CALL_ID=f"externalCall.live{new_id}",
                CRM_ACTIVITY_ID=None,
            )
            calls.append(row)
            self.applied += 1
            return new_id

    def step(self) -> None:
        """One random mutation, weighted roughly like a sales floor: many calls, some edits, rare deletes."""
        action = self.rng.choices(
            [self.new_call, self.bump_deal, self.complete_activity, self.new_deal, self.delete_deal],
            weights=[40, 30, 20, 8, 2],
        )[0]
        with contextlib.suppress(LookupError):  # a portal without that table gets no such change
            action()

    def run(self, rate: float, stop: threading.Event) -> None:
        while not stop.wait(1.0 / rate):
            self.step()
