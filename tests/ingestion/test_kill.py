"""A materialisation SIGKILLed in the middle of a window leaves nothing of it; the re-run is exact.

The child process (``tests/ingestion/materialize_changes.py``) loads with a small COPY chunk, and the
emulator answers slowly, so the kill lands while rows of a window are already in a raw table but not
committed — visible from outside as the child's RowExclusiveLock on that table. After the kill every raw
table holds either a whole window or nothing of it, because the loader commits once per window.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable

import dagster as dg
import pytest

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.server import Faults
from bitrix24_emulator.testing import running_emulator
from orchestration.paths import PROJECT_ROOT
from orchestration.warehouse.location import WarehouseLocation
from testkit.warehouse import query
from tests.ingestion import harness
from tests.support.emulated import HISTORY_END

pytestmark = pytest.mark.integration

CHANGE_TABLES = ("deals", "activities", "calls", "stage_history")


def _tables_with_uncommitted_inserts(location: WarehouseLocation) -> list[str]:
    """Raw tables another session of this database has inserted into in a transaction still open."""
    rows = query(
        location,
        """
        select distinct c.relname
        from pg_locks l
        join pg_class c on c.oid = l.relation
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'raw' and c.relkind = 'r' and l.mode = 'RowExclusiveLock'
          and l.pid <> pg_backend_pid()
          and l.database = (select oid from pg_database where datname = current_database())
        """,
    )
    return [name for (name,) in rows]


def _wait_for(condition: Callable[[], bool], timeout_s: float) -> bool:
    waited = 0.0
    while not condition():
        if waited >= timeout_s:
            return False
        threading.Event().wait(0.01)
        waited += 0.01
    return True


def test_sigkill_mid_window_leaves_no_partial_partition(fresh_database, monkeypatch, tmp_path) -> None:
    portal = generate(GeneratorConfig(seed=31, managers=10, departments=2, days=30, end_date=HISTORY_END))
    first, last = harness.history_days(portal)
    # More than one first page + one batch (2,550 rows): the window cannot be complete after 2 requests.
    assert len(portal.tables["activities"].rows) > 3_000
    # The child's first requests take 2 s each: it is surely waiting for one when the test kills it.
    slow = Faults(script={n: "slow" for n in (1, 2, 3)}, slow_seconds=2.0)
    with running_emulator(portal, fast=True, faults=slow) as emu:
        env = {
            **os.environ,
            "WAREHOUSE_URL": fresh_database.libpq_url(),
            "B24_WEBHOOK_URL": emu.webhook_url,
            "B24_PLAN": "unlimited",
        }
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.ingestion.materialize_changes", first, last],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert _wait_for(lambda: bool(_tables_with_uncommitted_inserts(fresh_database)), 120)
            in_flight = _tables_with_uncommitted_inserts(fresh_database)
            assert in_flight
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.kill()
            child.wait()
        assert child.returncode == -signal.SIGKILL
        assert _wait_for(lambda: not _tables_with_uncommitted_inserts(fresh_database), 30)

        counts = {table: len(harness.stored_versions(fresh_database, table)) for table in CHANGE_TABLES}
        for table in in_flight:
            assert counts[table] == 0, f"{table}: rows of the killed window survived"
        for table, count in counts.items():
            assert count in (0, len(harness.portal_versions(portal, table))), f"{table}: partial window"

        for key, value in {k: env[k] for k in ("WAREHOUSE_URL", "B24_WEBHOOK_URL", "B24_PLAN")}.items():
            monkeypatch.setenv(key, value)
        with dg.DagsterInstance.ephemeral(tempdir=str(tmp_path)) as instance:
            rerun = harness.run_changes(harness.definitions(), instance, first, last)

    assert rerun.success, harness.failures(rerun)
    for table in CHANGE_TABLES:
        stored = harness.stored_versions(fresh_database, table)
        assert len(stored) == len(set(stored)), f"{table}: doubled versions"
        assert sorted(stored) == sorted(harness.portal_versions(portal, table)), table
    assert all(evaluation.passed for evaluation in harness.check_results(rerun).values())
