"""A daily run rewrites what the day changed, not the history (issue #5: the incremental run must grow with
the day's changes). Rows a dbt run rewrote are told apart by PostgreSQL's ``xmin``: delete+insert writes
new row versions stamped with the run's transaction ids, untouched rows keep older ones."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from psycopg2.extensions import cursor as Cursor

from bitrix24_emulator.model import PortalData
from orchestration.defs.dbt import WINDOWED_MARTS
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation
from testkit.dbt import run_dbt
from testkit.raw_from_portal import load_portal
from tests.marts.conftest import build_models_and_seeds, dbt_vars

CHANGE_STAMPED = ("deals", "activities", "calls", "stage_history", "timeline_comments")


def _new_version(cur: Cursor, table: str, record_id: int, seen_ago: str, **edits: str) -> None:
    """Store a new version of one record (as a re-export after an edit would), observed ``seen_ago``, with
    ``edits`` (REST fields) over the current payload."""
    cur.execute(
        f"""
        insert into raw.{table} (portal_id, id, change_stamp, payload_hash, payload, partition_key,
                                 loaded_at, last_seen_at)
        select portal_id, id, change_stamp, md5(payload_hash || %(ago)s),
               payload || jsonb_build_object('EDITED', %(ago)s) || %(edits)s::jsonb, partition_key,
               now() - %(ago)s::interval, now() - %(ago)s::interval
        from raw.{table}
        where id = %(record_id)s
        order by last_seen_at desc
        limit 1
        """,
        {"record_id": record_id, "ago": seen_ago, "edits": json.dumps(edits)},
    )


def _rewritten(cur: Cursor, table: str, column: str, since_xid: int) -> set[int]:
    """Values of ``column`` in the rows that transactions after ``since_xid`` wrote."""
    cur.execute(f"select {column} from {table} where xmin::text::bigint > %s", (since_xid,))
    return {row[0] for row in cur.fetchall()}


def _staging_vacuums(cur: Cursor) -> dict[str, int]:
    """Vacuums by hand (autovacuum not counted) of each staging table so far."""
    cur.execute("select relname, vacuum_count from pg_stat_user_tables where schemaname = 'staging'")
    return dict(cur.fetchall())


def test_daily_run_rewrites_the_days_changes_not_the_history(
    fresh_database: WarehouseLocation, portal: PortalData
) -> None:
    snapshot = datetime.fromisoformat(portal.snapshot_at)
    load_portal(fresh_database, portal)
    conn = connect(fresh_database, autocommit=True)
    cur = conn.cursor()
    # the history was observed ten days ago, and built then
    for table in CHANGE_STAMPED:
        cur.execute(f"update raw.{table} set last_seen_at = last_seen_at - interval '10 days'")
    build_models_and_seeds(fresh_database, portal)
    cur.execute(
        "select deal_id from staging.stg_bitrix24__deals where not is_closed and created_at < %s "
        "order by deal_id limit 2",
        (snapshot - timedelta(days=20),),
    )
    previous_load_deal, todays_deal = (row[0] for row in cur.fetchall())
    # the previous run, five days ago, saw one edited record of each change-stamped table
    previous_load = {"deals": previous_load_deal}
    for table in CHANGE_STAMPED[1:]:
        cur.execute(f"select min(id) from raw.{table}")
        (previous_load[table],) = cur.fetchone()
    for table, record_id in previous_load.items():
        _new_version(cur, table, record_id, "5 days")
    run_dbt(fresh_database, "run", "--select", "staging", "--vars", dbt_vars(portal))

    # today: one more edited deal arrives (renamed), and the daily run (as the Dagster job makes it) follows
    _new_version(
        cur,
        "deals",
        todays_deal,
        "0 seconds",
        DATE_MODIFY=(snapshot - timedelta(hours=2)).isoformat(),
        TITLE="Renamed today",
    )
    cur.execute("select pg_current_xact_id()::text::bigint")
    (before,) = cur.fetchone()
    window = {
        "window_start": (snapshot - timedelta(days=1)).isoformat(),
        "window_end": snapshot.isoformat(),
    }
    vacuums_before = _staging_vacuums(cur)
    run_dbt(fresh_database, "run", "--exclude", *WINDOWED_MARTS.split(), "--vars", dbt_vars(portal, **window))
    run_dbt(fresh_database, "run", "--select", *WINDOWED_MARTS.split(), "--vars", dbt_vars(portal, **window))

    # the unpartitioned build vacuumed the staging tables it wrote, once, before the windowed models read
    # them (macros/staging/vacuum_staged_tables.sql); the windowed build wrote none
    assert _staging_vacuums(cur) == {table: count + 1 for table, count in vacuums_before.items()}

    # staging re-derived the records observed since its watermark (the previous load, inclusive) minus
    # the one-day overlap: the previous load's records and today's deal, nothing of the history
    assert _rewritten(cur, "staging.stg_bitrix24__deals", "deal_id", before) == {
        previous_load_deal,
        todays_deal,
    }
    for table, key in [("activities", "activity_id"), ("calls", "call_row_id")]:
        assert _rewritten(cur, f"staging.stg_bitrix24__{table}", key, before) == {previous_load[table]}

    # the per-deal mart re-derived the window's deals, the young ones and re-measured the untouched ones —
    # and rewrote not one touched deal created before the look-back that nothing changed, open or closed
    # (the snapshot did not move, so no backlog count did either)
    cur.execute('select count(*) from marts."managerControl_Deal"')
    (all_deals,) = cur.fetchone()
    rewritten = _rewritten(cur, 'marts."managerControl_Deal"', "deal_id", before)
    assert todays_deal in rewritten
    cur.execute(
        """
        select count(*)
        from marts."managerControl_Deal" as mart
        inner join staging.stg_bitrix24__deals as deals using (deal_id)
        where mart.xmin::text::bigint > %(before)s
          and not mart.is_untouched
          and mart.created_at < %(lookback)s
          and deals.modified_at < %(window_start)s
          and mart.deal_id <> %(todays_deal)s
          and not exists (
              select 1 from staging.stg_bitrix24__activities as activities
              where activities.owner_id = mart.deal_id and activities.is_deal_owned
                and greatest(activities.last_updated_at, activities.start_at) >= %(window_start)s
          )
          and not exists (
              select 1 from staging.stg_bitrix24__stage_history as moves
              where moves.deal_id = mart.deal_id and moves.transitioned_at >= %(window_start)s
          )
          and not exists (
              select 1 from staging.stg_bitrix24__timeline_comments as comments
              where comments.entity_id = mart.deal_id and comments.entity_type = 'deal'
                and comments.created_at >= %(window_start)s
          )
        """,
        {
            "before": before,
            "lookback": snapshot - timedelta(days=1 + 14),
            "window_start": snapshot - timedelta(days=1),
            "todays_deal": todays_deal,
        },
    )
    assert cur.fetchone()[0] == 0
    assert len(rewritten) < all_deals
    # ... and of the deals it re-derived or re-measured, it wrote those whose row changed: the renamed one.
    # The snapshot did not move, so no untouched deal's wait and no backlog count moved; the young deals and
    # the previous load's deal came out as stored (before, every one of them was rewritten).
    assert rewritten == {todays_deal}
    # the request mart too (#15): on a deals-only portal each chain is one deal, and a chain has no title
    assert _rewritten(cur, 'marts."managerControl_Request"', "deal_id", before) == set()

    # the daily facts re-computed some days, not all of them
    cur.execute("select count(distinct report_date) from marts.fct_manager_daily_calls")
    (all_days,) = cur.fetchone()
    cur.execute(
        "select count(distinct report_date) from marts.fct_manager_daily_calls where xmin::text::bigint > %s",
        (before,),
    )
    assert 0 < cur.fetchone()[0] <= 3 < all_days
    # ... and the deal cohorts too: a creation day of untouched deals that the window's changes do not reach
    # is not rewritten (their wait did not grow, the snapshot did not move; before, every untouched deal's
    # day was). Reached: the days of deals edited, moved, commented or with an activity written or started
    # in the window, of young deals, and the days of those activities.
    cur.execute(
        """
        with activities_in_window as (
            select owner_id, is_deal_owned, start_date, created_date
            from staging.stg_bitrix24__activities
            where last_updated_at >= %(window_start)s and last_updated_at < %(window_end)s
               or start_at >= %(window_start)s and start_at < %(window_end)s
        ),
        deals_in_window as (
            select deal_id from staging.stg_bitrix24__deals
            where modified_at >= %(window_start)s or created_at >= %(young)s
            union
            select owner_id from activities_in_window where is_deal_owned
            union
            select deal_id from staging.stg_bitrix24__stage_history where transitioned_at >= %(window_start)s
            union
            select entity_id from staging.stg_bitrix24__timeline_comments
            where entity_type = 'deal' and created_at >= %(window_start)s
        ),
        reached_days as (
            select created_date as day from marts."managerControl_Deal"
            where deal_id in (select deal_id from deals_in_window)
            union
            select start_date from activities_in_window
            union
            select created_date from activities_in_window
        )
        select count(*) filter (where not rewritten), count(*) filter (where rewritten)
        from (
            select distinct deals.created_date, exists (
                select 1 from marts.fct_manager_daily_deals as daily
                where daily.report_date = deals.created_date and daily.xmin::text::bigint > %(before)s
            ) as rewritten
            from marts."managerControl_Deal" as deals
            where deals.is_untouched
              and deals.created_date < %(before_lookbacks)s
              and deals.created_date not in (select day from reached_days where day is not null)
        ) as quiet_days
        """,
        {
            "before": before,
            "young": snapshot - timedelta(days=1 + 14),
            "before_lookbacks": (snapshot - timedelta(days=1 + 14 + 1)).date(),
            "window_start": snapshot - timedelta(days=1),
            "window_end": snapshot,
        },
    )
    kept, rewritten_days = cur.fetchone()
    assert kept > 0
    assert rewritten_days == 0
    # ... and a day the run re-computed keeps the rows that came out as stored: today's edited deal (created
    # weeks ago, before the backlog's look-back) brought its creation day in, and the edit changed none of
    # that day's counts, so no row of the day was rewritten (before, the whole day was)
    cur.execute('select created_date from marts."managerControl_Deal" where deal_id = %s', (todays_deal,))
    (todays_deal_day,) = cur.fetchone()
    assert todays_deal_day < (snapshot - timedelta(days=1 + 14)).date()
    cur.execute(
        "select count(*), count(*) filter (where xmin::text::bigint > %s)"
        " from marts.fct_manager_daily_deals where report_date = %s",
        (before, todays_deal_day),
    )
    day_rows, rewritten_rows = cur.fetchone()
    assert day_rows > 0 and rewritten_rows == 0
    # the chains the run re-inserted went into the GIN index of deal_ids itself: a pending list would be read
    # whole by each of the next run's per-deal probes (macros/gin_without_pending_list.sql)
    cur.execute("create extension if not exists pgstattuple")
    cur.execute(
        """
        select index.indexrelid::regclass::text, (pgstatginindex(index.indexrelid)).pending_tuples
        from pg_index as index
        join pg_class as relation on relation.oid = index.indexrelid
        join pg_am as method on method.oid = relation.relam
        where index.indrelid = 'intermediate.int_request_chains'::regclass and method.amname = 'gin'
        """
    )
    gin_indexes = cur.fetchall()
    assert len(gin_indexes) == 1 and gin_indexes[0][1] == 0, gin_indexes
    # the activity counts read the partial indexes of the activities they count, one of each after the
    # build and two more runs: the post-hook found the index each time, though PostgreSQL prints its
    # predicate in another form than the rule's macro writes it
    cur.execute(
        """
        select pg_get_indexdef(indexrelid) from pg_index
        where indrelid = 'staging.stg_bitrix24__activities'::regclass and indpred is not null
        order by 1
        """
    )
    partial = [definition.split(" USING btree ")[1] for (definition,) in cur.fetchall()]
    assert [definition.split(" WHERE ")[0] for definition in partial] == [
        "(created_date, responsible_id)",
        "(owner_id, deadline_at, is_deal_owned)",
        "(start_date, responsible_id)",
    ], partial
    assert "is_completed" in partial[2] and "call_id IS NULL" in partial[0], partial
    conn.close()
