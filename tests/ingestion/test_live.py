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

import dagster as dg
import pytest

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.server import Emulator, Faults
from bitrix24_emulator.testing import running_emulator
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
    deleted = harness.query(fresh_database, "select entity, count(*) from raw.deletions group by entity")
    assert deleted == [("deals", 2)]
