"""Every joint on real components: emulator over HTTP → Dagster assets → raw → dbt → marts = ground truth."""

import json
import os
from datetime import date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.testing import listed_users, running_emulator
from orchestration.defs.definitions import build_definitions
from orchestration.runtime.sync import SyncFailedError, sync
from orchestration.warehouse.bootstrap import connect
from tests.ingestion import harness
from tests.support.emulated import HISTORY_END

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def small_portal():
    return generate(GeneratorConfig(seed=7, managers=8, days=20, end_date=HISTORY_END))


def _scalar(location, query):
    conn = connect(location)
    try:
        with conn.cursor() as cur:
            cur.execute(query)
            return cur.fetchone()[0]
    finally:
        conn.close()


def _run_sync(location, portal, monkeypatch, tmp_path, first=date(2026, 9, 1), last=date(2026, 11, 27)):
    with running_emulator(portal, fast=True) as emu:
        monkeypatch.setenv("B24_WEBHOOK_URL", emu.webhook_url)
        monkeypatch.setenv("WAREHOUSE_URL", location.libpq_url())
        defs = build_definitions()
        with dg.DagsterInstance.ephemeral(tempdir=str(tmp_path)) as instance:
            sync(defs, instance, first, last)
        return emu.counters


# A portal id other than the default: raw rows carry it and the dbt models read it (not an empty mart).
NAMED_PORTAL = "acme-portal"


@pytest.fixture(scope="module")
def synced(module_database, small_portal, tmp_path_factory):
    """The module database after one sync of ``small_portal`` under NAMED_PORTAL: what the materialisation
    test checks and the rerun test syncs again (one pipeline build for both)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("B24_PORTAL_ID", NAMED_PORTAL)
        _run_sync(module_database, small_portal, env, tmp_path_factory.mktemp("dagster"))
    return module_database


def test_materialisation_fills_raw_tables_and_dim_managers(synced, small_portal):
    portal_users = len(listed_users(small_portal))  # user.get lists no bot
    assert _scalar(synced, "select count(distinct id) from raw.users") == portal_users
    assert _scalar(synced, "select count(distinct id) from raw.departments") == len(
        small_portal.tables["departments"].rows
    )
    assert _scalar(synced, "select count(distinct id) from raw.deals") == len(
        small_portal.tables["deals"].rows
    )
    assert _scalar(synced, "select count(distinct id) from raw.calls") == len(
        small_portal.tables["calls"].rows
    )
    employees = sum(
        1
        for row in small_portal.tables["users"].rows
        if small_portal.tables["users"].as_dict(row).get("USER_TYPE", "employee") == "employee"
    )
    # every employee, plus the unassigned manager (id 0, no department: docs/metrics.md)
    assert _scalar(synced, "select count(*) from marts.dim_managers where manager_id <> 0") == employees
    assert _scalar(synced, "select count(*) from marts.dim_managers where department_name is null") == 1
    _assert_marts_as_recorded(_marts_state(synced, leave_out=LOAD_INSTANT, through=RECORDED_THROUGH))


# The marts of this pinned portal (seed 7, HISTORY_END, the sync's fixed days) as recorded: a refactor must
# not change a mart row. When a change is meant to alter the marts, re-record them and commit the file with
# the change, saying why the marts changed:
#     RECORD_MARTS=1 .venv/bin/pytest tests/integration/test_pipeline_skeleton.py -k materialisation
RECORDED_MARTS = Path(__file__).with_name("marts_checksums.json")
# What is measured up to the instant of the load (the host's clock when raw was last seen: snapshot_at), not
# by the portal's data, grows with the day the test runs: the recorded checksums leave it out, and the daily
# marts' days after the sync's (their calendar runs to the snapshot's day).
RECORDED_THROUGH = date(2026, 11, 30)
LOAD_INSTANT = frozenset(
    {
        "snapshot_at",
        "snapshot_date",
        "pending_working_minutes",
        "pending_working_minutes_sum",
        "avg_response_incl_untouched",
    }
)


def _assert_marts_as_recorded(state: dict[str, str]) -> None:
    if os.environ.get("RECORD_MARTS") == "1":
        RECORDED_MARTS.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    recorded = json.loads(RECORDED_MARTS.read_text())
    changed = sorted(name for name in recorded.keys() | state.keys() if recorded.get(name) != state.get(name))
    assert changed == [], f"marts changed: {changed} (re-record: {RECORDED_MARTS.name})"


def test_rerun_changes_nothing_for_a_named_portal(synced, small_portal, monkeypatch, tmp_path):
    monkeypatch.setenv("B24_PORTAL_ID", NAMED_PORTAL)
    fingerprint = """
        select md5(string_agg(t || ':' || id || ':' || payload_hash, ',' order by t, id, payload_hash))
        from (
            select 'users' t, id, payload_hash from raw.users union all
            select 'deals', id, payload_hash from raw.deals union all
            select 'activities', id, payload_hash from raw.activities union all
            select 'calls', id, payload_hash from raw.calls
        ) versions
    """
    assert _scalar(synced, "select array_agg(distinct portal_id) from raw.deals") == [NAMED_PORTAL]
    assert _scalar(synced, 'select count(*) from marts."managerControl_Deal"') == len(small_portal.truth)
    first = _scalar(synced, fingerprint)
    managers = _scalar(
        synced,
        "select md5(string_agg(manager_id::text, ',' order by manager_id)) from marts.dim_managers",
    )
    _run_sync(synced, small_portal, monkeypatch, tmp_path)
    assert _scalar(synced, fingerprint) == first
    assert (
        _scalar(
            synced,
            "select md5(string_agg(manager_id::text, ',' order by manager_id)) from marts.dim_managers",
        )
        == managers
    )


NEW_EMPLOYEE = 990_001


def _marts_state(
    location,
    schema: str = "marts",
    tables: list[str] | None = None,
    leave_out: frozenset[str] = frozenset(),
    through: date | None = None,
) -> dict[str, str]:
    """A checksum of every table in ``schema`` (its rows, in order) and of what the report functions return;
    with ``tables``, of those tables only; without the columns named in ``leave_out`` and, with ``through``,
    without the days after it (the rows of a table with a ``report_date``)."""
    conn = connect(location)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select table_name from information_schema.tables where table_schema = %s"
                " order by table_name",
                (schema,),
            )
            sources = {
                name: f'{schema}."{name}"' for (name,) in cur.fetchall() if tables is None or name in tables
            }
            for function in ("manager_deal_handling", "manager_call_traffic") if tables is None else ():
                sources[f"{function}()"] = f"marts.{function}('2026-09-01', '2026-11-30')"
            state = {}
            for name, source in sources.items():
                cur.execute(f"select * from {source} t limit 0")
                columns = [column.name for column in cur.description]
                kept = ", ".join(f't."{name}"' for name in columns if name not in leave_out)
                days = " where t.report_date <= %(through)s" if through and "report_date" in columns else ""
                cur.execute(
                    "select md5(coalesce(string_agg(r, chr(10) order by r), ''))"
                    f" from (select row({kept})::text r from {source} t{days}) rows",
                    {"through": through},
                )
                state[name] = cur.fetchone()[0]
            return state
    finally:
        conn.close()


def _add_row(table, template: tuple, changes: dict) -> None:
    """A copy of ``template`` with ``changes``, appended (new ids are the highest: rows stay in id order)."""
    table.rows.append(tuple({**table.as_dict(template), **changes}[name] for name in table.fields))


# a windowed model (built by the partitioned dbt step, never by the unpartitioned one) refuses every write
REFUSE_WRITES = """
    create function intermediate.refuse_writes() returns trigger language plpgsql as $$
    begin raise exception 'refused by the test'; end $$;
    create trigger refuse_writes before insert or delete on intermediate.int_deals_first_touched
    for each statement execute function intermediate.refuse_writes();
"""


def _execute(location, statements: str) -> None:
    conn = connect(location)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(statements)
    finally:
        conn.close()


def test_a_failing_build_leaves_the_published_marts_byte_identical(fresh_database, monkeypatch, tmp_path):
    """#18 point 5. After a published sync, the portal gains an employee and a call whose CALL_TYPE is none of
    1–5: staging's direction test fails, after dbt had already rebuilt the dimensions with the new employee.
    The sync fails naming that test, and every table in marts and what the report functions return is
    byte-identical to before (on the old pipeline dim_managers already listed the employee). Once the portal
    sends a corrected version of the call, the unpartitioned dbt step passes and the windowed one fails: the
    dimensions are not published either. Then the next sync passes and publishes both."""
    # a short history, and a sync of only its days: three syncs in one test
    portal = generate(GeneratorConfig(seed=7, managers=6, days=12, end_date=HISTORY_END))
    history = [date.fromisoformat(day) for day in harness.history_days(portal)]
    _run_sync(fresh_database, portal, monkeypatch, tmp_path, *history)
    published = _marts_state(fresh_database)
    assert len(published) > 10 and all(published.values()), published

    users, calls = portal.tables["users"], portal.tables["calls"]
    manager = _scalar(
        fresh_database, "select max(manager_id) from marts.dim_managers where is_in_sales_report"
    )
    template = next(row for row in users.rows if users.as_dict(row)["ID"] == str(manager))
    _add_row(users, template, {"ID": str(NEW_EMPLOYEE), "LAST_NAME": "Newcomer"})
    call_id = int(calls.rows[-1][calls.index_of("ID")]) + 1
    odd_call = {"ID": str(call_id), "CALL_ID": f"odd.{call_id}", "CALL_TYPE": "9"}
    _add_row(calls, calls.rows[-1], odd_call)
    with pytest.raises(SyncFailedError) as failure:
        _run_sync(fresh_database, portal, monkeypatch, tmp_path, *history)
    assert "stg_bitrix24__calls_direction" in str(failure.value), failure.value
    assert _marts_state(fresh_database) == published

    # a new version of the call (its change stamp is CALL_START_DATE: a second later), with a known CALL_TYPE
    odd = calls.as_dict(calls.rows.pop())
    started = datetime.fromisoformat(odd["CALL_START_DATE"]) + timedelta(seconds=1)
    _add_row(calls, tuple(odd.values()), {"CALL_TYPE": "1", "CALL_START_DATE": started.isoformat()})

    # now the unpartitioned dbt step passes (the dimensions gain the employee) and the windowed one fails:
    # a windowed model cannot write. The dimensions stay unpublished with the facts (on the old pipeline,
    # each step published its own marts: dim_managers listed the employee beside the old facts)
    _execute(fresh_database, REFUSE_WRITES)
    try:
        with pytest.raises(SyncFailedError) as failure:
            _run_sync(fresh_database, portal, monkeypatch, tmp_path, *history)
    finally:
        _execute(fresh_database, "drop function intermediate.refuse_writes() cascade")
    assert "int_deals_first_touched" in str(failure.value), failure.value
    assert _marts_state(fresh_database) == published

    _run_sync(fresh_database, portal, monkeypatch, tmp_path, *history)
    assert (
        _scalar(fresh_database, f"select count(*) from marts.dim_managers where manager_id = {NEW_EMPLOYEE}")
        == 1
    )
    assert _scalar(fresh_database, f"select count(*) from marts.calls where call_id = 'odd.{call_id}'") == 1
    assert _marts_state(fresh_database) != published

    # the incremental marts stayed in the candidate through the failures, and reached marts by the rows
    # each run wrote: the two copies are equal
    logged = _scalar(
        fresh_database, "select array_agg(name) from marts__publish.in_step where slice_key is not null"
    )
    assert {"calls", "managerControl_Deal", "fct_manager_daily_calls"} <= set(logged), logged
    assert _marts_state(fresh_database, "marts__candidate", logged) == _marts_state(
        fresh_database, "marts", logged
    )
