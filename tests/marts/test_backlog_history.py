"""Report 1's backlog for every past day, after daily runs on a few days and a backfill, against the
emulator's truth: exact on the observed days, within the documented error on the estimated ones."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from psycopg2.extensions import connection as Connection

from bitrix24_emulator.generator.history import Backlog, backlog_truth, end_of_day, portal_as_of
from bitrix24_emulator.model import PortalData
from tests.marts.conftest import OBSERVED_DAYS

# docs/metrics.md "Backlog history" states these bounds on estimated days (measured here: the output of
# test_estimated_days_stay_within_the_documented_error, emulator seed 7)
MAX_ERROR_PER_EMPLOYEE_DAY = 3
OVERDUE_OVERCOUNT_SHARE = 0.10
UNPLANNED_UNDERCOUNT_SHARE = 0.05


def daily_backlog(conn: Connection) -> tuple[Backlog, dict[date, bool]]:
    with conn.cursor() as cur:
        cur.execute(
            "select manager_id, report_date, deals_with_overdue_activities,"
            " open_deals_without_planned_activities, is_exact from marts.fct_manager_daily_backlog"
        )
        rows = cur.fetchall()
    exact: dict[date, bool] = {}
    for _, day, _, _, is_exact in rows:
        assert exact.setdefault(day, is_exact) == is_exact, f"{day}: exact for some employees only"
    return {(m, day): (overdue, unplanned) for m, day, overdue, unplanned, _ in rows}, exact


def estimated_by_the_rule(portal: PortalData) -> Backlog:
    """The backlog the documented estimate gives, computed by the emulator from what the runs saw: each
    done activity completed at the LAST_UPDATED of the first version seen done, not before the last
    sighting open (the observed days' ends, then the backfill at the portal's snapshot)."""
    sightings = [
        (end_of_day(portal, day), portal_as_of(portal, end_of_day(portal, day))) for day in OBSERVED_DAYS
    ]
    sightings.append((datetime.fromisoformat(portal.snapshot_at), portal))
    last_open: dict[int, datetime] = {}
    first_done: dict[int, datetime] = {}
    for seen_at, seen in sightings:
        table = seen.tables["activities"]
        for row in map(table.as_dict, table.rows):
            activity = int(row["ID"])
            if row["COMPLETED"] == "N":
                last_open[activity] = seen_at
            elif activity not in first_done:
                first_done[activity] = datetime.fromisoformat(row["LAST_UPDATED"])
    estimate = {
        activity: max(done, last_open.get(activity, done)).isoformat()
        for activity, done in first_done.items()
    }
    return backlog_truth(dataclasses.replace(portal, activity_completed_at=estimate))


def test_every_observed_day_is_exact_and_equals_the_truth(
    warehouse_conn: Connection, portal: PortalData
) -> None:
    got, exact = daily_backlog(warehouse_conn)
    truth = backlog_truth(portal)
    last_day = max(exact)
    assert sorted(day for day, is_exact in exact.items() if is_exact) == [*OBSERVED_DAYS, last_day]
    for (manager, day), counts in got.items():
        if exact[day]:
            assert counts == truth.get((manager, day), (0, 0)), (manager, day)
    # vacuous unless the observed days have a backlog
    assert sum(sum(got[key]) for key in got if key[1] in OBSERVED_DAYS) > 0


def test_estimated_days_follow_the_documented_rule(warehouse_conn: Connection, portal: PortalData) -> None:
    got, exact = daily_backlog(warehouse_conn)
    rule = estimated_by_the_rule(portal)
    for (manager, day), counts in got.items():
        if not exact[day]:
            assert counts == rule.get((manager, day), (0, 0)), (manager, day)


def test_estimated_days_stay_within_the_documented_error(
    warehouse_conn: Connection, portal: PortalData
) -> None:
    got, exact = daily_backlog(warehouse_conn)
    truth = backlog_truth(portal)
    estimated = [key for key in got if not exact[key[1]]]
    # nobody dropped: every employee-day of the truth on an estimated day is in the mart
    assert {key for key in truth if not exact.get(key[1], True)} <= set(estimated)
    errors = [
        tuple(g - t for g, t in zip(got[key], truth.get(key, (0, 0)), strict=True)) for key in estimated
    ]
    totals = [sum(truth.get(key, (0, 0))[i] for key in estimated) for i in (0, 1)]
    overcount = sum(e[0] for e in errors)
    undercount = -sum(e[1] for e in errors)
    print(
        f"\nestimated employee-days: {len(estimated)}; overdue wrong on {sum(1 for e in errors if e[0])},"
        f" +{overcount} of {totals[0]}; unplanned wrong on {sum(1 for e in errors if e[1])},"
        f" -{undercount} of {totals[1]}; max |error| {max(max(map(abs, e)) for e in errors)}"
    )
    # a completion is only ever estimated late: more overdue, fewer unplanned, never the other way
    assert all(e[0] >= 0 and e[1] <= 0 for e in errors)
    assert all(max(map(abs, e)) <= MAX_ERROR_PER_EMPLOYEE_DAY for e in errors)
    assert 0 < overcount <= OVERDUE_OVERCOUNT_SHARE * totals[0]
    assert undercount <= UNPLANNED_UNDERCOUNT_SHARE * totals[1]
