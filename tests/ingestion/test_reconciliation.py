"""The deletion sweep: marks what the portal lost, un-marks what came back, costs ids / 2,500 requests, and
refuses to mark a mass disappearance (a webhook that lost its rights looks exactly like one).
"""

from __future__ import annotations

import math

import dagster as dg
import pytest

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.testing import running_emulator
from orchestration.defs.ingestion.reconciliation import SWEEPS
from testkit.warehouse import query
from tests.ingestion import harness
from tests.support.emulated import HISTORY_END

pytestmark = pytest.mark.integration


def _keyset_requests(rows: int) -> int:
    """One first page of 50, then batches of 50 × 50; a full last page costs one more (empty) look."""
    return 1 + math.ceil((rows - 50 + 1) / 2500) if rows >= 50 else 1


def test_sweep_marks_deleted_unmarks_restored_and_is_cheap(fresh_database, monkeypatch, tmp_path) -> None:
    portal = generate(GeneratorConfig(seed=41, managers=6, departments=2, days=20, end_date=HISTORY_END))
    first, last = harness.history_days(portal)
    monkeypatch.setenv("WAREHOUSE_URL", fresh_database.libpq_url())
    monkeypatch.setenv("B24_PLAN", "unlimited")
    with running_emulator(portal) as emu:
        monkeypatch.setenv("B24_WEBHOOK_URL", emu.webhook_url)
        defs = harness.definitions()
        with dg.DagsterInstance.ephemeral(tempdir=str(tmp_path)) as instance:
            assert harness.run_changes(defs, instance, first, last, checks=False).success
            deleted = sorted(emu.live.delete_deal() for _ in range(3))
            present = int(portal.tables["deals"].rows[0][0])
            # A record marked at an earlier sweep and restored since (from the recycle bin) must come back.
            harness.execute(
                fresh_database,
                "insert into raw.deletions (portal_id, entity, id) values ('default', 'deals', %s)",
                (present,),
            )
            before = emu.counters.requests
            sweep = harness.run_reconciliation(defs, instance)
            sweep_requests = emu.counters.requests - before

    assert sweep.success, harness.failures(sweep)
    ledger = query(fresh_database, "select entity, id from raw.deletions order by entity, id")
    assert ledger == [("deals", deal_id) for deal_id in deleted]
    metadata = sweep.asset_materializations_for_node("raw__deletions")[0].metadata
    assert metadata["newly_missing"].value == 3
    assert metadata["by_entity"].value["deals"]["restored"] == 1
    # a deals-only portal lists no leads and no lead history: one empty first page each
    listed = {s.table: len(portal.tables[s.table].rows) if s.table in portal.tables else 0 for s in SWEEPS}
    assert sweep_requests == sum(_keyset_requests(rows) for rows in listed.values())


def test_sweep_refuses_to_mark_most_records_deleted(fresh_database, monkeypatch, tmp_path) -> None:
    portal = generate(GeneratorConfig(seed=42, managers=6, departments=2, days=20, end_date=HISTORY_END))
    first, last = harness.history_days(portal)
    monkeypatch.setenv("WAREHOUSE_URL", fresh_database.libpq_url())
    monkeypatch.setenv("B24_PLAN", "unlimited")
    with running_emulator(portal) as emu:
        monkeypatch.setenv("B24_WEBHOOK_URL", emu.webhook_url)
        defs = harness.definitions()
        with dg.DagsterInstance.ephemeral(tempdir=str(tmp_path)) as instance:
            assert harness.run_changes(defs, instance, first, last, checks=False).success
            for _ in range(len(portal.tables["deals"].rows) * 2 // 3):
                emu.live.delete_deal()
            sweep = harness.run_reconciliation(defs, instance)

    assert not sweep.success
    assert "refusing to mark them deleted" in " ".join(harness.failures(sweep))
    assert query(fresh_database, "select count(*) from raw.deletions") == [(0,)]
