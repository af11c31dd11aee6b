"""Recording primitives of a deal's life: each call, e-mail, chat, meeting, to-do, comment or stage move
becomes a :mod:`records` entry (later a wire row)."""

from __future__ import annotations

import random

from bitrix24_emulator.generator.deals import Deal
from bitrix24_emulator.generator.pipelines import Stage, stages
from bitrix24_emulator.generator.records import (
    CALL,
    EMAIL,
    INCOMING,
    MEETING,
    OPEN_LINE,
    OUTGOING,
    TODO,
    UNDEFINED,
    Activity,
    Call,
    Comment,
    Move,
    Recorder,
)
from bitrix24_emulator.generator.telephony import outcome
from bitrix24_emulator.generator.worktime import WorkWindows

DAY = 86400
_CALL_SUBJECTS = {1: "Исходящий звонок", 2: "Входящий звонок", 3: "Входящий звонок", 4: "Обратный звонок"}
_COMMENTS = ("Клиент просит перезвонить", "Отправил КП", "Ждём оплату", "Уточнить бюджет", "ЛПР в отпуске")


class Primitives:
    """Recording primitives (a call, an e-mail, a stage move...) the deal plot is told with."""

    def __init__(
        self,
        rec: Recorder,
        windows: dict[int, WorkWindows],
        colleagues: dict[int, list[int]],
        robot: int,
        snapshot: int,
        fired: dict[int, int],
        untouched_share: float,
        seed: int,
        universal: bool = True,
    ) -> None:
        self.rec, self.windows, self.colleagues, self.robot = rec, windows, colleagues, robot
        self.snapshot, self.fired, self.untouched_share = snapshot, fired, untouched_share
        self.universal = universal  # config.activity_scenario == "universal"
        self.rng = random.Random(f"{seed}:story")
        self._call_seq = 0

    # --- primitives -----------------------------------------------------------------------------
    def _limit(self, user: int) -> int:
        return min(self.snapshot, self.fired.get(user, self.snapshot))

    def at(self, user: int, ts: int) -> int | None:
        """A plausible moment at/after ``ts`` for ``user`` (mostly inside working hours); None if too late."""
        if user != self.robot and self.rng.random() > 0.06:
            placed = self.windows[user].place(ts)
            if placed != ts:  # pushed to the start of the next shift: spread over its first two hours
                placed += self.rng.randrange(7200)
            ts = placed
        return ts if ts < self._limit(user) else None

    def call(self, deal: Deal, user: int, ts: int, call_type: int, connect: bool | None = None) -> None:
        """A telephony call (CALL_TYPE 1 outgoing, 2 incoming, 4 callback) and its CRM call activity.

        COMPLETED as the vendor's telephony writes it (docs/bitrix24-api.md § crm.activity.list — call
        activities): classic scenario, incoming calls and callbacks are ``N`` when missed (code 304) and
        every other call ``Y``; universal scenario, incoming calls and callbacks start ``N`` (completed later
        by :func:`call_handling.complete_handled_calls`)."""
        outgoing = call_type in (1, 4)
        duration, code = outcome(self.rng, deal.manager.call_profile, outgoing, connect)
        self._call_seq += 1
        call_id = f"{self.rng.getrandbits(48):012X}.{ts}.{self._call_seq}"
        record = Call(
            ts, duration, user, call_type, code, 1_000_000 + deal.id, call_id, len(self.rec.activities)
        )
        waits = call_type in (2, 4)  # the calls the vendor's telephony may leave uncompleted
        act = Activity(
            ts,
            CALL,
            deal.id,
            user,
            user,
            ts,
            ts + duration,
            ts + duration,
            not (waits and code == "304"),
            INCOMING if call_type in (2, 3) else OUTGOING if call_type == 1 else UNDEFINED,
            _CALL_SUBJECTS[call_type],
            ts + duration,
            call=len(self.rec.calls),
        )
        self._activity(act, deal)
        if self.universal and waits:
            act.completed = False  # after _activity: the deal's LAST_ACTIVITY does not depend on the scenario
        self.rec.calls.append(record)

    def _activity(self, act: Activity, deal: Deal) -> None:
        self.rec.activities.append(act)
        if act.completed and (deal.last_activity is None or act.start > deal.last_activity[0]):
            deal.last_activity = (act.start, act.author)

    def email(self, deal: Deal, author: int, ts: int, direction: int = OUTGOING) -> None:
        subject = "Коммерческое предложение" if direction == OUTGOING else "Re: запрос"
        self._activity(
            Activity(ts, EMAIL, deal.id, author, author, ts, ts, ts, True, direction, subject, ts), deal
        )

    def open_line(self, deal: Deal, operator: int, ts: int, answered: bool = True) -> None:
        end = ts + self.rng.randrange(120, 1800)
        done = end < self.snapshot
        act = Activity(
            ts,
            OPEN_LINE,
            deal.id,
            operator,
            operator,
            ts,
            end,
            end,
            done,
            INCOMING,
            "Открытая линия: чат с клиентом",
            end if done else ts,
            answered=answered,
        )
        self._activity(act, deal)

    def meeting(self, deal: Deal, user: int, created: int, start: int, completed: bool) -> None:
        end = start + 3600
        # marked done when it ends, but never after the portal's "now" (a done row exists by then)
        updated = min(end, self.snapshot) if completed else created
        self._activity(
            Activity(
                created,
                MEETING,
                deal.id,
                user,
                user,
                start,
                end,
                start,
                completed,
                0,
                "Встреча с клиентом",
                updated,
            ),
            deal,
        )

    def todo(self, deal: Deal, author: int, responsible: int, created: int, deadline: int) -> Activity:
        act = Activity(
            created,
            TODO,
            deal.id,
            responsible,
            author,
            deadline,
            deadline,
            deadline,
            False,
            0,
            "Связаться с клиентом",
            created,
        )
        self.rec.activities.append(act)
        return act

    def comment(self, deal: Deal, author: int, ts: int) -> None:
        self.rec.comments.append(Comment(ts, deal.id, author, self.rng.choice(_COMMENTS)))

    def move(self, deal: Deal, ts: int, final: bool, won: bool = False) -> None:
        """Next in-progress stage (nothing at the last one), or the success/failure stage when ``final``."""
        progress, success, failures = stages(deal.category)
        assert deal.stage is not None
        if final:
            self._enter(deal, ts, success if won else failures[0], 3)
        elif (index := progress.index(deal.stage)) + 1 < len(progress):
            self._enter(deal, ts, progress[index + 1], 2)

    def change_pipeline(self, deal: Deal, ts: int, category: int) -> None:
        """Move the deal to the first stage of another pipeline (stage history TYPE_ID 5)."""
        deal.category = category
        self._enter(deal, ts, stages(category)[0][0], 5)

    def _enter(self, deal: Deal, ts: int, stage: Stage, type_id: int) -> None:
        deal.stage = stage
        deal.moved_at = deal.modified_at = ts
        deal.moved_by = deal.modified_by = deal.manager.id
        deal.moves.append(Move(ts, type_id, deal.id, deal.category, stage.semantic, stage.status_id))
