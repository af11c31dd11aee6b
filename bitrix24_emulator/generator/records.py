"""Internal event records collected while simulating, before IDs are assigned and rows formatted.

IDs in Bitrix24 grow with time, so every table is sorted by its creation instant first and numbered
afterwards; records therefore refer to each other by list index until :mod:`rows` formats them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Activity kinds (internal) and the wire TYPE_ID / PROVIDER_ID / PROVIDER_TYPE_ID they render as.
CALL, EMAIL, OPEN_LINE, MEETING, TODO = "call", "email", "open_line", "meeting", "todo"

UNDEFINED, INCOMING, OUTGOING = 0, 1, 2  # DIRECTION; callbacks carry none
LEAD, DEAL = 1, 2  # OWNER_TYPE_ID (docs/bitrix24-api.md § Activities and timeline comments bound to leads)


@dataclass(slots=True)
class Activity:
    created: int
    kind: str
    deal: int
    responsible: int
    author: int
    start: int
    end: int
    deadline: int
    completed: bool
    direction: int  # 0 undefined, 1 incoming, 2 outgoing
    subject: str
    last_updated: int
    call: int = -1  # index into Recorder.calls for call activities
    answered: bool = True  # open lines: RESULT_STATUS 2 vs 1
    # The instant COMPLETED turned Y (-1 while open). REST does not expose it: it equals LAST_UPDATED until
    # a later edit of the done activity moves LAST_UPDATED on (see :func:`lifecycle.edit_done_activities`).
    completed_at: int = -1

    def __post_init__(self) -> None:
        if self.completed and self.completed_at < 0:
            self.completed_at = self.last_updated

    def complete(self, ts: int) -> None:
        """Mark done at ``ts``: COMPLETED Y, LAST_UPDATED and the completion instant both ``ts``."""
        self.completed, self.last_updated, self.completed_at = True, ts, ts

    owner_type: int = DEAL  # OWNER_TYPE_ID of the primary binding; ``deal`` then holds a lead's ID for LEAD


@dataclass(slots=True)
class Call:
    start: int
    duration: int
    user: int | None
    call_type: int  # 1 out, 2 in, 3 in-redirected, 4 callback, 5 info
    code: str  # CALL_FAILED_CODE
    contact: int | None  # CRM contact the number matched (None: no CRM match, no activity)
    call_id: str
    activity: int = -1  # index into Recorder.activities

    @property
    def connected(self) -> bool:
        return self.code == "200" and self.duration > 0


@dataclass(slots=True)
class Comment:
    created: int
    deal: int
    author: int
    text: str
    owner_type: int = DEAL  # LEAD: ``deal`` holds the lead's ID (ENTITY_TYPE 'lead')


@dataclass(slots=True)
class Move:
    """One crm.stagehistory row: TYPE_ID 1 created, 2 intermediate, 3 final, 5 pipeline changed."""

    created: int
    type_id: int
    deal: int
    category: int
    semantic: str
    stage_id: str


@dataclass
class Recorder:
    activities: list[Activity] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
