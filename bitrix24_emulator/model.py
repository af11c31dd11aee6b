"""The in-memory portal: the contract between the data generator and the REST server.

The generator (``bitrix24_emulator.generator``) builds a :class:`PortalData`; the server
(``bitrix24_emulator.server``) answers REST calls from it and, in live mode, mutates it.

Rows are kept in Bitrix24 *wire format* (what the REST API returns: strings for legacy CRM
fields, ``"Y"``/``"N"``, ISO-8601 datetimes with the portal's UTC offset) so the server never
re-formats values and a format bug cannot hide between two representations.

Rows are tuples in the order of :attr:`Table.fields` rather than dicts: at 10^6 activities a dict
per row costs several GB, a tuple a few hundred bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Table:
    """One Bitrix24 entity list (deals, activities, calls, ...), sorted by ``id_field`` ascending."""

    name: str
    fields: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    id_field: str = "ID"

    def index_of(self, field_name: str) -> int:
        return self.fields.index(field_name)

    def as_dict(self, row: tuple[Any, ...]) -> dict[str, Any]:
        return dict(zip(self.fields, row, strict=True))


@dataclass(frozen=True)
class DealTruth:
    """The generator's ground truth for one deal, by the metric contract (docs/metrics.md).

    ``first_touch_*`` are ``None`` for a deal nobody has contacted yet.
    """

    deal_id: int
    responsible_id: int
    created_at: str  # ISO-8601 with offset, as DATE_CREATE
    first_touch_at: str | None
    first_touch_kind: str | None  # call, email, open_line, meeting, stage_change, deal_edit, comment
    first_touch_by: int | None


@dataclass(frozen=True)
class RequestTruth:
    """The generator's ground truth for one request chain: a lead with the deal converted from it, a lead
    alone, or a deal without a lead (rules: ``generator/truth.py``). ``responsible_id`` is the
    ASSIGNED_BY_ID of the record the first contact was on (the deal's, else the lead's, while untouched)."""

    lead_id: int | None
    deal_id: int | None
    responsible_id: int
    started_at: str  # ISO-8601: the earliest DATE_CREATE of the chain's records
    first_touch_at: str | None
    first_touch_kind: str | None
    first_touch_by: int | None


@dataclass
class PortalData:
    """Everything one emulated portal holds.

    ``tables`` keys are the REST entity names the server dispatches on:
    ``users``, ``departments``, ``categories``, ``statuses``, ``deals``, ``activities``,
    ``stage_history``, ``calls``, ``timeline_comments``, ``absences``.
    ``calendar_settings`` is the ``calendar.settings.get`` result, verbatim.
    """

    portal_time_zone: str  # IANA name, e.g. "Europe/Moscow"
    snapshot_at: str  # ISO-8601 "now" of the generated history; the server's clock starts here
    calendar_settings: dict[str, Any]
    tables: dict[str, Table]
    truth: list[DealTruth] = field(default_factory=list)
    seed: int = 0
    language: str = "ru"  # the portal's language: app.info LANGUAGE_ID (docs/bitrix24-api.md § app.info)
    # When each done activity was completed, for those whose LAST_UPDATED moved on afterwards (edited when
    # already done); every other done activity was completed at its LAST_UPDATED. REST never exposes this:
    # it is history, for the backlog truth and the portal's past (bitrix24_emulator/generator/history.py).
    activity_completed_at: dict[int, str] = field(default_factory=dict)
    requests: list[RequestTruth] = field(default_factory=list)
    """One per request chain; derived from ``tables`` like ``truth``, so not part of the fingerprint."""
