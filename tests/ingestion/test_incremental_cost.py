"""A one-day partition costs requests by that day's changes, not by the history behind it.

Per feed the keyset export sends one first page, then ``⌈(rows − 50 + 1) / 2,500⌉`` batches of 50 chained
pages; the same day on top of 10 and of 40 days of history must cost exactly that, through Dagster. The
70-manager, 30- vs 365-day numbers are in docs/benchmarks.md ("Extraction").
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import dagster as dg
import pytest

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.testing import running_emulator
from orchestration.defs.ingestion.raw_changes import CHANGE_FEEDS
from testkit.warehouse import query
from tests.ingestion import harness
from tests.support.emulated import HISTORY_END

pytestmark = pytest.mark.integration


def _expected_requests(rows: int) -> int:
    return 1 + math.ceil((rows - 50 + 1) / 2500) if rows >= 50 else 1


@pytest.mark.parametrize("days", [10, 40])
def test_one_day_costs_what_the_day_changed(fresh_database, monkeypatch, tmp_path, days: int) -> None:
    portal = generate(GeneratorConfig(seed=51, managers=8, departments=2, days=days, end_date=HISTORY_END))
    day = (datetime.fromisoformat(portal.snapshot_at).date() - timedelta(days=1)).isoformat()
    monkeypatch.setenv("WAREHOUSE_URL", fresh_database.libpq_url())
    monkeypatch.setenv("B24_PLAN", "unlimited")
    with running_emulator(portal) as emu:
        monkeypatch.setenv("B24_WEBHOOK_URL", emu.webhook_url)
        with dg.DagsterInstance.ephemeral(tempdir=str(tmp_path)) as instance:
            result = harness.run_changes(harness.definitions(), instance, day, day, checks=False)
        requests = emu.counters.requests

    assert result.success, harness.failures(result)
    day_rows = {feed.table: len(harness.versions_on_day(portal, feed.table, day)) for feed in CHANGE_FEEDS}
    assert sum(day_rows.values()) > 0
    assert requests == sum(_expected_requests(rows) for rows in day_rows.values()), day_rows


def _materializations(instance: dg.DagsterInstance, table: str) -> dict[str, dict]:
    """The latest materialisation of each partition of raw/<table>: partition → metadata values."""
    records = instance.fetch_materializations(dg.AssetKey(["raw", table]), limit=1000).records
    return {
        record.partition_key: {
            k: getattr(v, "value", v) for k, v in record.asset_materialization.metadata.items()
        }
        for record in records
    }


def test_each_partition_records_its_own_rows_and_the_run_its_cost_once(fresh_database, monkeypatch, tmp_path):
    """#19 point 10: a run over many days records per day its own rows; the run's requests once, so the
    sums over the days are the run's totals (they were the run's totals times the number of days)."""
    portal = generate(
        GeneratorConfig(seed=52, managers=6, departments=2, days=8, end_date=HISTORY_END, lead_share=0.5)
    )
    first, last = harness.history_days(portal)
    monkeypatch.setenv("WAREHOUSE_URL", fresh_database.libpq_url())
    monkeypatch.setenv("B24_PLAN", "unlimited")
    with running_emulator(portal) as emu:
        monkeypatch.setenv("B24_WEBHOOK_URL", emu.webhook_url)
        with dg.DagsterInstance.ephemeral(tempdir=str(tmp_path)) as instance:
            result = harness.run_changes(harness.definitions(), instance, first, last, checks=False)
            assert result.success, harness.failures(result)
            by_table = {feed.table: _materializations(instance, feed.table) for feed in CHANGE_FEEDS}
        requests = emu.counters.requests

    days = len(next(iter(by_table.values())))
    assert days > 3
    run_requests = 0
    for table, partitions in by_table.items():
        assert len(partitions) == days, table
        stored = dict(
            query(
                fresh_database,
                f"select partition_key, count(*) from raw.{table}"
                " where partition_key between %s and %s group by 1",
                (first, last),
            )
        )
        for day, metadata in partitions.items():
            assert metadata["rows"] == stored.get(day, 0), (table, day)  # this day's own rows
        carrying = [metadata for metadata in partitions.values() if "http_requests" in metadata]
        assert len(carrying) == 1, table  # the run's cost once, on the window's last day
        (run,) = carrying
        assert sum(metadata["rows"] for metadata in partitions.values()) == run["run_rows"] > 0, table
        assert sum(metadata["new_versions"] for metadata in partitions.values()) == run["run_new_versions"]
        assert run["days"] == days
        assert f"{run['run_rows']:,} rows" in run["summary"]
        run_requests += run["http_requests"]
    assert run_requests == requests  # every request the emulator answered, counted once
