"""A working day of the operational schedule against a live emulator portal, at an accelerated clock.

The emulator runs with the standard plan's cloud limits and a :class:`SkippingClock`: the clock runs in
real time while a run executes (the pipeline is not faster because the day is simulated, and the live
portal keeps changing meanwhile, from a background thread) and jumps over the idle time between two ticks
(with the portal's changes of that time placed at their own instants on the way). The ticks are the
Dagster schedules' own: every tick of ``operational_today`` (and of ``portal_sync_today``) in the
simulated span runs its job for its day, in process, on a real Dagster instance.

Freshness is measured per change the marts show: a new deal (its row in ``managerControl_Deal``) or a
new call (its row in ``calls``). A change's lag is the instant the run that first brought it into the marts
ended, minus the instant the portal made it; the largest lag over the span bounds how far the marts are
behind the portal ("the marts' newest change is at most that much older than the portal's", for a portal
that keeps changing). A change still missing after a run that started after it is a failure of its own.
The request budget is the emulator's count of HTTP requests and operating seconds per method, against the
plan's 2 req/s and 480 s per method per 10 minutes.

Used by tests/alerts/test_freshness_e2e.py (a short span) and bench/freshness.py (a day).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import dagster as dg
from dagster._utils.schedules import schedule_execution_time_iterator

from bitrix24_emulator.server import Emulator
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation

JOB = "operational_refresh"
# the plan's budgets (bitrix24_emulator/server/limits.py, Limits.cloud("standard"); docs/bitrix24-api.md)
REQUESTS_PER_SECOND = 2.0
OPERATING_SECONDS_PER_10_MIN = 480.0

_IN_MARTS = {
    "deal": 'select deal_id from marts."managerControl_Deal" where deal_id = any(%s)',
    "call": "select statistic_id from marts.calls where statistic_id = any(%s)",
}


class SkippingClock:
    """Real time, plus whatever ``skip`` added: the idle time between two ticks passes at once."""

    def __init__(self, start: float) -> None:
        self._offset = start - time.time()
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def skip(self, seconds: float) -> None:
        with self._lock:
            self._offset += max(seconds, 0.0)


@dataclass(frozen=True)
class Change:
    kind: str  # deal | call
    id: int
    at: datetime  # the portal's instant


@dataclass(frozen=True)
class RunSample:
    tick: Tick
    started: datetime
    ended: datetime
    success: bool
    requests: int  # HTTP requests the run made to the portal
    operating: dict[str, float]  # operating seconds charged per method
    seen: int  # changes the run brought into the marts
    worst_lag: timedelta  # the largest lag among them
    missed: int  # changes made before the run started and still not in the marts after it
    failure: str = ""  # a failed run's first failed step and the first line of its error

    @property
    def seconds(self) -> float:
        return (self.ended - self.started).total_seconds()


@dataclass
class Day:
    """What a simulated span measured."""

    runs: list[RunSample] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    seen_at: dict[Change, datetime] = field(default_factory=dict)

    @property
    def max_lag(self) -> timedelta:
        """The largest lag of any change; one never seen counts until the last run's end."""
        end = self.runs[-1].ended
        return max((self.seen_at.get(c, end) - c.at for c in self.changes), default=timedelta(0))

    def budget_share(self, window: timedelta) -> tuple[float, float]:
        """The largest share of the request budget and of one method's operating budget that the runs
        starting inside any ``window`` (from a run's start) used."""
        seconds = window.total_seconds()
        worst_requests = worst_operating = 0.0
        for first in self.runs:
            inside = [r for r in self.runs if first.started <= r.started < first.started + window]
            operating: Counter[str] = Counter()
            for r in inside:
                operating.update(r.operating)
            worst_requests = max(
                worst_requests, sum(r.requests for r in inside) / (REQUESTS_PER_SECOND * seconds)
            )
            worst_operating = max(
                worst_operating,
                max(operating.values(), default=0.0) / (OPERATING_SECONDS_PER_10_MIN * seconds / 600),
            )
        return worst_requests, worst_operating


@dataclass(frozen=True)
class Tick:
    at: datetime
    schedule: str
    job: str
    partition_key: str


def schedule_ticks(defs: dg.Definitions, start: datetime, end: datetime) -> list[Tick]:
    """The ticks in [start, end) of the schedules that read a day's changes, with the run each requests."""
    ticks: list[Tick] = []
    for schedule in defs.schedules:
        if schedule.job_name not in (JOB, "portal_sync"):
            continue
        times = schedule_execution_time_iterator(
            start.timestamp(), schedule.cron_schedule, schedule.execution_timezone
        )
        for at in times:
            if at >= end:
                break
            request = schedule(dg.build_schedule_context(scheduled_execution_time=at))
            ticks.append(Tick(at, schedule.name, schedule.job_name, request.partition_key))
    return sorted(ticks, key=lambda t: (t.at, t.schedule))


class LiveChanges:
    """The portal's visible changes (a new call, now and then a new deal), at the simulated instants."""

    def __init__(self, emulator: Emulator, day: Day) -> None:
        self.emulator = emulator
        self.day = day
        self._lock = threading.Lock()
        self.count = 0

    def one(self) -> None:
        with self._lock:
            self.count += 1
            live = self.emulator.live
            kind, make = ("deal", live.new_deal) if self.count % 3 == 0 else ("call", live.new_call)
            self.day.changes.append(Change(kind, int(make()), datetime.fromisoformat(live.now_iso())))

    def unseen(self) -> list[Change]:
        with self._lock:
            return [c for c in self.day.changes if c not in self.day.seen_at]

    @contextlib.contextmanager
    def during_run(self, every_real_s: float) -> Iterator[None]:
        """Changes from a background thread while a run reads the portal."""
        stop = threading.Event()

        def changing() -> None:
            while not stop.wait(every_real_s):
                self.one()

        thread = threading.Thread(target=changing)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


def the_day_so_far(
    emulator: Emulator, clock: SkippingClock, since: datetime, until: datetime, every: timedelta
) -> int:
    """The portal's changes from ``since`` to ``until`` at the simulation's rate, with no pass between them:
    a span that starts in the evening then re-reads a whole day's window, as the evening's passes of a real
    day do. They are not measured (no pass could have brought them in); returns how many were made."""
    backlog = LiveChanges(emulator, Day())
    for step in range(int((until - since) / every)):  # at since, since + every, ... before until
        clock.skip((since + step * every).timestamp() - clock.now())
        backlog.one()
    clock.skip(until.timestamp() - clock.now())
    return backlog.count


def in_marts(location: WarehouseLocation, changes: list[Change]) -> set[Change]:
    """Which of ``changes`` the marts hold."""
    found: set[Change] = set()
    conn = connect(location)
    try:
        with conn.cursor() as cur:
            for kind, sql in _IN_MARTS.items():
                ids = [c.id for c in changes if c.kind == kind]
                cur.execute(sql, (ids,))
                present = {int(i) for (i,) in cur.fetchall()}
                found.update(c for c in changes if c.kind == kind and c.id in present)
    finally:
        conn.close()
    return found


def simulate(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    emulator: Emulator,
    clock: SkippingClock,
    location: WarehouseLocation,
    start: datetime,
    end: datetime,
    *,
    change_every: timedelta = timedelta(minutes=2),
    change_every_real_s: float = 5.0,
    progress: Callable[[str], None] = lambda _: None,
) -> Day:
    """Run the schedule's ticks in [start, end) with the portal changing throughout; see the module doc."""
    day = Day()
    changes = LiveChanges(emulator, day)
    zone = start.tzinfo

    def now() -> datetime:
        return datetime.fromtimestamp(clock.now(), zone)

    clock.skip((start - now()).total_seconds())
    for tick in schedule_ticks(defs, start, end):
        while now() + change_every < tick.at:  # the idle time up to the tick, with its changes
            clock.skip(change_every.total_seconds())
            changes.one()
        clock.skip((tick.at - now()).total_seconds())
        requests, operating = emulator.counters.requests, dict(emulator.counters.operating)
        began = now()
        with changes.during_run(change_every_real_s):
            result = defs.resolve_job_def(tick.job).execute_in_process(
                instance=instance,
                partition_key=tick.partition_key,
                raise_on_error=False,
                run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            )
        ended = now()
        failure = "" if result.success else first_failure(result)
        pending = changes.unseen()
        seen = in_marts(location, pending)
        for change in seen:
            day.seen_at[change] = ended
        sample = RunSample(
            tick=tick,
            started=began,
            ended=ended,
            success=result.success,
            requests=emulator.counters.requests - requests,
            operating={
                method: seconds - operating.get(method, 0.0)
                for method, seconds in emulator.counters.operating.items()
                if seconds > operating.get(method, 0.0)
            },
            seen=len(seen),
            worst_lag=max((ended - c.at for c in seen), default=timedelta(0)),
            missed=sum(1 for c in pending if c not in seen and c.at < began),
            failure=failure,
        )
        day.runs.append(sample)
        progress(describe(sample))
    return day


def first_failure(result: dg.ExecuteInProcessResult) -> str:
    """Which step failed first and why (its error's first line): a bench run's instance is ephemeral, so
    the reason is kept here or lost."""
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            error = event.step_failure_data.error
            while error is not None and error.cause is not None:  # Dagster's wrapper, then the cause
                error = error.cause
            message = error.message.strip().splitlines()[0] if error else "no error recorded"
            return f"{event.step_key}: {message}"
    return "the run failed outside any step"


def describe(run: RunSample) -> str:
    return (
        f"{run.tick.at:%a %H:%M} {run.tick.schedule}: {run.seconds:5.0f} s "
        f"{'ok' if run.success else 'FAILED (' + run.failure + ')'}, "
        f"{run.requests} requests, {run.seen} changes into the marts, the oldest "
        f"{run.worst_lag.total_seconds() / 60:.1f} min old; missed {run.missed}"
    )


def summary(day: Day, window: timedelta = timedelta(minutes=10)) -> dict[str, Any]:
    requests, operating = day.budget_share(window)
    return {
        "runs": len(day.runs),
        "failed_runs": sum(not r.success for r in day.runs),
        "changes": len(day.changes),
        "changes_in_marts": len(day.seen_at),
        "missed": sum(r.missed for r in day.runs),
        "max_lag_min": round(day.max_lag.total_seconds() / 60, 1),
        "max_run_s": round(max(r.seconds for r in day.runs), 1),
        "requests": sum(r.requests for r in day.runs),
        "max_requests_per_run": max(r.requests for r in day.runs),
        "request_budget_share": round(requests, 4),
        "operating_budget_share": round(operating, 4),
    }
