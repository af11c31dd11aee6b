"""The sync's progress numbers: the request estimate, live counters, the ETA from the pacing rate."""

import time

import pytest
from rich.progress import Progress

from orchestration.bitrix24.stats import ExtractStats
from orchestration.cli.sync_estimate import RequestEstimate, comment_requests, keyset_requests
from orchestration.cli.sync_progress import StepCounters, _CountsColumn, counted
from orchestration.defs.ingestion.raw_changes import change_assets
from orchestration.runtime.sync import SyncStep


@pytest.mark.parametrize(
    ("rows", "requests"), [(0, 1), (50, 1), (51, 2), (2_550, 2), (2_551, 3), (72_489, 30)]
)
def test_keyset_export_costs_a_first_page_and_a_batch_per_2500_rows(rows, requests):
    assert keyset_requests(rows) == requests


@pytest.mark.parametrize(("deals", "requests"), [(0, 0), (1, 1), (50, 1), (51, 2), (72_489, 1_450)])
def test_comments_cost_a_batch_per_50_deals(deals, requests):
    assert comment_requests(deals) == requests


def changes_step() -> SyncStep:
    return SyncStep("changes", tuple(change_assets), ("2026-10-01", "2026-10-02"))


def stats(requests: int, rows: int) -> ExtractStats:
    return ExtractStats(http_requests=requests, rows=rows)


def test_eta_is_the_requests_left_at_the_pacing_rate():
    step = changes_step()
    deals = next(asset for asset in change_assets if asset.key.to_user_string() == "raw/deals")
    counters = StepCounters(step, RequestEstimate({"raw/deals": 100}), rate=2.0)
    counters.running(deals.node_def.name)
    counters.client_created(stats(requests=40, rows=1_000))
    assert counters.requests() == 40
    assert counters.eta_seconds() == 30.0  # 60 requests left at 2 per second


def test_asset_checks_requests_are_not_counted_and_loaded_rows_replace_paged_rows():
    step = changes_step()
    deals = next(asset for asset in change_assets if asset.key.to_user_string() == "raw/deals").node_def.name
    counters = StepCounters(step, estimate=None, rate=2.0)
    counters.running(deals)
    counters.client_created(stats(requests=3, rows=120))
    assert counters.rows() == 120  # paged so far, the asset is still running
    counters.materialized(deals, "raw/deals", rows=100)
    counters.materialized(deals, "raw/deals", rows=50)  # the second partition of the same run: its own rows
    assert (counters.rows(), counters.partitions(deals), counters.assets(deals)) == (150, 2, ["raw/deals"])
    counters.running("raw__deals_matches_portal_total")  # an asset check's step: its count query
    counters.client_created(stats(requests=1, rows=0))
    assert counters.requests() == 3
    assert counters.eta_seconds() is None  # no estimate: the bar falls back to rich's own ETA


def test_without_pacing_the_requests_left_are_timed_at_the_observed_rate():
    counters = StepCounters(changes_step(), RequestEstimate({"raw/calls": 10}), rate=None)
    assert counters.eta_seconds() is None  # nothing sent yet: no rate to go by
    counters.running(change_assets[0].node_def.name)
    counters.client_created(stats(requests=10, rows=0))
    assert counters.eta_seconds() == 0.0


@pytest.mark.parametrize(
    ("number", "expected"),
    [(0, "0 partitions"), (1, "1 partition"), (2, "2 partitions"), (1_960, "1,960 partitions")],
)
def test_counts_take_the_plural_unless_one(number: int, expected: str) -> None:
    assert counted(number, "partition") == expected


def test_the_bar_says_when_the_portal_asks_to_wait():
    step = changes_step()
    deals = next(asset for asset in change_assets if asset.key.to_user_string() == "raw/deals").node_def.name
    counters = StepCounters(step, estimate=None, rate=2.0)
    counters.running(deals)
    waiting = stats(requests=3, rows=120)
    counters.client_created(waiting)
    assert counters.portal_wait(now=1_000.0) is None
    waiting.operating_blocked("crm.deal.list", until=1_272.0)
    assert counters.portal_wait(now=1_000.0) == ("crm.deal.list", 272.0)

    progress = Progress()
    progress.add_task("changes", counters=counters)
    waiting.operating_blocked("crm.deal.list", until=time.time() + 272.5)
    text = str(_CountsColumn().render(progress.tasks[0]))
    assert text.startswith("120 rows · 3 requests · the portal asks to wait 4:3")
    assert text.endswith("(crm.deal.list operating-time limit)")
    waiting.operating_resumed()
    assert counters.portal_wait(now=1_000.0) is None
    assert str(_CountsColumn().render(progress.tasks[0])) == "120 rows · 3 requests"
