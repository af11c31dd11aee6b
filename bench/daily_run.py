"""One more daily run on a database ``bench/dbt_build.py --database NAME`` built: for comparing two commits'
daily runs side by side, alternately, on the same data.

A day of changes arrives (a new version of every change-stamped record stamped in the day before the
benchmark's snapshot, as ``dbt_build.py`` makes its windows' versions), then the unpartitioned build and the
windowed one for that day, each timed, as ``dbt_build.py`` times its windows. Run it twice before
comparing: a run re-derives the previous run's versions too (staging's watermark is inclusive), so only
after a one-day run is the previous load one day of changes, as in steady state (docs/benchmarks.md,
session 14). The code measured is the one on ``PYTHONPATH``:

    WAREHOUSE_URL=... PYTHONPATH=<worktree> .venv/bin/python bench/daily_run.py --database NAME --label base-1
"""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from pathlib import Path

from bench.autovacuum import AutovacuumWatch, visible_shares, wait_until_quiet
from bench.dbt_build import END_DATE, _new_versions, _portal_midnight, _short, daily_run, run_summary
from orchestration.warehouse.bootstrap import connect, ensure_database
from orchestration.warehouse.location import resolve_warehouse


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", required=True, help="a database dbt_build.py built (--database)")
    parser.add_argument("--label", required=True, help="names the run's JSON file (daily_run_<label>.json)")
    parser.add_argument("--json-dir", type=Path, default=Path("."), help="writes daily_run_<label>.json here")
    parser.add_argument(
        "--measured-at-hour",
        type=float,
        help="the windowed run's instant, in hours after the benchmark's snapshot (portal midnight): a run "
        "in working hours, when every untouched record's wait has moved since the previous run (the default, "
        "the snapshot itself, is a run at night, when no wait moves)",
    )
    parser.add_argument(
        "--settle",
        action="store_true",
        help="before the day's changes arrive, wait until autovacuum has finished with the previous runs' "
        "writes (bench/autovacuum.py): runs an hour apart, as the schedule makes them, instead of a minute",
    )
    args = parser.parse_args()

    location = ensure_database(resolve_warehouse(), args.database)
    settled = wait_until_quiet(location) if args.settle else None
    snapshot = _portal_midnight(END_DATE)
    window_start = _portal_midnight(END_DATE - timedelta(days=1))
    conn = connect(location, autocommit=True)
    try:
        with conn.cursor() as cur:
            # one label for every run: each run sights the same new version again (see _new_versions), so
            # runs on one database stay comparable however many came before
            versions = _new_versions(cur, window_start, snapshot, "daily-run")
    finally:
        conn.close()
    measured_at = None if args.measured_at_hour is None else snapshot + timedelta(hours=args.measured_at_hour)
    visible = visible_shares(location)
    print("staging pages all-visible: " + ", ".join(f"{table} {share}" for table, share in visible.items()))
    with AutovacuumWatch(location) as autovacuum:
        run = daily_run(location, snapshot, window_start, snapshot, measured_at)
    together = run["rest"]["wall_s"] + run["windowed_marts"]["wall_s"]
    print(f"{args.label}: {run_summary(run)}, together {together:.1f} s")
    for query, seconds in autovacuum.seconds.most_common():
        print(f"    autovacuum beside the run, {seconds:5.1f} s: {query}")
    nodes = {**run["rest"]["nodes"], **run["windowed_marts"]["nodes"]}
    for unique_id, seconds in sorted(nodes.items(), key=lambda kv: -kv[1])[:12]:
        print(f"    {_short(unique_id):60} {seconds:8.2f} s")
    report = {
        "label": args.label,
        "measured_at": (measured_at or snapshot).isoformat(),
        "new_versions": versions,
        "settled": settled,
        "staging_visible_shares": visible,
        "autovacuum_during_run_s": dict(autovacuum.seconds),
        **run,
    }
    (args.json_dir / f"daily_run_{args.label}.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
