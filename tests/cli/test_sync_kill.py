"""A killed ``b24ops sync`` leaves no dbt process behind, and no Dagster run in STARTED for good.

The real CLI in a subprocess against the emulator over HTTP, killed while its dbt waits on a query (the
test holds a lock on the raw tables, as a long query or a busy table would): by SIGTERM (a service
manager, ``docker stop``), SIGINT (Ctrl-C sent to the process only) and SIGKILL (nothing of the sync can
react: dbt must notice its parent is gone, and the next sync marks the orphaned run failed). Leftover
processes are killed by PID at the end, so a failing test leaves nothing running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.testing import running_emulator
from orchestration.paths import PROJECT_ROOT
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation
from tests.ingestion import harness
from tests.superset.roles import drop_role, unique_role_name
from tests.support.password_roles import (
    HOSTILE_PASSWORD,
    PASSWORD_TOKEN,
    as_role,
    create_login_role,
    password_checked,
)

pytestmark = pytest.mark.integration

FINISHED = {"FAILURE", "CANCELED", "SUCCESS"}


@pytest.fixture(scope="module")
def portal() -> Iterator[tuple[str, str, str]]:
    """(webhook URL, first day, last day) of a small emulated portal; one day keeps a sync short."""
    data = generate(GeneratorConfig(seed=7, managers=3, departments=1, days=10))
    _, last = harness.history_days(data)
    with running_emulator(data, fast=True) as emulator:
        yield emulator.webhook_url, last, last


class Sync:
    """A ``b24ops sync`` subprocess and every process seen under it (killed by PID when done)."""

    def __init__(self, database: WarehouseLocation, portal: tuple[str, str, str], log: Path) -> None:
        webhook, first, last = portal
        env = {k: v for k, v in os.environ.items() if k not in {"DAGSTER_STORAGE_URL"}}
        env.update(WAREHOUSE_URL=database.libpq_url(), B24_WEBHOOK_URL=webhook, B24_PLAN="unlimited")
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "orchestration.cli", "sync", "--from", first, "--to", last],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.seen: dict[int, psutil.Process] = {}

    def dbt_processes(self) -> list[psutil.Process]:
        """The dbt build/run processes below the sync right now (remembered for the clean-up)."""
        try:
            children = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        found = []
        for child in children:
            try:
                command = child.cmdline()
            except psutil.Error:
                continue
            if any(Path(part).name.endswith("dbt") for part in command) and "build" in command:
                self.seen[child.pid] = child
                found.append(child)
        return found

    def kill_everything(self) -> None:
        for process in self.seen.values():
            if alive(process):
                process.kill()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_for(condition: Callable[[], object], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def run_statuses(database: WarehouseLocation) -> dict[str, str]:
    """Dagster's runs, as its PostgreSQL run storage (in the warehouse database here) holds them."""
    return dict(harness.query(database, "select run_id, status from runs"))


@contextmanager
def raw_tables_locked(database: WarehouseLocation) -> Iterator[None]:
    """Hold an exclusive lock on every raw table: dbt's models reading them wait, silently."""
    conn = connect(database)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select string_agg(format('raw.%I', tablename), ', ') from pg_tables where schemaname = 'raw'"
            )
            cur.execute(f"lock table {cur.fetchone()[0]} in access exclusive mode")
            yield
    finally:
        conn.rollback()
        conn.close()


def dbt_only_waits(database: WarehouseLocation) -> bool:
    """dbt's sessions all wait: at least one on a lock, none running anything else (it prints nothing)."""
    rows = harness.query(
        database,
        """
        select count(*) filter (where wait_event_type = 'Lock'),
               count(*) filter (where state = 'active' and wait_event_type is distinct from 'Lock')
        from pg_stat_activity where application_name = 'dbt' and datname = current_database()
        """,
    )
    waiting, busy = rows[0]
    return waiting >= 1 and busy == 0


def kill_during_dbt(sync: Sync, database: WarehouseLocation, signum: signal.Signals) -> list[psutil.Process]:
    """Send ``signum`` to the sync (its process only, as ``kill`` would) while its dbt waits on the raw
    tables; wait for the sync to end and for its dbt processes to end (30 s), still holding the lock."""
    assert wait_for(sync.dbt_processes, 600), "dbt never started:\n" + sync.log.read_text()[-3000:]
    with raw_tables_locked(database):
        assert wait_for(lambda: dbt_only_waits(database), 120), sync.log.read_text()[-3000:]
        dbt = sync.dbt_processes()
        os.kill(sync.process.pid, signum)
        sync.process.wait(timeout=120)
        assert wait_for(lambda: not any(alive(p) for p in dbt), 30), "dbt outlived the sync"
    return dbt


def assert_stopped_cleanly(sync: Sync, database: WarehouseLocation) -> None:
    statuses = run_statuses(database)
    assert set(statuses.values()) <= FINISHED, statuses
    assert "FAILURE" in statuses.values() or "CANCELED" in statuses.values()
    assert sync.process.returncode != 0


@pytest.fixture
def hostile_owner(pg_server, fresh_database) -> Iterator[WarehouseLocation]:
    """The database as a role whose password holds every awkward character (see test_passwords)."""
    role = unique_role_name()
    create_login_role(pg_server, role, HOSTILE_PASSWORD, superuser=True)
    try:
        with password_checked(pg_server, [role]):
            yield as_role(fresh_database, role, HOSTILE_PASSWORD)
    finally:
        drop_role(fresh_database, role)


def test_sigterm_stops_dbt_and_fails_the_run(fresh_database, hostile_owner, portal, tmp_path):
    """Also a real sync (Dagster storage, raw loads, dbt) with that password: no piece of it in the output."""
    sync = Sync(hostile_owner, portal, tmp_path / "sync.log")
    try:
        kill_during_dbt(sync, fresh_database, signal.SIGTERM)
        assert_stopped_cleanly(sync, fresh_database)
        assert PASSWORD_TOKEN not in sync.log.read_text()
    finally:
        sync.kill_everything()


def test_sigkilled_sync_leaves_no_dbt_and_its_run_is_failed_by_the_next(fresh_database, portal, tmp_path):
    """Then that next sync, stopped by SIGINT (Ctrl-C to its process only), stops cleanly too."""
    killed = Sync(fresh_database, portal, tmp_path / "killed.log")
    try:
        kill_during_dbt(killed, fresh_database, signal.SIGKILL)
    finally:
        killed.kill_everything()
    orphaned = [run for run, status in run_statuses(fresh_database).items() if status == "STARTED"]
    assert len(orphaned) == 1  # nobody could tell Dagster: the dbt step's run

    following = Sync(fresh_database, portal, tmp_path / "next.log")
    try:
        assert wait_for(
            lambda: (
                run_statuses(fresh_database)[orphaned[0]] == "FAILURE" or following.process.poll() is not None
            ),
            300,
        )
        assert run_statuses(fresh_database)[orphaned[0]] == "FAILURE", following.log.read_text()[-3000:]
        failure = harness.query(
            fresh_database,
            "select event from event_logs where run_id = %s and dagster_event_type = 'PIPELINE_FAILURE'",
            (orphaned[0],),
        )
        assert "ended without finishing it (killed or crashed)" in failure[0][0]
        kill_during_dbt(following, fresh_database, signal.SIGINT)
        assert_stopped_cleanly(following, fresh_database)
    finally:
        following.kill_everything()
