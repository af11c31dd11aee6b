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

The same rules apply to a lead's records (activities with OWNER_TYPE_ID 1, comments with ENTITY_TYPE lead,
lead status history TYPE_ID 2 or 3 by the lead's ASSIGNED_BY_ID, ``lead_edit`` like ``deal_edit``).
A **request chain** (:func:`request_chains`) is a lead with the deals whose LEAD_ID names it, or a deal
without a lead; it starts at the earliest DATE_CREATE of its records; its first contact is the earliest
contact on any of its records at or after that start (ties as for deals, then the lead's contact first);
its responsible is the ASSIGNED_BY_ID of the record that contact was on (the deal's, or else the lead's,
while untouched). docs/decisions.md has the reasons.
"""

from __future__ import annotations

from collections.abc import Iterator

from bitrix24_emulator.generator.clock import PortalClock
from bitrix24_emulator.generator.deals import Deal
from bitrix24_emulator.generator.leads import Lead
from bitrix24_emulator.generator.records import CALL, DEAL, EMAIL, LEAD, MEETING, OPEN_LINE, Recorder
from bitrix24_emulator.model import DealTruth, RequestTruth

KINDS = ("call", "email", "open_line", "meeting", "stage_change", "deal_edit", "comment", "lead_edit")
_RANK = {kind: rank for rank, kind in enumerate(KINDS)}

Contact = tuple[int, int, int, str, int]  # (instant, kind rank, row ID, kind, by): ordered as the tie rule


def _contacts(
    deals: list[Deal], leads: list[Lead], rec: Recorder, employees: set[int]
) -> Iterator[tuple[int, int, Contact]]:
    """Every contact by a real employee on a deal or a lead: (OWNER_TYPE_ID, owner ID, contact)."""
    for number, a in enumerate(rec.activities, start=1):
        if a.author not in employees:
            continue
        if a.kind == CALL:
            call = rec.calls[a.call]
            hit = call.call_type in (1, 4) or call.connected
        elif a.kind == EMAIL:
            hit = a.direction == 2
        elif a.kind == OPEN_LINE:
            hit = a.answered
        else:
            hit = a.kind == MEETING and a.completed
        if hit:
            yield a.owner_type, a.deal, (a.start, _RANK[a.kind], number, a.kind, a.author)
    for number, c in enumerate(rec.comments, start=1):
        if c.author in employees:
            yield c.owner_type, c.deal, (c.created, _RANK["comment"], number, "comment", c.author)
    for d in deals:
        for move in d.moves:
            if move.type_id in (2, 3, 5) and d.manager.id in employees:
                yield DEAL, d.id, (move.created, _RANK["stage_change"], 0, "stage_change", d.manager.id)
        if d.modified_at > d.created and d.modified_at != d.moved_at and d.modified_by in employees:
            yield DEAL, d.id, (d.modified_at, _RANK["deal_edit"], 0, "deal_edit", d.modified_by)
    for lead in leads:
        for lead_move in lead.moves:
            if lead_move.type_id in (2, 3) and lead.manager.id in employees:
                yield (
                    LEAD,
                    lead.id,
                    (lead_move.created, _RANK["stage_change"], 0, "stage_change", lead.manager.id),
                )
        if (
            lead.modified_at > lead.created
            and lead.modified_at != lead.moved_at
            and lead.modified_by in employees
        ):
            yield LEAD, lead.id, (lead.modified_at, _RANK["lead_edit"], 0, "lead_edit", lead.modified_by)


def _per_record(
    deals: list[Deal], leads: list[Lead], rec: Recorder, employees: set[int]
) -> dict[tuple[int, int], list[Contact]]:
    out: dict[tuple[int, int], list[Contact]] = {}
    for owner_type, owner_id, contact in _contacts(deals, leads, rec, employees):
        out.setdefault((owner_type, owner_id), []).append(contact)
    return out


def _first(contacts: list[Contact], start: int) -> Contact | None:
    return min((c for c in contacts if c[0] >= start), default=None)


def first_touches(
    deals: list[Deal], rec: Recorder, employees: set[int], clock: PortalClock, leads: list[Lead] | None = None
) -> list[DealTruth]:
    """One :class:`DealTruth` per deal in ID order (contacts on the deal itself only); ``rec`` must be
    numbered (``rows.number_records``)."""
    contacts = _per_record(deals, leads or [], rec, employees)
    out = []
    for d in deals:
        hit = _first(contacts.get((DEAL, d.id), []), d.created)
        if hit is None:
            out.append(DealTruth(d.id, d.manager.id, clock.iso(d.created), None, None, None))
        else:
            out.append(DealTruth(d.id, d.manager.id, clock.iso(d.created), clock.iso(hit[0]), hit[3], hit[4]))
    return out


def request_chains(
    deals: list[Deal], leads: list[Lead], rec: Recorder, employees: set[int], clock: PortalClock
) -> list[RequestTruth]:
    """One :class:`RequestTruth` per request chain: every lead (with the deals converted from it), then every
    deal without a lead, each in ID order."""
    contacts = _per_record(deals, leads, rec, employees)
    deals_of: dict[int, list[Deal]] = {}
    for d in deals:
        if d.lead_id is not None:
            deals_of.setdefault(d.lead_id, []).append(d)
    chains: list[tuple[Lead | None, list[Deal]]] = [(lead, deals_of.get(lead.id, [])) for lead in leads]
    chains += [(None, [d]) for d in deals if d.lead_id is None]
    out = []
    for lead, chain_deals in chains:
        records: list[tuple[tuple[int, int], int, int]] = [
            ((DEAL, d.id), d.created, d.manager.id) for d in chain_deals
        ]
        if lead is not None:
            records.append(((LEAD, lead.id), lead.created, lead.manager.id))
        start = min(created for _, created, _ in records)
        # ties: as for deals (instant, kind, row ID), then the lead's contact before a deal's, then the author
        best: tuple[tuple[int, int, int, int, int], Contact, int] | None = None
        for key, _, responsible in records:
            hit = _first(contacts.get(key, []), start)
            if hit is not None:
                rank = (hit[0], hit[1], hit[2], key[0], hit[4])
                if best is None or rank < best[0]:
                    best = (rank, hit, responsible)
        deal_id = min((d.id for d in chain_deals), default=None)
        if best is None:
            out.append(
                RequestTruth(
                    lead.id if lead else None, deal_id, records[0][2], clock.iso(start), None, None, None
                )
            )
        else:
            _, hit, responsible = best
            out.append(
                RequestTruth(
                    lead.id if lead else None,
                    deal_id,
                    responsible,
                    clock.iso(start),
                    clock.iso(hit[0]),
                    hit[3],
                    hit[4],
                )
            )
    return out
