"""A killed ``b24ops sync`` leaves no dbt process behind, and no Dagster run in STARTED for good.

The real CLI in a subprocess against the emulator over HTTP, killed while its dbt waits on a query (the
test holds a lock on the raw tables, as a long query or a busy table would): by SIGTERM (a service
manager, ``docker stop``), SIGINT (Ctrl-C sent to the process only) and SIGKILL (nothing of the sync can
react: dbt must notice its parent is gone, and the next sync marks the orphaned run failed). Leftover
processes are killed by PID at the end, so a failing test leaves nothing running.

And a warehouse that goes away in the middle of a sync (a PostgreSQL server of the test's own, stopped while
dbt runs): the sync ends with one line saying so and what to do, and the next one, once the server is back,
stores exactly what an uninterrupted sync does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import psutil
import pytest

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.model import PortalData
from bitrix24_emulator.testing import running_emulator
from orchestration.paths import PROJECT_ROOT
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation, resolve_warehouse
from testkit.embedded_server import embedded, own_embedded_server
from testkit.warehouse import query
from tests.ingestion import harness
from tests.superset.roles import drop_role, unique_role_name
from tests.support.emulated import HISTORY_END
from tests.support.password_roles import (
    HOSTILE_PASSWORD,
    PASSWORD_TOKEN,
    as_role,
    create_login_role,
    password_checked,
)

pytestmark = pytest.mark.integration

FINISHED = {"FAILURE", "CANCELED", "SUCCESS"}
# the raw tables of a deals-only portal that a sync fills (timeline comments apart: they follow the deals)
SYNCED_TABLES = ("users", "deals", "activities", "calls", "stage_history")


# The day every sync here reads (one day keeps a sync short): the busiest of the portal's fixed history, so
# each raw table and mart a complete sync fills has rows to compare (21 deals, 7 of their comments, 40 calls).
DAY = "2026-10-27"


@pytest.fixture(scope="module")
def portal_data() -> PortalData:
    """A small emulated portal: what it serves is the truth a complete sync of it is compared with."""
    return generate(GeneratorConfig(seed=7, managers=3, departments=1, days=10, end_date=HISTORY_END))


@pytest.fixture(scope="module")
def portal(portal_data: PortalData) -> Iterator[tuple[str, str, str]]:
    """(webhook URL, first day, last day) of that portal served."""
    with running_emulator(portal_data, fast=True) as emulator:
        yield emulator.webhook_url, DAY, DAY


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
    return dict(query(database, "select run_id, status from runs"))


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
    rows = query(
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
        failure = query(
            fresh_database,
            "select event from event_logs where run_id = %s and dagster_event_type = 'PIPELINE_FAILURE'",
            (orphaned[0],),
        )
        assert "ended without finishing it (killed or crashed)" in failure[0][0]
        kill_during_dbt(following, fresh_database, signal.SIGINT)
        assert_stopped_cleanly(following, fresh_database)
    finally:
        following.kill_everything()


@pytest.fixture
def own_server() -> Iterator[tuple[Path, WarehouseLocation]]:
    """A PostgreSQL server of this test's own (the test stops it): its data folder and its warehouse."""
    with own_embedded_server("outage") as (data_dir, uri):
        yield data_dir, resolve_warehouse(uri).with_database("postgres")


def one_day_sync_truth(data: PortalData, day: str) -> dict[str, list[harness.Version]]:
    """Every raw version a complete sync of ``day`` stores, as the emulated portal serves them: the
    snapshot tables whole, the change feeds' versions stamped that day, and every comment of those deals
    (orchestration/defs/ingestion/raw_comments.py)."""
    truth = {table: harness.versions_on_day(data, table, day) for table in SYNCED_TABLES}
    deals = {deal for deal, _ in truth["deals"]}
    comments = data.tables["timeline_comments"]
    truth["timeline_comments"] = [
        (int(row["ID"]), datetime.fromisoformat(row["CREATED"]))
        for row in map(comments.as_dict, comments.rows)
        if row["ENTITY_TYPE"] == "deal" and int(row["ENTITY_ID"]) in deals
    ]
    return truth


def test_a_warehouse_gone_mid_sync_is_one_line_and_the_next_sync_is_exact(
    own_server, portal_data, portal, tmp_path
):
    """#18 point 6. Before: 417 lines of SQLAlchemy traceback from Dagster's run storage. Now the last line
    says the warehouse stopped answering, PostgreSQL's reason and what to do; exit 1. The server back, the
    same sync stores exactly what a sync that was never interrupted stores — every version the emulated
    portal serves for the day, once, and a mart row for each of its deals and calls — and the interrupted
    runs end marked failed."""
    data_dir, warehouse = own_server
    cut = Sync(warehouse, portal, tmp_path / "cut.log")
    try:
        assert wait_for(cut.dbt_processes, 600), "dbt never started:\n" + cut.log.read_text()[-3000:]
        embedded(data_dir, "stop")
        cut.process.wait(timeout=300)
    finally:
        cut.kill_everything()
    output = cut.log.read_text()
    lines = [line for line in output.splitlines() if line.strip()]
    assert cut.process.returncode == 1, output
    assert lines[-1].startswith("error: the warehouse at postgresql://postgres@/postgres?host="), output
    assert "stopped answering during the sync: " in lines[-1], output
    assert "then run it again: it redoes what was not finished" in lines[-1], output
    assert "Traceback" not in output and len(lines) < 30, output

    embedded(data_dir, "start")
    complete = Sync(warehouse, portal, tmp_path / "next.log")
    try:
        assert complete.process.wait(timeout=900) == 0, complete.log.read_text()[-3000:]
    finally:
        complete.kill_everything()
    truth = one_day_sync_truth(portal_data, DAY)
    assert truth["deals"] and truth["calls"] and truth["timeline_comments"]  # the day is not empty
    for table, versions in truth.items():
        assert sorted(harness.stored_versions(warehouse, table)) == sorted(versions), table
    deals = {deal for deal, _ in truth["deals"]}
    marted = query(warehouse, 'select deal_id from marts."managerControl_Deal"')
    assert sorted(deal for (deal,) in marted) == sorted(deals)
    calls = portal_data.tables["calls"]
    day_calls = {call for call, _ in truth["calls"]}
    call_ids = [row["CALL_ID"] for row in map(calls.as_dict, calls.rows) if int(row["ID"]) in day_calls]
    marted = query(warehouse, "select call_id from marts.calls")
    assert sorted(call for (call,) in marted) == sorted(call_ids)
    assert set(run_statuses(warehouse).values()) <= FINISHED
