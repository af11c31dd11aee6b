"""The plot of one deal: traps that are not contacts, the first contact, work, closing, next steps.

Told with :class:`story.Primitives`; the truth is later derived from the recorded rows by the rules in
:mod:`truth`, never from this module's intentions.
"""

from __future__ import annotations

import random

from bitrix24_emulator.generator.deals import Deal
from bitrix24_emulator.generator.pipelines import stages
from bitrix24_emulator.generator.records import INCOMING, MEETING, TODO, Activity
from bitrix24_emulator.generator.story import DAY, Primitives

# Mean working seconds until the first contact, and multiplier of the untouched share, per response profile.
_DELAY = {"fast": 15 * 60, "normal": 80 * 60, "slow": 7 * 3600, "neglectful": 20 * 3600}
_UNTOUCHED = {"fast": 0.3, "normal": 0.8, "slow": 2.0, "neglectful": 8.0}
_FIRST_KINDS = ("call", "email", "stage_change", "open_line", "comment", "deal_edit", "meeting")
_FIRST_WEIGHTS = (55, 14, 10, 6, 6, 5, 4)


class Storyteller(Primitives):
    """Simulates deals one by one into a :class:`Recorder`."""

    def tell(self, deal: Deal) -> None:
        rng, m, t0 = self.rng, deal.manager.id, deal.created
        todos = self._noise(deal)
        if rng.random() < 0.004:
            # Bad data on purpose: a call made before the deal existed (e.g. to the lead it came from).
            self.call(deal, m, t0 - rng.randrange(600, 3 * DAY), 1)
        untouched = rng.random() < self.untouched_share * _UNTOUCHED[deal.manager.response_profile]
        if untouched:
            self._next_step(deal, t0)
            return
        if deal.source == "CALL" and rng.random() < 0.3 and t0 < self._limit(m):
            self.call(
                deal, m, t0, 2, connect=True
            )  # the deal was opened during this call: contact at creation
            t1 = t0
            kind = "call"
        else:
            kind = rng.choices(_FIRST_KINDS, weights=_FIRST_WEIGHTS)[0]
            toucher = m if rng.random() > 0.08 else rng.choice(self.colleagues[m])
            delay = int(rng.expovariate(1 / _DELAY[deal.manager.response_profile])) + 1
            if kind == "stage_change":
                toucher = m
            # 6 %: answered from home, ignoring working hours; otherwise ``delay`` working seconds later.
            t1 = t0 + delay if rng.random() < 0.06 else self.windows[toucher].after(t0, delay)
            if t1 >= self._limit(toucher):
                self._next_step(deal, t0)
                return
            self._first(deal, kind, toucher, t1)
        for todo in todos:
            todo.complete(t1)
        self._work(deal, t1, edited=kind == "deal_edit")

    def _noise(self, deal: Deal) -> list[Activity]:
        """Things that happen to a new deal and are NOT contacts by the metric contract."""
        rng, m, t0, robot = self.rng, deal.manager.id, deal.created, self.robot
        todos = []
        if deal.creator == robot:
            self.email(deal, robot, t0 + rng.randrange(20, 300))  # auto-reply sent by a robot
            if rng.random() < 0.35:
                todos.append(self.todo(deal, robot, m, t0 + 60, self.windows[m].after(t0, 4 * 3600)))
            if deal.source == "WEB" and rng.random() < 0.3:
                self.open_line(deal, robot, t0)  # the chat-bot answered, no human did
        if rng.random() < 0.05:
            self.email(deal, m, t0 + rng.randrange(60, 6 * 3600), direction=INCOMING)  # the client wrote
        if rng.random() < 0.04 and (ts := t0 + rng.randrange(60, 8 * 3600)) < self._limit(m):
            self.call(deal, m, ts, 2, connect=False)  # missed incoming call
        return todos

    def _first(self, deal: Deal, kind: str, who: int, ts: int) -> None:
        rng = self.rng
        if kind == "call":
            self.call(deal, who, ts, 1)
        elif kind == "email":
            self.email(deal, who, ts)
        elif kind == "stage_change":
            self.move(deal, ts, final=False)
        elif kind == "open_line":
            self.open_line(deal, who, ts)
        elif kind == "comment":
            self.comment(deal, who, ts)
        elif kind == "deal_edit":
            deal.modified_at, deal.modified_by = ts, who
        else:
            self.meeting(deal, who, max(deal.created, ts - rng.randrange(3600, 2 * DAY)), ts, True)

    def _work(self, deal: Deal, t1: int, edited: bool) -> None:
        """Calls, letters, meetings and stage moves after the first contact; closing; a last edit."""
        rng, m = self.rng, deal.manager.id
        limit = self._limit(m)
        life = int(rng.expovariate(1 / (18 * DAY))) + 3600
        closes = not edited and t1 + life < limit
        end = t1 + life if closes else limit
        span = max(1, end - t1)
        progress, _, _ = stages(deal.category)
        events = []
        if not edited:
            events += [("move", t1 + rng.randrange(span)) for _ in range(rng.randrange(len(progress)))]
        n_calls = min(12, 1 + int(rng.expovariate(1 / (1 + span / (4 * DAY)))))
        events += [("call", t1 + rng.randrange(span)) for _ in range(n_calls)]
        events += [("email", t1 + rng.randrange(span)) for _ in range(rng.randrange(3))]
        if rng.random() < 0.5:
            events.append(("comment", t1 + rng.randrange(span)))
        if rng.random() < 0.3:
            events.append(("meeting", t1 + rng.randrange(span)))
        if not edited and deal.category == 0 and rng.random() < 0.03:
            events.append(("pipeline", t1 + rng.randrange(span)))  # turned out to be a tender
        if rng.random() < 0.4:
            events.append(("todo", t1 + rng.randrange(span)))
        last = t1
        placed = [(ts, what) for what, raw in events if (ts := self.at(m, raw)) is not None]
        for ts, what in sorted(placed):
            if closes and ts >= end:
                continue
            last = ts
            if what == "move":
                self.move(deal, ts, final=False)
            elif what == "pipeline":
                self.change_pipeline(deal, ts, 2)
            elif what == "call":
                # 75 % outgoing, 5 % callbacks the client asked for on the web form, 20 % incoming
                draw = rng.random()
                self.call(deal, m, ts, 1 if draw < 0.75 else 4 if draw < 0.8 else 2)
            elif what == "email":
                self.email(deal, m, ts, direction=2 if rng.random() < 0.7 else INCOMING)
            elif what == "comment":
                self.comment(deal, m, ts)
            elif what == "meeting":
                self.meeting(deal, m, max(t1, ts - DAY), ts, True)
            else:
                done = self.todo(deal, m, m, ts, ts + rng.randrange(3600, 3 * DAY))
                done.complete(min(done.deadline, limit - 1))
        close_at = self.at(m, max(end, last + 60)) if closes else None
        if close_at is not None:
            self.move(deal, close_at, final=True, won=rng.random() < 0.4)
            last = close_at
        else:
            self._next_step(deal, last)
        if not edited and rng.random() < 0.1:
            who = m if rng.random() < 0.8 else self.robot
            ts = last + rng.randrange(60, 2 * DAY)
            if ts < self._limit(who) and ts > deal.modified_at:
                deal.modified_at, deal.modified_by = ts, who  # a pure edit, the deal's last change

    def _next_step(self, deal: Deal, after: int) -> None:
        """Open deals: a planned to-do / meeting / call (some overdue) — or nothing planned at all."""
        rng, m = self.rng, deal.manager.id
        if rng.random() < 0.3:
            return
        created = min(self._limit(m) - 60, after + rng.randrange(60, DAY))
        deadline = self.snapshot + (
            rng.randrange(3600, 10 * DAY) if rng.random() < 0.6 else -rng.randrange(3600, 20 * DAY)
        )
        deadline = max(deadline, created + 600)
        if rng.random() < 0.2:
            self.meeting(deal, m, created, deadline, False)
        else:
            self.todo(deal, m, m, created, deadline)


# Share of done to-dos and meetings edited afterwards (a result note, a corrected subject); mean delay.
_EDITED_SHARE, _EDIT_DELAY = 0.25, 1.5 * DAY


def edit_done_activities(activities: list[Activity], snapshot: int, seed: int) -> None:
    """Some done to-dos and meetings are edited later: Bitrix24 moves LAST_UPDATED to the edit, and REST
    then no longer shows when the activity was completed (``Activity.completed_at`` keeps it).

    Its own random stream, so the rest of the history does not depend on this pass.
    """
    rng = random.Random(f"{seed}:edits")
    for act in activities:
        if act.completed and act.kind in (TODO, MEETING) and rng.random() < _EDITED_SHARE:
            edited = act.completed_at + 60 + int(rng.expovariate(1 / _EDIT_DELAY))
            if edited < snapshot:
                act.last_updated = edited
