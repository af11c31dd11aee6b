"""The portal's past: what it looked like at an earlier instant, and its backlog on every day.

Bitrix24 keeps only the current version of a record, so a pipeline that ran daily saw versions a backfill
never sees (an activity still open, a to-do done but not yet edited again). :func:`portal_as_of` rebuilds
what the REST API returned at instant ``t`` from the rows and the completion instants the generator keeps
(``PortalData.activity_completed_at``): tests load it as a daily run would have, or serve it with
``running_emulator(portal_as_of(portal, t))``.

:func:`backlog_truth` is the ground truth of the backlog per employee and portal day, evaluated by
brute force instant by instant (an oracle, deliberately unlike the warehouse's interval logic):

* the backlog of day D is the state at the **end of D** — its last second, 23:59:59 portal time — and on
  the portal's last day at its snapshot instant;
* at instant t a scheduled activity (a to-do or a meeting: the generator plans no other) owned by a deal is
  **open** if it was CREATED at or before t and not completed by t (completed at ``activity_completed_at``
  or else at LAST_UPDATED, for COMPLETED=Y rows), **overdue** if also its DEADLINE is before t;
* a deal counts at t if it was created by t and its last stage-history row at or before t is in progress
  (semantic P), for its responsible (ASSIGNED_BY_ID: the generator never reassigns a deal);
* per employee and day: deals with at least one overdue activity, deals with no open activity at all.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bitrix24_emulator.model import PortalData, Table

# The only scheduled work the generator makes (open deals get a planned to-do or meeting, or nothing); calls,
# e-mails and chats are records of contacts, whatever COMPLETED says (docs/metrics.md "Backlog").
SCHEDULED_PROVIDERS = ("CRM_TODO", "CRM_MEETING")

# The open backlog per (employee, portal day): (deals with overdue activities, open deals without any
# planned activity).
Backlog = dict[tuple[int, date], tuple[int, int]]


def _ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def completion_instant(portal: PortalData, row: dict[str, Any]) -> float | None:
    """When a COMPLETED=Y activity row was completed (None if open)."""
    if row["COMPLETED"] != "Y":
        return None
    return _ts(portal.activity_completed_at.get(int(row["ID"]), row["LAST_UPDATED"]))


def portal_as_of(portal: PortalData, instant: datetime) -> PortalData:
    """The portal as REST showed it at ``instant``: later rows hidden, activities and deals as they were.

    Activities: created after ``instant`` hidden; not yet completed → COMPLETED N, STATUS 1, LAST_UPDATED
    CREATED (the generator's open activities carry their creation stamp); completed but edited after
    ``instant`` → LAST_UPDATED at completion. Deals: created after hidden; changed after → stage, pipeline,
    CLOSED, MOVED_TIME and DATE_MODIFY from their last stage-history row by then. Stage history, comments:
    created after hidden; telephony rows: written when the call ended.
    """
    t = instant.timestamp()
    tables = dict(portal.tables)
    tables["activities"] = _activities_as_of(portal, t)
    tables["stage_history"] = _filtered(portal.tables["stage_history"], lambda r: _ts(r["CREATED_TIME"]) <= t)
    tables["timeline_comments"] = _filtered(
        portal.tables["timeline_comments"], lambda r: _ts(r["CREATED"]) <= t
    )
    tables["calls"] = _filtered(
        portal.tables["calls"], lambda r: _ts(r["CALL_START_DATE"]) + int(r["CALL_DURATION"]) <= t
    )
    tables["deals"] = _deals_as_of(portal.tables["deals"], tables["stage_history"], t)
    completed_at = {i: when for i, when in portal.activity_completed_at.items() if _ts(when) <= t}
    return dataclasses.replace(
        portal,
        snapshot_at=instant.astimezone(ZoneInfo(portal.portal_time_zone)).isoformat(),
        tables=tables,
        truth=[],  # the first-touch truth describes the final portal
        activity_completed_at=completed_at,
    )


def _filtered(table: Table, keep: Any) -> Table:
    return dataclasses.replace(table, rows=[r for r in table.rows if keep(table.as_dict(r))])


def _activities_as_of(portal: PortalData, t: float) -> Table:
    table = portal.tables["activities"]
    rows = []
    for raw in table.rows:
        row = table.as_dict(raw)
        if _ts(row["CREATED"]) > t:
            continue
        done = completion_instant(portal, row)
        if done is not None and done > t:
            row.update(COMPLETED="N", STATUS="1", LAST_UPDATED=row["CREATED"])
        elif done is not None and _ts(row["LAST_UPDATED"]) > t:
            row["LAST_UPDATED"] = portal.activity_completed_at[int(row["ID"])]
        rows.append(tuple(row[f] for f in table.fields))
    return dataclasses.replace(table, rows=rows)


def _deals_as_of(deals: Table, history: Table, t: float) -> Table:
    last_move: dict[int, dict[str, Any]] = {}
    for raw in history.rows:  # ID order is time order; stage history carries native ints
        move = history.as_dict(raw)
        last_move[int(move["OWNER_ID"])] = move
    rows = []
    for raw in deals.rows:
        deal = deals.as_dict(raw)
        if _ts(deal["DATE_CREATE"]) > t:
            continue
        move = last_move.get(int(deal["ID"]))
        if _ts(deal["DATE_MODIFY"]) > t and move is not None:
            deal.update(
                STAGE_ID=move["STAGE_ID"],
                STAGE_SEMANTIC_ID=move["STAGE_SEMANTIC_ID"],
                CATEGORY_ID=str(move["CATEGORY_ID"]),
                CLOSED="N" if move["STAGE_SEMANTIC_ID"] == "P" else "Y",
                MOVED_TIME=move["CREATED_TIME"],
                DATE_MODIFY=max(move["CREATED_TIME"], deal["DATE_CREATE"], key=_ts),
            )
        rows.append(tuple(deal[f] for f in deals.fields))
    return dataclasses.replace(deals, rows=rows)


def end_of_day(portal: PortalData, day: date) -> datetime:
    """The instant day D's backlog describes: 23:59:59 portal time, or the snapshot on the last day."""
    zone = ZoneInfo(portal.portal_time_zone)
    end = datetime.combine(day, time(23, 59, 59), zone)
    return min(end, datetime.fromisoformat(portal.snapshot_at))


def backlog_truth(portal: PortalData, first_day: date | None = None) -> Backlog:
    """The backlog of every employee with a deal, every portal day from ``first_day`` (default: the day of
    the first deal) to the snapshot's day; employee-days without deals are absent (zero)."""
    zone = ZoneInfo(portal.portal_time_zone)
    deals_table, history, activities = (portal.tables[n] for n in ("deals", "stage_history", "activities"))
    moves: dict[int, tuple[list[float], list[str]]] = defaultdict(lambda: ([], []))
    for raw in history.rows:
        move = history.as_dict(raw)
        at, semantics = moves[int(move["OWNER_ID"])]
        at.append(_ts(move["CREATED_TIME"]))
        semantics.append(move["STAGE_SEMANTIC_ID"])
    for at, semantics in moves.values():
        order = sorted(range(len(at)), key=at.__getitem__)
        at[:], semantics[:] = [at[i] for i in order], [semantics[i] for i in order]
    work: dict[int, list[tuple[float, float, float]]] = defaultdict(list)  # deal -> (created, done, deadline)
    for raw in activities.rows:
        row = activities.as_dict(raw)
        if row["OWNER_TYPE_ID"] == "2" and row["PROVIDER_ID"] in SCHEDULED_PROVIDERS:
            done = completion_instant(portal, row)
            work[int(row["OWNER_ID"])].append(
                (_ts(row["CREATED"]), float("inf") if done is None else done, _ts(row["DEADLINE"]))
            )
    deals = [deals_table.as_dict(r) for r in deals_table.rows]
    last_day = datetime.fromisoformat(portal.snapshot_at).astimezone(zone).date()
    day = first_day or min(datetime.fromisoformat(d["DATE_CREATE"]).astimezone(zone).date() for d in deals)
    out: Backlog = {}
    while day <= last_day:
        t = end_of_day(portal, day).timestamp()
        counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for deal in deals:
            deal_id = int(deal["ID"])
            at, semantics = moves[deal_id]
            position = bisect.bisect_right(at, t)
            if _ts(deal["DATE_CREATE"]) > t or position == 0 or semantics[position - 1] != "P":
                continue
            open_work = [(c, d, dl) for c, d, dl in work[deal_id] if c <= t < d]
            manager = counts[int(deal["ASSIGNED_BY_ID"])]
            manager[0] += any(dl < t for _, _, dl in open_work)
            manager[1] += not open_work
        for manager_id, (overdue, unplanned) in counts.items():
            out[manager_id, day] = (overdue, unplanned)
        day += timedelta(days=1)
    return out
