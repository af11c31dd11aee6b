"""``python -m bitrix24_emulator.generator``: generate a portal, report its size, time and peak memory.

This is how the README's generation numbers are measured; ``--truth-out`` also writes the ground truth.
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import date

from bitrix24_emulator.generator import GeneratorConfig, generate, portal_fingerprint, write_truth


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bitrix24_emulator.generator", description=__doc__)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--managers", type=int, default=70)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--activity-scenario", choices=("universal", "classic"), default="universal")
    parser.add_argument(
        "--end-date", type=date.fromisoformat, help="the portal's today (default: today in its time zone)"
    )
    parser.add_argument("--lead-share", type=float, default=0.0, help="0: deals only (see GeneratorConfig)")
    parser.add_argument("--truth-out", help="directory for write_truth()")
    parser.add_argument("--fingerprint", action="store_true", help="also print portal_fingerprint()")
    args = parser.parse_args(argv)
    started, cpu_started = time.perf_counter(), time.process_time()
    config = GeneratorConfig(
        seed=args.seed,
        managers=args.managers,
        days=args.days,
        end_date=args.end_date,
        activity_scenario=args.activity_scenario,
        lead_share=args.lead_share,
    )
    portal = generate(config)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    print(" ".join(f"{name}={len(table.rows)}" for name, table in portal.tables.items()))
    print(f"managers={args.managers} days={args.days} seconds={seconds:.1f} cpu_seconds={cpu:.1f}", end=" ")
    print(f"peak_rss_mb={peak_mb:.0f}")
    if args.fingerprint:
        print(f"fingerprint={portal_fingerprint(portal)}")
    if args.truth_out:
        for path in write_truth(portal, args.truth_out):
            print(f"truth: {path}")


if __name__ == "__main__":
    main()
