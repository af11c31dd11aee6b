"""With a tenth or more of all requests faulted, the raw tables still equal the portal: 0 lost, 0 doubled.

Every fault kind the emulator has is in play: 500 JSON and HTML pages, TCP resets, slow answers that
the client's 1 s read timeout turns into timeouts, truncated and non-JSON bodies, 503 OVERLOAD_LIMIT and
QUERY_LIMIT_EXCEEDED, 429 OPERATION_TIME_LIMIT. The run goes through Dagster (snapshots, then the change
assets and their checks over the whole partition range in one run) into real PostgreSQL.
"""

from __future__ import annotations

import dagster as dg
import pytest

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.server import Faults
from bitrix24_emulator.server.faults import KINDS
from bitrix24_emulator.testing import running_emulator
from orchestration.defs.ingestion.raw_changes import CHANGE_FEEDS
from orchestration.defs.ingestion.raw_checks import CHECKS
from tests.ingestion import harness
from tests.support.emulated import HISTORY_END

pytestmark = pytest.mark.integration

# The client's retry causes (orchestration/bitrix24/errors.py ``Cause``) the fault kinds must show up as.
EXPECTED_CAUSES = (
    "timeout",  # slow
    "connection_error",  # reset
    "unparsable_body",  # truncated, invalid_json
    "server_error_5xx",  # http500, html
    "rate_limit_503",  # query_limit
    "overload_503",  # overload
    "operating_limit_429",  # operation_limit
)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_raw_equals_the_portal_under_injected_faults(
    fresh_database, monkeypatch, tmp_path, seed: int
) -> None:
    portal = generate(GeneratorConfig(seed=seed, managers=8, departments=2, days=30, end_date=HISTORY_END))
    # Every kind at least once (scripted, at seed-dependent request numbers), plus random ones on top.
    script = {seed % 3 + 1 + 3 * i: kind for i, kind in enumerate(KINDS)}
    faults = Faults(probability=0.15, seed=seed, script=script, slow_seconds=1.5)
    monkeypatch.setenv("WAREHOUSE_URL", fresh_database.libpq_url())
    with running_emulator(portal, fast=True, faults=faults) as emu:
        defs = harness.definitions(harness.impatient(emu.webhook_url))
        with dg.DagsterInstance.ephemeral(tempdir=str(tmp_path)) as instance:
            snapshots = harness.run_snapshots(defs, instance)
            changes = harness.run_changes(defs, instance, *harness.history_days(portal))
        served, injected = emu.counters.requests, dict(emu.counters.faults)

    assert snapshots.success and changes.success, harness.failures(snapshots) + harness.failures(changes)
    assert sum(injected.values()) / served >= 0.10, (served, injected)
    assert set(injected) == set(KINDS), injected
    # Each kind was recognised for what it is (slow answers became client timeouts, resets connection errors).
    assert set(EXPECTED_CAUSES) <= harness.retry_causes(snapshots, changes)
    for table in harness.ENTITIES:
        stored = harness.stored_versions(fresh_database, table)
        truth = harness.portal_versions(portal, table)
        assert len(stored) == len(set(stored)), f"{table}: doubled versions"
        assert sorted(stored) == sorted(truth), f"{table}: lost or extra versions"
    checks = harness.check_results(changes)
    # every check of every change feed evaluated, once
    assert set(checks) == {f"raw/{feed.table}:{name}" for feed in CHANGE_FEEDS for name in CHECKS}
    assert all(evaluation.passed for evaluation in checks.values()), {
        key: evaluation.metadata for key, evaluation in checks.items() if not evaluation.passed
    }
