"""A portal that changes during the export: after the run, the next incremental run and the deletion sweep,
the current raw versions are exactly the portal's.

The changes are made through the emulator's live mode while the first run is between requests (every
request of that run is slowed a little, so the run is still going when they land): new deals with their
stage history, edits of deals on both sides of the keyset cursor, completed activities, new calls, and
deleted deals. Live timestamps are the portal's "now" (the day after the generated history), so the next
incremental run is that day's partition.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.server import Emulator, Faults
from bitrix24_emulator.testing import running_emulator
from orchestration.defs.ingestion.raw_changes import change_assets
from orchestration.defs.ingestion.raw_checks import raw_asset_checks
from testkit.warehouse import query
from tests.ingestion import harness
from tests.support.emulated import HISTORY_END

pytestmark = pytest.mark.integration

CHANGE_TABLES = ("deals", "activities", "calls", "stage_history")


def _change_portal_during_run(emu: Emulator, start_at_request: int, applied: list[int]) -> None:
    """Change the portal while the run is going, recording the request count at each change.

    First, from request ``start_at_request`` on, one change per request: new records and edits. Then, once
    the deals' first page has been read, edits and deletions of deals that page already delivered — the
    run cannot see those, the incremental run and the sweep must.
    """
    deal_ids = [int(row[0]) for row in emu.portal.tables["deals"].rows]
    early = [
        emu.live.new_deal,
        emu.live.new_call,
        emu.live.complete_activity,
        lambda: emu.live.bump_deal(deal_ids[-1]),
        emu.live.new_deal,
        emu.live.complete_activity,
    ]
    for step, mutate in enumerate(early):
        while emu.counters.requests < start_at_request + step:
            threading.Event().wait(0.005)
        mutate()
        applied.append(emu.counters.requests)
    while emu.counters.calls["crm.deal.list"] < 1:
        threading.Event().wait(0.005)
    for mutate in (
        lambda: emu.live.bump_deal(deal_ids[0]),
        lambda: emu.live.delete_deal(deal_ids[1]),
        lambda: emu.live.delete_deal(deal_ids[2]),
        emu.live.new_call,
    ):
        mutate()
        applied.append(emu.counters.requests)


def test_run_then_incremental_then_sweep_match_a_changing_portal(
    fresh_database, monkeypatch, tmp_path
) -> None:
    portal = generate(GeneratorConfig(seed=21, managers=6, departments=2, days=20, end_date=HISTORY_END))
    first, _ = harness.history_days(portal)
    today = portal.snapshot_at[:10]  # live changes are stamped from the portal's "now" on
    slow_requests = Faults(script={n: "slow" for n in range(1, 40)}, slow_seconds=0.15)
    monkeypatch.setenv("WAREHOUSE_URL", fresh_database.libpq_url())
    with running_emulator(portal, fast=True, faults=slow_requests) as emu:
        monkeypatch.setenv("B24_WEBHOOK_URL", emu.webhook_url)
        monkeypatch.setenv("B24_PLAN", "unlimited")
        defs = harness.definitions()
        with dg.DagsterInstance.ephemeral(tempdir=str(tmp_path)) as instance:
            assert harness.run_snapshots(defs, instance).success
            started_at = emu.counters.requests
            applied: list[int] = []
            mutator = threading.Thread(target=_change_portal_during_run, args=(emu, started_at + 1, applied))
            mutator.start()
            first_run = harness.run_changes(defs, instance, first, today, checks=False)
            mutator.join(timeout=30)
            finished_at = emu.counters.requests
            incremental = harness.run_changes(defs, instance, today, today)
            sweep = harness.run_reconciliation(defs, instance)

    assert first_run.success and incremental.success and sweep.success, harness.failures(first_run)
    assert len(applied) == 10 and applied[-1] <= finished_at, (applied, finished_at)  # during the first run
    for table in CHANGE_TABLES:
        current = harness.current_versions(fresh_database, table)
        assert sorted(current) == sorted(harness.portal_versions(portal, table)), table
    assert all(evaluation.passed for evaluation in harness.check_results(incremental).values())
    deleted = query(fresh_database, "select entity, count(*) from raw.deletions group by entity")
    assert deleted == [("deals", 2)]


class ChangedAfterRead(harness.Bitrix24Resource):
    """The production resource; before each client it hands out it runs the next of ``AFTER_READ``: the
    deals feed's read takes the first client, its count check the second — so a change can land between."""

    def client(self, *, repeat_unanswered: bool = True) -> harness.Bitrix24Client:
        if AFTER_READ:
            AFTER_READ.pop(0)()
        return super().client(repeat_unanswered=repeat_unanswered)


AFTER_READ: list[Callable[[], object]] = []


def test_a_deal_created_after_the_read_is_not_counted_lost_when_the_portals_clock_is_behind(
    fresh_database, monkeypatch, tmp_path
) -> None:
    """The emulated portal's clock is weeks behind this machine's (its history ends on HISTORY_END). A deal
    created after raw/deals read its window, before the count check asks the portal, is stamped before the
    machine's start of the run: with that as the cut-off the portal counts one more deal than was stored
    and the blocking check fails. The cut-off is the portal's time of the read, so the check passes."""
    portal = generate(GeneratorConfig(seed=21, managers=6, departments=2, days=20, end_date=HISTORY_END))
    today = portal.snapshot_at[:10]
    deals = next(a for a in change_assets if a.key == dg.AssetKey(["raw", "deals"]))
    checks = [c for c in raw_asset_checks if all(key.asset_key == deals.key for key in c.check_keys)]
    monkeypatch.setenv("WAREHOUSE_URL", fresh_database.libpq_url())
    with running_emulator(portal, fast=True) as emu:
        created: list[int] = []
        AFTER_READ[:] = [lambda: None, lambda: created.append(emu.live.new_deal())]
        resources = harness.definitions().resources | {
            "bitrix24": ChangedAfterRead(webhook_url=emu.webhook_url, plan="unlimited")
        }
        with dg.DagsterInstance.ephemeral(tempdir=str(tmp_path)) as instance:
            tags = {ASSET_PARTITION_RANGE_START_TAG: today, ASSET_PARTITION_RANGE_END_TAG: today}
            result = dg.materialize(
                [deals, *checks], resources=resources, instance=instance, tags=tags, raise_on_error=False
            )
    (deal_id,) = created  # between the read and the check: the read did not see it
    assert query(fresh_database, "select count(*) from raw.deals where id = %s", [deal_id]) == [(0,)]
    counted = harness.check_results(result)["raw/deals:matches_portal_total"]
    assert counted.passed, counted.metadata
    assert result.success, harness.failures(result)
    materialized = result.asset_materializations_for_node(deals.node_def.name)
    (started,) = [
        m.metadata["portal_started_at"].value for m in materialized if "portal_started_at" in m.metadata
    ]
    zone = ZoneInfo(portal.portal_time_zone)
    assert datetime.fromisoformat(started).astimezone(zone).date().isoformat() == today  # the portal's clock
