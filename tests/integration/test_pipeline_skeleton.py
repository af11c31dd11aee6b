"""Every joint on real components: emulator over HTTP → Dagster assets → raw → dbt → marts = ground truth."""

from datetime import date

import dagster as dg
import pytest

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.testing import listed_users, running_emulator
from orchestration.definitions import build_definitions
from orchestration.sync import sync
from orchestration.warehouse.bootstrap import connect
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


def _run_sync(location, portal, monkeypatch, tmp_path):
    with running_emulator(portal, fast=True) as emu:
        monkeypatch.setenv("B24_WEBHOOK_URL", emu.webhook_url)
        monkeypatch.setenv("WAREHOUSE_URL", location.libpq_url())
        defs = build_definitions()
        with dg.DagsterInstance.ephemeral(tempdir=str(tmp_path)) as instance:
            sync(defs, instance, date(2026, 9, 1), date(2026, 11, 27))
        return emu.counters


def test_materialisation_fills_raw_tables_and_dim_managers(
    fresh_database, small_portal, monkeypatch, tmp_path
):
    _run_sync(fresh_database, small_portal, monkeypatch, tmp_path)

    portal_users = len(listed_users(small_portal))  # user.get lists no bot
    assert _scalar(fresh_database, "select count(distinct id) from raw.users") == portal_users
    assert _scalar(fresh_database, "select count(distinct id) from raw.departments") == len(
        small_portal.tables["departments"].rows
    )
    assert _scalar(fresh_database, "select count(distinct id) from raw.deals") == len(
        small_portal.tables["deals"].rows
    )
    assert _scalar(fresh_database, "select count(distinct id) from raw.calls") == len(
        small_portal.tables["calls"].rows
    )
    employees = sum(
        1
        for row in small_portal.tables["users"].rows
        if small_portal.tables["users"].as_dict(row).get("USER_TYPE", "employee") == "employee"
    )
    # every employee, plus the unassigned manager (id 0, no department: docs/metrics.md)
    assert (
        _scalar(fresh_database, "select count(*) from marts.dim_managers where manager_id <> 0") == employees
    )
    assert (
        _scalar(fresh_database, "select count(*) from marts.dim_managers where department_name is null") == 1
    )


def test_rerun_changes_nothing_for_a_named_portal(fresh_database, small_portal, monkeypatch, tmp_path):
    # A portal id other than the default: raw rows carry it and the dbt models read it (not an empty mart).
    monkeypatch.setenv("B24_PORTAL_ID", "acme-portal")
    fingerprint = """
        select md5(string_agg(t || ':' || id || ':' || payload_hash, ',' order by t, id, payload_hash))
        from (
            select 'users' t, id, payload_hash from raw.users union all
            select 'deals', id, payload_hash from raw.deals union all
            select 'activities', id, payload_hash from raw.activities union all
            select 'calls', id, payload_hash from raw.calls
        ) versions
    """
    _run_sync(fresh_database, small_portal, monkeypatch, tmp_path)
    assert _scalar(fresh_database, "select array_agg(distinct portal_id) from raw.deals") == ["acme-portal"]
    assert _scalar(fresh_database, 'select count(*) from marts."managerControl_Deal"') == len(
        small_portal.truth
    )
    first = _scalar(fresh_database, fingerprint)
    managers = _scalar(
        fresh_database,
        "select md5(string_agg(manager_id::text, ',' order by manager_id)) from marts.dim_managers",
    )
    _run_sync(fresh_database, small_portal, monkeypatch, tmp_path)
    assert _scalar(fresh_database, fingerprint) == first
    assert (
        _scalar(
            fresh_database,
            "select md5(string_agg(manager_id::text, ',' order by manager_id)) from marts.dim_managers",
        )
        == managers
    )
