"""Ground truth: each deal's first contact by the metric contract, derived only from what REST exposes.

Rules (also in ``bitrix24_emulator/README.md``): a contact is by a user whom ``user.get`` lists with
``USER_TYPE == "employee"`` (the robot is not); it happens at or after ``DATE_CREATE`` (earlier rows are
bad data and ignored). Kinds and their instants:

* ``call`` — VOXIMPLANT_CALL activity, outgoing (DIRECTION 2) or a callback (PROVIDER_TYPE_ID CALLBACK, no
  DIRECTION), or incoming whose statistic row (via ``ORIGIN_ID``) has ``CALL_FAILED_CODE`` 200 and
  ``CALL_DURATION`` > 0; at START_TIME, by AUTHOR_ID. COMPLETED plays no part (it depends on the activity
  scenario, not on what happened).
* ``email`` — CRM_EMAIL with DIRECTION 2; at START_TIME, by AUTHOR_ID.
* ``open_line`` — IMOPENLINES_SESSION with RESULT_STATUS 2 (answered); at START_TIME, by AUTHOR_ID.
* ``meeting`` — TYPE_ID 1 with COMPLETED Y; at START_TIME, by AUTHOR_ID. To-dos never count.
* ``stage_change`` — stage history TYPE_ID 2, 3 or 5; at CREATED_TIME, by the deal's ASSIGNED_BY_ID
  (stage history has no author).
* ``deal_edit`` — DATE_MODIFY > DATE_CREATE and DATE_MODIFY ≠ MOVED_TIME; at DATE_MODIFY, by MODIFY_BY_ID.
* ``comment`` — timeline comment; at CREATED, by AUTHOR_ID.

Ties at the same second go to the kind listed first in :data:`KINDS`, then to the lower row ID.
"""

from __future__ import annotations

from bitrix24_emulator.generator.clock import PortalClock
from bitrix24_emulator.generator.deals import Deal
from bitrix24_emulator.generator.records import CALL, EMAIL, MEETING, OPEN_LINE, Recorder
from bitrix24_emulator.model import DealTruth

KINDS = ("call", "email", "open_line", "meeting", "stage_change", "deal_edit", "comment")
_RANK = {kind: rank for rank, kind in enumerate(KINDS)}


def first_touches(
    deals: list[Deal], rec: Recorder, employees: set[int], clock: PortalClock
) -> list[DealTruth]:
    """One :class:`DealTruth` per deal in ID order; ``rec`` must be numbered (``rows.number_records``)."""
    created = [0] * (len(deals) + 1)
    for d in deals:
        created[d.id] = d.created
    best: list[tuple[int, int, int, str, int] | None] = [None] * (len(deals) + 1)

    def offer(deal: int, ts: int, kind: str, row: int, by: int) -> None:
        if by not in employees or ts < created[deal]:
            return
        candidate = (ts, _RANK[kind], row, kind, by)
        current = best[deal]
        if current is None or candidate < current:
            best[deal] = candidate

    for number, a in enumerate(rec.activities, start=1):
        if a.kind == CALL:
            call = rec.calls[a.call]
            if call.call_type in (1, 4) or call.connected:
                offer(a.deal, a.start, "call", number, a.author)
        elif a.kind == EMAIL:
            if a.direction == 2:
                offer(a.deal, a.start, "email", number, a.author)
        elif a.kind == OPEN_LINE:
            if a.answered:
                offer(a.deal, a.start, "open_line", number, a.author)
        elif a.kind == MEETING and a.completed:
            offer(a.deal, a.start, "meeting", number, a.author)
    for number, c in enumerate(rec.comments, start=1):
        offer(c.deal, c.created, "comment", number, c.author)
    for d in deals:
        for move in d.moves:
            if move.type_id in (2, 3, 5):
                offer(d.id, move.created, "stage_change", 0, d.manager.id)
        if d.modified_at > d.created and d.modified_at != d.moved_at:
            offer(d.id, d.modified_at, "deal_edit", 0, d.modified_by)

    out = []
    for d in deals:
        hit = best[d.id]
        if hit is None:
            out.append(DealTruth(d.id, d.manager.id, clock.iso(d.created), None, None, None))
        else:
            out.append(DealTruth(d.id, d.manager.id, clock.iso(d.created), clock.iso(hit[0]), hit[3], hit[4]))
    return out
