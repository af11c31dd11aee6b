"""CLI: ``python -m orchestration.calendars --country RU --years 2024 2025 --out <seed.csv>``."""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from pathlib import Path

from orchestration.calendars.production_calendar import production_calendar

SEED_COLUMNS = ("country", "calendar_date", "day_type", "short_minutes", "description")


def main(argv: Sequence[str] | None = None) -> int:
    """Write the production-calendar seed for one or more countries."""
    parser = argparse.ArgumentParser(prog="python -m orchestration.calendars", description=__doc__)
    parser.add_argument("--country", nargs="+", required=True, help="ISO 3166 codes, e.g. RU DE")
    parser.add_argument("--years", nargs="+", type=int, required=True)
    parser.add_argument(
        "--short-day-minutes",
        type=int,
        default=None,
        help="override the pre-holiday shortening (0 = no short days)",
    )
    parser.add_argument("--out", type=Path, default=None, help="CSV path (default: stdout)")
    args = parser.parse_args(argv)

    rows = [
        row
        for country in args.country
        for row in production_calendar(country.upper(), args.years, args.short_day_minutes)
    ]
    out = args.out.open("w", newline="", encoding="utf-8") if args.out else sys.stdout
    try:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(SEED_COLUMNS)
        for row in rows:
            writer.writerow(
                [
                    row.country,
                    row.calendar_date.isoformat(),
                    row.day_type.value,
                    "" if row.short_minutes is None else row.short_minutes,
                    row.description,
                ]
            )
    finally:
        if args.out:
            out.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
