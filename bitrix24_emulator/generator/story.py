"""The life of one deal: traps that are not contacts, the first contact, work on it, closing, next steps.

Everything a deal experiences is recorded as :mod:`records` (later wire rows); the ground truth is then
derived from those records by the rules in :mod:`truth`, never from this module's intentions.
"""

from __future__ import annotations

import random

from bitrix24_emulator.generator.deals import Deal
from bitrix24_emulator.generator.pipelines import stages
from bitrix24_emulator.generator.records import (
    CALL,
    EMAIL,
    INCOMING,
    MEETING,
    OPEN_LINE,
    OUTGOING,
    TODO,
    Activity,
    Call,
    Comment,
    Move,
    Recorder,
)
from bitrix24_emulator.generator.telephony import outcome
from bitrix24_emulator.generator.worktime import WorkWindows

DAY = 86400
# Mean working seconds until the first contact, and multiplier of the untouched share, per response profile.
_DELAY = {"fast": 15 * 60, "normal": 80 * 60, "slow": 7 * 3600, "neglectful": 20 * 3600}
_UNTOUCHED = {"fast": 0.3, "normal": 0.8, "slow": 2.0, "neglectful": 8.0}
_FIRST_KINDS = ("call", "email", "stage_change", "open_line", "comment", "deal_edit", "meeting")
_FIRST_WEIGHTS = (55, 14, 10, 6, 6, 5, 4)
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
    ) -> None:
        self.rec, self.windows, self.colleagues, self.robot = rec, windows, colleagues, robot
        self.snapshot, self.fired, self.untouched_share = snapshot, fired, untouched_share
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
        outgoing = call_type in (1, 4)
        duration, code = outcome(self.rng, deal.manager.call_profile, outgoing, connect)
        self._call_seq += 1
        call_id = f"{self.rng.getrandbits(48):012X}.{ts}.{self._call_seq}"
        record = Call(
            ts, duration, user, call_type, code, 1_000_000 + deal.id, call_id, len(self.rec.activities)
        )
        missed = not outgoing and code != "200"
        self._activity(
            Activity(
                ts,
                CALL,
                deal.id,
                user,
                user,
                ts,
                ts + duration,
                ts + duration,
                not missed,
                OUTGOING if outgoing else INCOMING,
                "Исходящий звонок" if outgoing else "Входящий звонок",
                ts + duration,
                call=len(self.rec.calls),
            ),
            deal,
        )
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
        updated = end if completed else created
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
        progress, success, failures = stages(deal.category)
        assert deal.stage is not None
        if final:
            stage = success if won else failures[0]
        else:
            index = progress.index(deal.stage)
            stage = (
                progress[min(index + 1, len(progress) - 1)] if index + 1 < len(progress) else progress[index]
            )
            if stage == deal.stage:
                return
        deal.stage = stage
        deal.moved_at = deal.modified_at = ts
        deal.moved_by = deal.modified_by = deal.manager.id
        deal.moves.append(
            Move(ts, 3 if final else 2, deal.id, deal.category, stage.semantic, stage.status_id)
        )
