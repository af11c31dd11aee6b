"""The pieces of publishing the marts all-or-nothing (orchestration/warehouse/publish.py) on a real
PostgreSQL; the whole of it, with dbt and Dagster, is tests/integration/test_pipeline_skeleton.py."""

from __future__ import annotations

import json

import pytest

from orchestration.warehouse import publish
from orchestration.warehouse.bootstrap import connect

pytestmark = pytest.mark.integration


def _rows(cur, query: str) -> list[tuple]:
    cur.execute(query)
    return cur.fetchall()


def test_a_build_killed_half_way_leaves_nothing_for_the_next_one(fresh_database):
    conn = connect(fresh_database)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("create table marts.facts (id int primary key, value text)")
            cur.execute("insert into marts.facts values (1, 'published')")
        assert publish.prepare_candidate(conn) == ["facts"]
        with conn, conn.cursor() as cur:  # the build writes half of its rows, then is killed (-9)
            cur.execute("insert into marts__candidate.facts values (2, 'half a build')")
        publish.prepare_candidate(conn)  # the next build
        with conn, conn.cursor() as cur:
            assert _rows(cur, "select * from marts__candidate.facts") == [(1, "published")]
            # the copy keeps the indexes under their names
            assert _rows(cur, "select indexname from pg_indexes where schemaname = 'marts__candidate'") == [
                ("facts_pkey",)
            ]
    finally:
        conn.close()


def test_the_report_functions_move_with_the_tables(fresh_database):
    conn = connect(fresh_database)
    try:
        publish.prepare_candidate(conn)
        with conn, conn.cursor() as cur:
            cur.execute("create table marts__candidate.facts as select 7 as value")
            cur.execute(
                "create function marts__candidate.total() returns bigint language sql stable"
                " as $$ select sum(value) from marts__candidate.facts $$"
            )
        assert publish.publish(conn, ["facts"]) == ["facts"]
        with conn, conn.cursor() as cur:
            assert _rows(cur, "select marts.total()") == [(7,)]
            cur.execute(
                "select prosrc from pg_proc where proname = 'total' and pronamespace = 'marts'::regnamespace"
            )
            assert "marts__candidate" not in cur.fetchone()[0]
    finally:
        conn.close()


def test_the_seeds_of_the_marts_layer_are_published_with_the_models() -> None:
    """sla_alert_settings is a seed in the marts layer: left in the candidate, marts.sla_alerts and the
    alert assets would find no settings after the first published build. The results as dbt 1.11 writes
    them into run_results.json: a seed's ``relation_name`` is null."""
    run_results = {
        "results": [
            {"unique_id": "model.b24ops.sla_alerts", "status": "success",
             "relation_name": '"db"."marts__candidate"."sla_alerts"'},
            {"unique_id": "model.b24ops.stg_bitrix24__deals", "status": "success",
             "relation_name": '"db"."staging"."stg_bitrix24__deals"'},
            {"unique_id": "seed.b24ops.sla_alert_settings", "status": "success", "relation_name": None},
            {"unique_id": "test.b24ops.not_null_x.0123456789", "status": "pass", "relation_name": None},
        ]
    }  # fmt: skip
    assert publish.built_marts(run_results) == ["sla_alerts", "sla_alert_settings"]


def test_a_seed_is_moved_only_from_the_candidate(fresh_database) -> None:
    conn = connect(fresh_database)
    try:
        publish.prepare_candidate(conn)
        with conn, conn.cursor() as cur:
            cur.execute("create table marts__candidate.sla_alert_settings as select 1 as department_id")
            cur.execute("create table intermediate.teams as select 1 as team_id")
        assert publish.publish(conn, ["sla_alert_settings", "teams"]) == ["sla_alert_settings"]
        with conn, conn.cursor() as cur:
            assert _rows(cur, "select * from marts.sla_alert_settings") == [(1,)]
            assert _rows(cur, "select * from intermediate.teams") == [(1,)]
    finally:
        conn.close()


def test_every_mart_is_a_table() -> None:
    """Publishing moves tables (ALTER TABLE … SET SCHEMA); a view in the candidate would stay behind, or
    reach into the candidate's copies once moved."""
    from orchestration.assets.dbt import prepared_project

    manifest = json.loads(prepared_project().manifest_path.read_text())
    views = [
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("schema") == "marts"
        and node["config"]["materialized"] not in ("table", "incremental")
    ]  # fmt: skip
    assert views == []
