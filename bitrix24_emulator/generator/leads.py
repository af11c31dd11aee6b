"""Leads: requests that arrive as a lead first, their qualification, conversion into deals, junk, repeats.

Run after the deals are told (:class:`lifecycle.Storyteller`) and with an RNG stream of its own, so a portal
with ``lead_share`` 0 is byte for byte the deals-only portal of the same seed. The mix, per request:

* a share ``lead_share`` of the deals that come from outside (web forms, chats, calls, e-mails) arrived as a
  lead: the lead is created earlier, often contacted on the lead, and converted at the deal's creation —
  status ``CONVERTED``, the deal's ``LEAD_ID`` names it (docs/bitrix24-api.md § crm.lead.list);
* besides, leads that never become a deal: junked (status ``JUNK``) or still in work (``NEW`` or
  ``IN_PROCESS``, half of them with a call-back to-do planned, overdue once its deadline passes), some of
  them repeated requests of a client who already has a deal (``IS_RETURN_CUSTOMER``);
* a few leads of an existing client converted into that client's existing deal: the deal, which had no lead,
  gets ``LEAD_ID`` at the conversion — the vendor writes it only on a deal without one.

Contacts are recorded with :class:`story.Primitives` bound to the lead (``OWNER_TYPE_ID`` 1, comments
``ENTITY_TYPE`` lead); the truth derives the first contact of each request chain from the rows alone
(:mod:`truth`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from bitrix24_emulator.generator.clock import PortalClock
from bitrix24_emulator.generator.deals import Deal
from bitrix24_emulator.generator.people import Person
from bitrix24_emulator.generator.records import LEAD, Activity, Comment
from bitrix24_emulator.generator.story import DAY, Primitives
from bitrix24_emulator.model import Table

# Default lead statuses (docs/bitrix24-api.md § crm.status.list — lead statuses): code, name, semantics.
LEAD_STATUSES = (
    ("NEW", "Не обработан", "P"),
    ("IN_PROCESS", "В работе", "P"),
    ("PROCESSED", "Обработан", "P"),
    ("CONVERTED", "Качественный лид", "S"),
    ("JUNK", "Некачественный лид", "F"),
)
_SEMANTIC = {code: semantic for code, _, semantic in LEAD_STATUSES}
_FIRST_NAMES = ("Анна", "Иван", "Мария", "Олег", "Елена", "Сергей", "Ольга")
_LAST_NAMES = ("Смирнова", "Кузнецов", "Попова", "Соколов", "Лебедева", "Козлов")
_FROM_OUTSIDE = frozenset({"WEB", "WEBFORM", "CALL", "EMAIL"})
_FIRST_KINDS = ("call", "email", "comment", "stage_change")
_FIRST_WEIGHTS = (60, 15, 10, 15)

# The fields of the vendor's crm.lead.list example (docs/bitrix24-api.md § crm.lead.list), no custom fields.
LEAD_FIELDS = (
    "ID",
    "TITLE",
    "HONORIFIC",
    "NAME",
    "SECOND_NAME",
    "LAST_NAME",
    "COMPANY_TITLE",
    "COMPANY_ID",
    "CONTACT_ID",
    "IS_RETURN_CUSTOMER",
    "BIRTHDATE",
    "SOURCE_ID",
    "SOURCE_DESCRIPTION",
    "STATUS_ID",
    "STATUS_DESCRIPTION",
    "POST",
    "COMMENTS",
    "CURRENCY_ID",
    "OPPORTUNITY",
    "IS_MANUAL_OPPORTUNITY",
    "HAS_PHONE",
    "HAS_EMAIL",
    "HAS_IMOL",
    "ASSIGNED_BY_ID",
    "CREATED_BY_ID",
    "MODIFY_BY_ID",
    "DATE_CREATE",
    "DATE_MODIFY",
    "DATE_CLOSED",
    "STATUS_SEMANTIC_ID",
    "OPENED",
    "ORIGINATOR_ID",
    "ORIGIN_ID",
    "MOVED_BY_ID",
    "MOVED_TIME",
    "ADDRESS",
    "ADDRESS_2",
    "ADDRESS_CITY",
    "ADDRESS_POSTAL_CODE",
    "ADDRESS_REGION",
    "ADDRESS_PROVINCE",
    "ADDRESS_COUNTRY",
    "ADDRESS_COUNTRY_CODE",
    "ADDRESS_LOC_ADDR_ID",
    "UTM_SOURCE",
    "UTM_MEDIUM",
    "UTM_CAMPAIGN",
    "UTM_CONTENT",
    "UTM_TERM",
    "LAST_ACTIVITY_BY",
    "LAST_ACTIVITY_TIME",
)
LEAD_HISTORY_FIELDS = ("ID", "TYPE_ID", "OWNER_ID", "CREATED_TIME", "STATUS_SEMANTIC_ID", "STATUS_ID")


@dataclass(slots=True)
class LeadMove:
    """One lead status history row: TYPE_ID 1 created, 2 non-final status, 3 final status."""

    created: int
    type_id: int
    status: str


@dataclass(slots=True)
class Lead:
    created: int
    manager: Person
    creator: int
    source: str
    contact: int  # CONTACT_ID: the client
    returning: bool
    id: int = 0
    status: str = "NEW"
    moved_at: int = 0
    moved_by: int = 0
    modified_at: int = 0
    modified_by: int = 0
    closed_at: int | None = None
    last_activity: tuple[int, int] | None = None
    moves: list[LeadMove] = field(default_factory=list)
    deal: Deal | None = None  # the deal whose LEAD_ID names this lead


class LeadTeller(Primitives):
    """Records leads and their contacts into the same :class:`Recorder` as the deals, bound to the lead."""

    def __init__(self, *args: object, first: int, lead_share: float, seed: int, **kwargs: object) -> None:
        super().__init__(*args, seed=seed, **kwargs)  # type: ignore[arg-type]
        self.rng = random.Random(f"{seed}:leads")  # its own stream: the deals' story is untouched
        self.first, self.share = first, lead_share
        self.leads: list[Lead] = []

    # --- primitives bound to a lead -------------------------------------------------------------
    def _activity(self, act: Activity, deal: Deal) -> None:  # ``deal`` is a Lead here
        act.owner_type = LEAD
        super()._activity(act, deal)

    def comment(self, deal: Deal, author: int, ts: int) -> None:
        self.rec.comments.append(Comment(ts, deal.id, author, "Квалификация: уточнить потребность", LEAD))

    def lead_call(self, lead: Lead, user: int, ts: int, call_type: int, connect: bool | None = None) -> None:
        self.call(lead, user, ts, call_type, connect)  # type: ignore[arg-type]
        self.rec.calls[-1].contact = lead.contact  # the client's number, not an ID derived from the lead's

    def _status(self, lead: Lead, ts: int, status: str, by: int) -> None:
        final = _SEMANTIC[status] != "P"
        lead.status, lead.moved_at, lead.moved_by = status, ts, by
        lead.modified_at, lead.modified_by = ts, by
        lead.closed_at = ts if final else None
        lead.moves.append(LeadMove(ts, 3 if final else 2, status))

    # --- plot -----------------------------------------------------------------------------------
    def tell(self, deals: list[Deal]) -> list[Lead]:
        """Leads for the (told) ``deals``; sets ``Deal.lead_id``; returns the leads numbered by creation."""
        rng = self.rng
        for deal in deals:
            if deal.source in _FROM_OUTSIDE and rng.random() < self.share:
                self._converted(deal)
            if rng.random() < self.share * 0.3:
                self._unconverted(deal)
            if deal.lead_id is None and rng.random() < self.share * 0.03:
                self._into_existing(deal)
        # IDs follow DATE_CREATE: renumber, and re-point the records bound to the provisional IDs
        self.leads.sort(key=lambda lead: (lead.created, lead.manager.id))
        final = {}
        for number, lead in enumerate(self.leads, start=1):
            final[lead.id], lead.id = number, number
            if lead.deal is not None:
                lead.deal.lead_id = number
        for record in (*self.rec.activities, *self.rec.comments):
            if record.owner_type == LEAD:
                record.deal = final[record.deal]
        return self.leads

    def _new(self, created: int, manager: Person, source: str, contact: int, returning: bool) -> Lead:
        robot_made = source in ("WEB", "WEBFORM")
        lead = Lead(created, manager, self.robot if robot_made else manager.id, source, contact, returning)
        lead.id = len(self.leads) + 1  # provisional, in creation order of the plot (see :meth:`tell`)
        lead.moved_at = lead.modified_at = created
        lead.moved_by = lead.modified_by = lead.creator
        lead.moves.append(LeadMove(created, 1, "NEW"))
        self.leads.append(lead)
        if robot_made:
            self.email(lead, self.robot, created + self.rng.randrange(20, 300))  # type: ignore[arg-type]
        return lead

    def _contact(self, lead: Lead, before: int) -> int | None:
        """A first contact on the lead before ``before``; its instant, or None when there was none."""
        rng, m = self.rng, lead.manager.id
        if rng.random() < 0.2:
            return None
        who = m if rng.random() > 0.08 else rng.choice(self.colleagues[m])
        kind = rng.choices(_FIRST_KINDS, weights=_FIRST_WEIGHTS)[0]
        if kind == "stage_change":
            who = m
        ts = lead.created + 1 + rng.randrange(max(1, before - lead.created - 1))
        if ts >= min(before, self._limit(who)):
            return None
        if kind == "call":
            self.lead_call(lead, who, ts, 1)
        elif kind == "email":
            self.email(lead, who, ts)  # type: ignore[arg-type]
        elif kind == "comment":
            self.comment(lead, who, ts)  # type: ignore[arg-type]
        else:
            self._status(lead, ts, "IN_PROCESS", who)
        return ts

    def _converted(self, deal: Deal) -> None:
        """The deal's request arrived as a lead, converted when the deal was created."""
        created = deal.created - self.rng.randrange(600, 2 * DAY)
        if created < self.first:
            return
        lead = self._new(created, deal.manager, deal.source, 1_000_000 + deal.id, False)
        if deal.source == "CALL" and self.rng.random() < 0.3:
            self.lead_call(
                lead, deal.manager.id, created, 2, connect=True
            )  # the lead was opened on this call
        else:
            self._contact(lead, deal.created)
        self._status(lead, deal.created, "CONVERTED", deal.manager.id)
        lead.deal = deal
        deal.lead_id = -1  # taken; the real ID is set once the leads are numbered

    def _unconverted(self, deal: Deal) -> None:
        """A lead that does not become a deal (junk or still in work); a fifth are this client's repeats."""
        rng, m = self.rng, deal.manager
        created = deal.created + rng.randrange(0, 5 * DAY)
        limit = self._limit(m.id)
        if created >= limit:
            return
        returning = rng.random() < 0.2
        contact = 1_000_000 + deal.id if returning else 2_000_000 + len(self.leads)
        lead = self._new(created, m, rng.choice(("WEB", "WEBFORM", "CALL")), contact, returning)
        touched = self._contact(lead, min(limit, created + 4 * DAY))
        if rng.random() < 0.6 and (ts := (touched or created) + rng.randrange(600, 3 * DAY)) < limit:
            self._status(lead, ts, "JUNK", m.id)
        elif rng.random() < 0.5 and (ts := (touched or created) + rng.randrange(60, DAY)) < limit:
            # a lead still in work with a call-back planned: overdue once its deadline passes (the backlog)
            self.todo(lead, m.id, m.id, ts, ts + rng.randrange(DAY // 2, 6 * DAY)).owner_type = LEAD  # type: ignore[arg-type]

    def _into_existing(self, deal: Deal) -> None:
        """The client of a deal without a lead writes again; the new lead is converted into that deal."""
        rng, m = self.rng, deal.manager
        created = deal.created + rng.randrange(DAY, 10 * DAY)
        converted = created + rng.randrange(600, DAY)
        if converted >= self._limit(m.id):
            return
        lead = self._new(created, m, "WEB", 1_000_000 + deal.id, True)
        self._contact(lead, converted)
        self._status(lead, converted, "CONVERTED", m.id)
        lead.deal = deal
        deal.lead_id = -1  # taken; the real ID is set once the leads are numbered
        if converted > deal.modified_at:
            deal.modified_at, deal.modified_by = converted, m.id  # the converter updates the deal's LEAD_ID


def leads_table(leads: list[Lead], clock: PortalClock) -> Table:
    """crm.lead.list rows typed as the vendor's example: strings, ``null`` where the example has null."""
    rows = []
    for lead in leads:
        last_time, last_by = lead.last_activity or (lead.created, lead.creator)
        values = {
            "ID": str(lead.id),
            "TITLE": f"Лид #{lead.id}",
            "NAME": _FIRST_NAMES[lead.contact % len(_FIRST_NAMES)],
            "LAST_NAME": _LAST_NAMES[lead.contact % len(_LAST_NAMES)],
            "COMPANY_ID": "0",
            "CONTACT_ID": str(lead.contact),
            "IS_RETURN_CUSTOMER": "Y" if lead.returning else "N",
            "BIRTHDATE": "",
            "SOURCE_ID": lead.source,
            "STATUS_ID": lead.status,
            "CURRENCY_ID": "RUB",
            "OPPORTUNITY": "0.00",
            "IS_MANUAL_OPPORTUNITY": "N",
            "HAS_PHONE": "Y",
            "HAS_EMAIL": "Y" if lead.source != "CALL" else "N",
            "HAS_IMOL": "N",
            "ASSIGNED_BY_ID": str(lead.manager.id),
            "CREATED_BY_ID": str(lead.creator),
            "MODIFY_BY_ID": str(lead.modified_by),
            "DATE_CREATE": clock.iso(lead.created),
            "DATE_MODIFY": clock.iso(lead.modified_at),
            # the example's open leads are not shown; an open lead's closing date is empty (inferred)
            "DATE_CLOSED": clock.iso(lead.closed_at) if lead.closed_at is not None else "",
            "STATUS_SEMANTIC_ID": _SEMANTIC[lead.status],
            "OPENED": "Y",
            "MOVED_BY_ID": str(lead.moved_by),
            "MOVED_TIME": clock.iso(lead.moved_at),
            "ADDRESS": "",
            "ADDRESS_COUNTRY": "Россия",
            "ADDRESS_LOC_ADDR_ID": str(lead.id),
            "LAST_ACTIVITY_BY": str(last_by),
            "LAST_ACTIVITY_TIME": clock.iso(last_time),
        }
        rows.append(tuple(values.get(name) for name in LEAD_FIELDS))
    return Table("leads", LEAD_FIELDS, rows)


def lead_history_table(leads: list[Lead], clock: PortalClock) -> Table:
    """crm.stagehistory.list rows of leads (entityTypeId 1), numbers as strings like the deals' rows; a
    sequence of IDs of its own (docs/bitrix24-api.md § crm.stagehistory.list — leads)."""
    moves = sorted(((m, lead.id) for lead in leads for m in lead.moves), key=lambda x: (x[0].created, x[1]))
    rows = [
        (str(i), str(m.type_id), str(owner), clock.iso(m.created), _SEMANTIC[m.status], m.status)
        for i, (m, owner) in enumerate(moves, start=1)
    ]
    return Table("lead_stage_history", LEAD_HISTORY_FIELDS, rows)


def lead_statuses_rows(first_id: int) -> list[tuple[object, ...]]:
    """crm.status.list rows of ENTITY_ID STATUS, in the shape of :func:`pipelines.statuses_table`."""
    colors = {"P": "#39A8EF", "S": "#7BD500", "F": "#FF5752"}
    extra = {"P": "process", "S": "success", "F": "failure"}
    return [
        (
            str(first_id + index),
            "STATUS",
            code,
            name,
            name,
            str(10 * (index + 1)),
            "Y" if code in ("NEW", "CONVERTED", "JUNK") else "N",
            None,
            colors[semantic],
            None if semantic == "P" else semantic,
            {"SEMANTICS": extra[semantic], "COLOR": colors[semantic]},
        )
        for index, (code, name, semantic) in enumerate(LEAD_STATUSES)
    ]
