"""Extraction benchmark: our client against two baselines on an emulated portal with cloud limits on.

    .venv/bin/python bench/extract.py [--managers 70 --days 365 --seed 42] [--sample-pages 10]

Every phase gets a fresh emulator (its own rate bucket and operating budget) with the cloud limits of the
standard plan: 2 req/s, burst 50, 480 s of execution time per method per 10 minutes.

1. **ours** — the four change feeds over the whole history (one keyset pass each, as a single-run
   backfill does) plus every snapshot, through ``Bitrix24Client`` with its production settings.
2. **naive** — offset paging, one 50-row page per request, ``order ID ASC``, paced at 2 req/s. Measured
   on ``--sample-pages`` pages per feed, extrapolated to the whole export.
3. **fast-bitrix24 style** — a ``start=0`` call for ``total``, then every offset in ``batch`` calls of 50
   (the approach of the ``fast-bitrix24`` library). Measured on the count + one batch per feed,
   extrapolated.
4. **incremental** — one day (the last one) of the four change feeds through our client, on a 30-day
   and on a ``--days`` history.

Extrapolated wall time is a lower bound: requests at 2 req/s, or each method's operating seconds at
480 s per 600 s, whichever is larger, summed over the feeds run one after the other (a real run also
pays the 429s and the waits of a client that does not pace itself). Prints a Markdown report.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import requests

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.model import PortalData
from bitrix24_emulator.testing import running_emulator
from orchestration.bitrix24 import Bitrix24Client, ClientSettings
from orchestration.bitrix24.batch import command
from orchestration.defs.ingestion.raw_changes import CHANGE_FEEDS, ChangeFeed, fetch_changes, window_params
from orchestration.defs.ingestion.raw_snapshots import SNAPSHOTS, SnapshotContext
from orchestration.defs.partitions import ChangeWindow

RATE = 2.0  # requests per second, standard plan
BUDGET_SHARE = 480.0 / 600.0  # operating seconds a method may use per wall second, sustained
PAGE = 50
# The portal's today of the measured runs (docs/benchmarks.md): the same data whatever the date.
END_DATE = date(2026, 11, 1)
REQUEST_CAP_S = 60.0  # a cloud request (a batch with all its commands) is cut off after 60 s


@dataclass
class Phase:
    name: str
    requests: int
    rows: int
    operating_s: float
    wall_s: float
    errors: dict[str, int]
    note: str = ""

    @property
    def rows_per_request(self) -> float:
        return self.rows / self.requests if self.requests else 0.0


def history_window(portal: PortalData) -> ChangeWindow:
    snapshot = datetime.fromisoformat(portal.snapshot_at).date()
    return ChangeWindow(date(2000, 1, 1), snapshot, portal.portal_time_zone)


def ours(portal: PortalData, timeout_s: float = ClientSettings.timeout_s) -> tuple[Phase, dict[str, Any]]:
    window = history_window(portal)
    with running_emulator(portal, fast=False) as emu:
        client = Bitrix24Client(
            ClientSettings(webhook_url=emu.webhook_url, plan="standard", timeout_s=timeout_s)
        )
        started = time.monotonic()
        rows = 0
        for feed in CHANGE_FEEDS:
            sent = emu.counters.snapshot()["requests"]
            feed_rows = sum(1 for _ in fetch_changes(client, feed, window))
            feed_requests = emu.counters.snapshot()["requests"] - sent
            print(f"  {feed.table}: {feed_rows} rows in {feed_requests} requests", flush=True)
            rows += feed_rows
        users: list[int] = []
        for spec in SNAPSHOTS:
            records = list(spec.fetch(client, SnapshotContext(today=window.last_day, user_ids=users)))
            rows += len(records)
            if spec.table == "users":
                users = [int(record["ID"]) for record in records]
        wall = time.monotonic() - started
        counters = emu.counters.snapshot()
    phase = Phase(
        "ours (keyset in batch, paced)",
        counters["requests"],
        rows,
        counters["operating_total"],
        wall,
        counters["errors"],
    )
    return phase, client.stats.as_metadata()


class PacedSession:
    """A plain exporter's HTTP: one request every 1/RATE s, so it never meets a 503 either."""

    def __init__(self, webhook_url: str) -> None:
        self.url, self.session, self.last = webhook_url, requests.Session(), 0.0

    def post(self, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """The JSON answer, or ``None`` for a non-JSON one (the portal's HTML 504 of a cut-off request)."""
        pause = self.last + 1 / RATE - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        self.last = time.monotonic()
        response = self.session.post(self.url + method, json=params, timeout=120)
        try:
            return response.json()
        except ValueError:
            return None


def _feed_rows(portal: PortalData, feed: ChangeFeed) -> int:
    return len(portal.tables[feed.table].rows)


def _offset_params(feed: ChangeFeed, window: ChangeWindow, start: int) -> dict[str, Any]:
    order: dict[str, Any] = (
        {"SORT": "ID", "ORDER": "ASC"} if feed.filter_key == "FILTER" else {"order": {"ID": "ASC"}}
    )
    return {**window_params(feed, window), **order, "start": start}


def _extrapolate(
    name: str,
    portal: PortalData,
    measure: Callable[[PacedSession, ChangeFeed, ChangeWindow], tuple[int, int]],
    requests_for: Callable[[int, float], int],
    note: str,
) -> Phase:
    """Run ``measure`` (→ requests sent, pages read) per feed on a fresh emulator; scale to the export."""
    window = history_window(portal)
    total_requests = total_rows = 0
    operating = wall = 0.0
    errors: dict[str, int] = {}
    for feed in CHANGE_FEEDS:
        with running_emulator(portal, fast=False) as emu:
            _sent, pages = measure(PacedSession(emu.webhook_url), feed, window)
            counters = emu.counters.snapshot()
        per_page = counters["operating"].get(feed.method, 0.0) / max(1, counters["calls"].get(feed.method, 1))
        rows = _feed_rows(portal, feed)
        all_pages = math.ceil(rows / PAGE)
        feed_requests = requests_for(all_pages, per_page)
        feed_operating = per_page * all_pages
        total_requests += feed_requests
        total_rows += rows
        operating += feed_operating
        wall += max(feed_requests / RATE, feed_operating / BUDGET_SHARE)
        for code, count in counters["errors"].items():
            errors[code] = errors.get(code, 0) + count
        print(
            f"  {name} {feed.table}: sample {pages} pages, {per_page:.2f} s/page → {all_pages} pages",
            flush=True,
        )
    return Phase(name, total_requests, total_rows, operating, wall, errors, note)


def naive(portal: PortalData, sample_pages: int) -> Phase:
    def measure(http: PacedSession, feed: ChangeFeed, window: ChangeWindow) -> tuple[int, int]:
        for page in range(sample_pages):
            http.post(feed.method, _offset_params(feed, window, page * PAGE))
        return sample_pages, sample_pages

    return _extrapolate(
        "naive (offset, 1 page/request)",
        portal,
        measure,
        lambda pages, _cost: pages,
        f"extrapolated from {sample_pages} measured pages per feed",
    )


def fast_bitrix24_style(portal: PortalData) -> Phase:
    """Count, then offsets in batches of 50 — of which a portal runs at most 60 s per request.

    A batch's sub-calls share the request's 60 s cap; offset pages each pay a COUNT over the whole window,
    so on a large table a batch of 50 is cut off (HTML 504). The extrapolation uses the largest batch that
    fits, ``min(50, 60 s / cost per page)`` commands, which is what such a client has to fall back to.
    """
    cut_off: list[str] = []

    def measure(http: PacedSession, feed: ChangeFeed, window: ChangeWindow) -> tuple[int, int]:
        first = http.post(feed.method, _offset_params(feed, window, 0)) or {}
        total = int(first.get("total") or 0)
        offsets = range(PAGE, min(total, PAGE * 51), PAGE)
        cmd = {f"o{o}": command(feed.method, _offset_params(feed, window, o)) for o in offsets}
        if http.post("batch", {"halt": 0, "cmd": cmd}) is None:
            cut_off.append(feed.table)
        return 2, 1 + len(offsets)

    def requests_for(pages: int, cost_per_page: float) -> int:
        per_batch = max(1, min(50, int(REQUEST_CAP_S // cost_per_page) if cost_per_page else 50))
        return 1 + math.ceil((pages - 1) / per_batch)

    phase = _extrapolate(
        "fast-bitrix24 style (count, offsets in batches)",
        portal,
        measure,
        requests_for,
        "extrapolated from the count call + one batch of 50 offsets per feed",
    )
    if cut_off:
        phase.note += (
            f"; the batch of 50 was cut off by the 60 s request cap (HTML 504) for {', '.join(cut_off)}:"
            " extrapolated with batches of min(50, 60 s / cost per page)"
        )
    return phase


def incremental(portal: PortalData) -> Phase:
    last_day = datetime.fromisoformat(portal.snapshot_at).date() - timedelta(days=1)
    window = ChangeWindow(last_day, last_day, portal.portal_time_zone)
    with running_emulator(portal, fast=False) as emu:
        client = Bitrix24Client(ClientSettings(webhook_url=emu.webhook_url, plan="standard"))
        started = time.monotonic()
        rows = sum(1 for feed in CHANGE_FEEDS for _ in fetch_changes(client, feed, window))
        wall = time.monotonic() - started
        counters = emu.counters.snapshot()
    return Phase(
        f"1 day ({last_day}) on top of the history",
        counters["requests"],
        rows,
        counters["operating_total"],
        wall,
        counters["errors"],
    )


def table(phases: list[Phase]) -> str:
    lines = [
        "| exporter | HTTP requests | rows | rows/request | operating s | wall s | bound s (req/2) "
        "| 503 | 429 | note |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for p in phases:
        lines.append(
            f"| {p.name} | {p.requests:,} | {p.rows:,} | {p.rows_per_request:,.0f} | {p.operating_s:,.1f} | "
            f"{p.wall_s:,.1f} | {p.requests / RATE:,.1f} | {p.errors.get('QUERY_LIMIT_EXCEEDED', 0)} | "
            f"{p.errors.get('OPERATION_TIME_LIMIT', 0)} | {p.note} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--managers", type=int, default=70)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--sample-pages", type=int, default=10)
    parser.add_argument("--json", help="also write the numbers to this file")
    parser.add_argument(
        "--lead-share", type=float, default=0.0, help="GeneratorConfig.lead_share (0: no leads)"
    )
    parser.add_argument("--ours-only", action="store_true", help="only the full export through our client")
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=ClientSettings.timeout_s,
        help="our client's per-request timeout (s); raise it on a loaded machine, where the in-process"
        " emulator answers late: the requests and rows counted do not depend on it",
    )
    args = parser.parse_args()

    started = time.monotonic()
    config = GeneratorConfig(
        seed=args.seed, managers=args.managers, days=args.days, end_date=END_DATE, lead_share=args.lead_share
    )
    portal = generate(config)
    print(f"generated {args.managers}×{args.days} portal in {time.monotonic() - started:.0f} s", flush=True)
    full, stats = ours(portal, args.request_timeout)
    print(f"ours: {full}, {full.rows_per_request:.0f} rows/request", flush=True)
    if args.ours_only:
        return
    baselines = [naive(portal, args.sample_pages), fast_bitrix24_style(portal)]
    short = generate(GeneratorConfig(seed=args.seed, managers=args.managers, days=30, end_date=END_DATE))
    increments = {30: incremental(short), args.days: incremental(portal)}

    print(f"\n### Full export, {args.managers} managers × {args.days} days (seed {args.seed})\n")
    print(table([full, *baselines]))
    print(
        f"\nours: wall / bound = {full.wall_s / (full.requests / RATE):.3f}; client stats: "
        f"retries {stats['retries_by_cause']}, pacing wait {stats['pacing_wait_seconds']} s"
    )
    print(f"\n### Incremental: one day of changes, {args.managers} managers\n")
    print(
        table(
            [
                Phase(f"{days}-day history: {p.name}", p.requests, p.rows, p.operating_s, p.wall_s, p.errors)
                for days, p in increments.items()
            ]
        )
    )
    print(
        f"\nmachine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"date {datetime.now().isoformat(timespec='minutes')}"
    )
    if args.json:
        with open(args.json, "w") as out:
            json.dump(
                {
                    "full": [vars(p) for p in (full, *baselines)],
                    "client_stats": stats,
                    "incremental": {str(d): vars(p) for d, p in increments.items()},
                },
                out,
                indent=2,
            )


if __name__ == "__main__":
    main()
