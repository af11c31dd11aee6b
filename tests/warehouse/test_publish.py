"""The pieces of publishing the marts all-or-nothing (orchestration/warehouse/publish.py) on a real
PostgreSQL; the whole of it, with dbt and Dagster, is tests/integration/test_pipeline_skeleton.py."""

from __future__ import annotations

import json
import threading
import time

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
    from orchestration.defs.dbt import prepared_project

    manifest = json.loads(prepared_project().manifest_path.read_text())
    views = [
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("schema") == "marts"
        and node["config"]["materialized"] not in ("table", "incremental")
    ]  # fmt: skip
    assert views == []


def _expire(conn) -> None:
    with conn, conn.cursor() as cur:
        cur.execute("update marts__publish.candidate_claim set expires_at = now() - interval '1 second'")


def test_one_run_holds_the_candidate_across_its_steps(fresh_database) -> None:
    """The claim is a row keyed by the run, not a session's lock: the run's second dbt step (another
    process) finds it, with what the first step built, and publishes both together."""
    first_step, second_step = connect(fresh_database), connect(fresh_database)
    try:
        assert publish.claim(first_step, "run-a").fresh
        publish.prepare_candidate(first_step)
        with first_step, first_step.cursor() as cur:
            cur.execute("create table marts__candidate.dims as select 1 as id")
        assert publish.record_built(first_step, "run-a", ["dims"]) == ["dims"]
        first_step.close()  # the step's process ends

        again = publish.claim(second_step, "run-a")
        assert (again.fresh, again.built) == (False, ("dims",))
        with second_step, second_step.cursor() as cur:
            cur.execute("create table marts__candidate.facts as select 2 as id")
        built = publish.record_built(second_step, "run-a", ["facts"])
        assert publish.publish(second_step, built, "run-a") == ["dims", "facts"]
        with second_step, second_step.cursor() as cur:
            assert _rows(cur, "select owner, built from marts__publish.candidate_claim") == [(None, [])]
    finally:
        first_step.close()
        second_step.close()


def test_a_killed_runs_claim_does_not_block_the_next_run(fresh_database, monkeypatch) -> None:
    """A run killed between (or in) its steps never releases its claim: the next run takes it over once
    Dagster reports the run finished, or once its lease lapses; it prepares the candidate afresh, and the
    killed run can publish nothing any more."""
    conn = connect(fresh_database)
    try:
        publish.claim(conn, "killed-run")
        waited: list[str] = []
        taken = publish.claim(conn, "next-run", finished=lambda run: run == "killed-run")
        assert taken.fresh and taken.built == ()
        with pytest.raises(publish.LostClaimError):
            publish.publish(conn, [], "killed-run")
        with pytest.raises(publish.LostClaimError):
            publish.record_built(conn, "killed-run", ["facts"])
        publish.discard_candidate(conn, "killed-run")  # the candidate is the next run's: left alone
        with conn, conn.cursor() as cur:
            assert _rows(cur, "select owner from marts__publish.candidate_claim") == [("next-run",)]

        _expire(conn)  # the next run is killed too, and nobody can tell: its lease lapses
        assert publish.claim(conn, "third-run", on_wait=waited.append).fresh
        assert waited == []
    finally:
        conn.close()


def test_a_live_runs_claim_makes_the_next_run_wait(fresh_database, monkeypatch) -> None:
    monkeypatch.setattr(publish, "WAIT_SECONDS", 0.05)
    holder, waiter = connect(fresh_database), connect(fresh_database)
    try:
        publish.claim(holder, "running")
        waited: list[str] = []
        thread = threading.Thread(
            target=publish.claim, args=(waiter, "next"), kwargs={"on_wait": waited.append}
        )
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive() and "running" in waited
        publish.release(holder, "running")
        thread.join(timeout=10)
        assert not thread.is_alive()
        with holder, holder.cursor() as cur:
            assert _rows(cur, "select owner from marts__publish.candidate_claim") == [("next",)]
    finally:
        holder.close()
        waiter.close()


def _facts(cur, schema: str) -> list[tuple]:
    return _rows(cur, f"select * from {schema}.facts order by day, manager")


def test_an_incremental_mart_stays_in_the_candidate_and_is_published_by_the_rows_written(fresh_database):
    """The daily facts replace whole days (slice key ``day``): a run's publish applies the days it wrote to
    ``marts`` and keeps the candidate's table, so the next build copies nothing of it. A failed build and a
    killed one are undone in the candidate by the same days, from ``marts``."""
    keys = {"facts": ["day"]}
    conn = connect(fresh_database)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("create table marts.facts (day int, manager int, value text)")
            cur.execute("create index facts_day on marts.facts (day)")
            cur.execute(
                "insert into marts.facts select d, m, 'v1'"
                " from generate_series(1, 3) d, generate_series(1, 2) m"
            )
        assert publish.prepare_candidate(conn, keys) == ["facts"]
        with conn, conn.cursor() as cur:  # the build: day 3 again, a new day 4, a rebuilt table mart
            cur.execute("delete from marts__candidate.facts where day = 3")
            cur.execute("insert into marts__candidate.facts values (3, 1, 'v2'), (4, 1, 'v2'), (4, 2, 'v2')")
            cur.execute("create table marts__candidate.dims as select 1 as manager")
        assert publish.publish(conn, ["facts", "dims"]) == ["dims", "facts"]
        with conn, conn.cursor() as cur:
            assert _facts(cur, "marts") == _facts(cur, "marts__candidate")
            assert ("3", "1", "v2") in {tuple(map(str, row)) for row in _facts(cur, "marts")}
            assert len(_facts(cur, "marts")) == 7
            assert _rows(cur, "select count(*) from pg_trigger where tgrelid = 'marts.facts'::regclass") == [
                (0,)
            ]

        assert publish.prepare_candidate(conn, keys) == ["dims"]  # the moved table only: facts stayed
        with conn, conn.cursor() as cur:  # a build that fails half-way
            cur.execute("delete from marts__candidate.facts where day in (1, 4)")
            cur.execute("insert into marts__candidate.facts values (1, 1, 'half')")
            cur.execute("create function marts__candidate.half() returns int language sql as $$ select 1 $$")
        publish.discard_candidate(conn)
        with conn, conn.cursor() as cur:
            assert _facts(cur, "marts__candidate") == _facts(cur, "marts")
            assert _rows(cur, "select to_regprocedure('marts__candidate.half()')") == [(None,)]

        # the failed build may have rebuilt the table marts: they are copied again, the logged ones are not
        assert publish.prepare_candidate(conn, keys) == ["dims"]
        with conn, conn.cursor() as cur:  # a build killed half-way (-9): nothing undoes it but the next one
            cur.execute("update marts__candidate.facts set value = 'killed' where day = 2")
        assert publish.prepare_candidate(conn, keys) == ["dims"]
        with conn, conn.cursor() as cur:
            assert _facts(cur, "marts__candidate") == _facts(cur, "marts")
            assert _rows(cur, "select count(*) from marts__publish.changes__facts") == [(0,)]
    finally:
        conn.close()
