"""How many requests a sync's change step will send, asked of the portal before the step starts.

The ETA of the extraction is the **pacing bound**: the requests still to send divided by the rate the client
paces itself to (``B24_PLAN``: 2 requests/s standard, 5 Enterprise). The requests are estimated with the rule
of docs/connecting-a-portal.md: per change feed, one first page plus a batch per 2,500 further rows
(50 keyset pages of 50 rows in one ``batch``), and for the timeline comments one batch per 50 changed deals.
The rows come from the portal itself: one ``start=0, select=[ID]`` list call per feed (the same count query
as the ``matches_portal_total`` asset check) returns the window's ``total`` — four requests, against hundreds
for a year. Not counted: deals with more than 50 comments (one more request each), retries, and the asset
checks' own count queries; and the first requests of each asset ride the rate bucket's burst, so a small
window finishes sooner than the bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from orchestration.bitrix24 import Bitrix24Client, Bitrix24Error
from orchestration.bitrix24.batch import MAX_COMMANDS
from orchestration.bitrix24.pacing import PLANS
from orchestration.defs.ingestion.raw_changes import CHANGE_FEEDS, window_params
from orchestration.defs.partitions import ChangeWindow, portal_time_zone
from orchestration.defs.resources import Bitrix24Resource
from orchestration.runtime.sync import SyncStep

PAGE_SIZE = 50  # rows per list page (the portal's fixed page)


def keyset_requests(rows: int) -> int:
    """Requests of one keyset export of ``rows`` rows: a single first page, then 50 pages per batch."""
    return 1 + ceil(max(0, rows - PAGE_SIZE) / (PAGE_SIZE * MAX_COMMANDS))


def comment_requests(deals: int) -> int:
    """Requests for the timeline comments of ``deals`` deals: one batch of 50 first pages per 50 deals."""
    return ceil(deals / MAX_COMMANDS)


@dataclass(frozen=True)
class RequestEstimate:
    """Estimated requests per raw asset of a change step."""

    by_asset: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_asset.values())


def estimate_changes(client: Bitrix24Client, first_key: str, last_key: str) -> RequestEstimate | None:
    """Ask the portal how many records each change feed has in the window; None if it cannot tell."""
    window = ChangeWindow.from_partition_keys(first_key, last_key, portal_time_zone())
    by_asset: dict[str, int] = {}
    rows: dict[str, int] = {}
    for feed in CHANGE_FEEDS:
        total = client.call(feed.method, {**window_params(feed, window), "select": ["ID"], "start": 0}).total
        if total is None:
            return None
        rows[feed.table] = total
        by_asset[f"raw/{feed.table}"] = keyset_requests(total)
    # the comment asset reads the window's deals and leads, each in batches of its own
    by_asset["raw/timeline_comments"] = comment_requests(rows["deals"]) + comment_requests(rows["leads"])
    return RequestEstimate(by_asset)


def pacing_rate(resource: Bitrix24Resource) -> float | None:
    """Requests per second the client paces itself to; None for an unlimited plan (no pacing)."""
    limits = PLANS.get(resource.plan)
    return limits[0] if limits else None


@dataclass(frozen=True)
class PortalEstimator:
    """Estimates the requests of a sync's change step from the portal the sync reads."""

    resource: Bitrix24Resource

    def __call__(self, step: SyncStep) -> RequestEstimate | None:
        if not (step.extracts and step.partition_keys):
            return None
        try:
            with self.resource.process_config_and_initialize().client() as client:
                return estimate_changes(client, step.partition_keys[0], step.partition_keys[-1])
        except Bitrix24Error:
            # No estimate, no harm: the step itself reads the portal next and reports the error precisely.
            return None
