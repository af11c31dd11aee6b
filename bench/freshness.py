"""Freshness and request budget of the operational schedule over a simulated working day.

A generated portal served by the emulator with the standard plan's cloud limits and live changes; the
Dagster schedules' own ticks between ``--from`` and ``--to`` (portal time, on the Monday after the
generated history) run their jobs in process against a scratch database; the clock runs in real time
during each run and skips the idle time between ticks (testkit/freshness.py). Prints one line per
run and a JSON summary: the largest lag of a change behind the portal, and the largest share of the
request and operating budgets any 10 (and 60) minutes used.

    .venv/bin/python bench/freshness.py                                   # 08:00-20:00, ~1 h of runs
    .venv/bin/python bench/freshness.py --from 08:00 --to 09:00 --managers 6   # one hour, minutes
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dagster as dg
import pytest

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.testing import running_emulator
from orchestration.defs.definitions import build_definitions
from orchestration.runtime.sync import sync
from orchestration.warehouse.location import resolve_warehouse
from orchestration.warehouse.scratch import create_scratch_database, drop_scratch_database
from testkit.freshness import SkippingClock, simulate, summary, the_day_so_far

MONDAY = date(2026, 11, 2)  # the day after the generated history, a working day


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--from", dest="start", default="08:00", help="portal time, HH:MM (default 08:00)")
    parser.add_argument("--to", dest="end", default="20:00", help="portal time, HH:MM (default 20:00)")
    parser.add_argument("--managers", type=int, default=20)
    parser.add_argument("--days", type=int, default=30, help="days of generated history before the day")
    parser.add_argument("--change-every-min", type=float, default=1.0, help="simulated minutes per change")
    parser.add_argument(
        "--day-from",
        help="portal time, HH:MM: the portal changes from then to --from with no pass (not measured), so the "
        "span's passes re-read the day's window so far (default: no such changes)",
    )
    parser.add_argument("--json", help="write the summary here too")
    args = parser.parse_args()

    portal = generate(
        GeneratorConfig(seed=42, managers=args.managers, departments=3, days=args.days, end_date=MONDAY)
    )
    start = datetime.fromisoformat(f"{MONDAY}T{args.start}:00+03:00")
    end = datetime.fromisoformat(f"{MONDAY}T{args.end}:00+03:00")
    location = create_scratch_database(resolve_warehouse(), "b24ops_freshbench")
    clock = SkippingClock(datetime.fromisoformat(portal.snapshot_at).timestamp())
    try:
        with (
            running_emulator(portal, fast=False, clock=clock) as emulator,
            pytest.MonkeyPatch.context() as env,
            tempfile.TemporaryDirectory() as home,
        ):
            env.setenv("B24_WEBHOOK_URL", emulator.webhook_url)
            env.setenv("WAREHOUSE_URL", location.libpq_url())
            env.delenv("B24_ALERTS", raising=False)
            with dg.DagsterInstance.ephemeral(tempdir=home) as instance:
                defs = build_definitions()
                sync(defs, instance, MONDAY - timedelta(days=1), MONDAY - timedelta(days=1))
                if args.day_from:
                    since = datetime.fromisoformat(f"{MONDAY}T{args.day_from}:00+03:00")
                    every = timedelta(minutes=args.change_every_min)
                    print(f"the day so far: {the_day_so_far(emulator, clock, since, start, every)} changes")
                day = simulate(
                    defs,
                    instance,
                    emulator,
                    clock,
                    location,
                    start,
                    end,
                    change_every=timedelta(minutes=args.change_every_min),
                    progress=lambda line: print(line, flush=True),
                )
    finally:
        drop_scratch_database(location)
    result: dict[str, Any] = {
        "span": f"{start.isoformat()} – {end.isoformat()}",
        "managers": args.managers,
        "history_days": args.days,
        "day_from": args.day_from,
        **summary(day),
        "hour": summary(day, timedelta(hours=1)),
        "per_run": [
            {
                "tick": run.tick.at.strftime("%H:%M"),
                "schedule": run.tick.schedule,
                "seconds": round(run.seconds, 1),
                "success": run.success,
                "failure": run.failure,
                "requests": run.requests,
                "changes_into_marts": run.seen,
                "oldest_lag_min": round(run.worst_lag.total_seconds() / 60, 1),
                "missed": run.missed,
            }
            for run in day.runs
        ],
        "machine": f"{platform.machine()} {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(result, handle, indent=2, ensure_ascii=False)


if __name__ == "__main__":
    main()
