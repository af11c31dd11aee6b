{#- Report 1, one row per deal: first contact, response time in the responsible manager's working minutes,
    backlog (overdue / no planned activities) as of snapshot_at. Definitions: docs/metrics.md.

    Incremental (delete+insert on deal_id). A run for the window [window_start, window_end) at snapshot_at
    re-computes:
      * the deals changed in the window and the young ones (macros/deal_handling/deals_changed_in_window.sql,
        with the look-back var first_touch_lookback_days, default 14: see docs/decisions.md) — the same set
        whose first touch int_deals_first_touched re-computed;
      * every untouched deal: its pending minutes grow with the snapshot. Outside the two other sets
        nothing else of it can move, so its stored row is taken with the wait re-measured
        (macros/deal_handling/untouched_remeasured.sql), not re-derived;
      * every deal, open or closed, whose open / overdue activity counts at this snapshot differ from the
        stored row's: a deadline passed since the row was computed (or, for an earlier snapshot, had not
        passed yet). Open deals whose counts did not move keep their row: its values hold at this snapshot;
      * and a post-hook removes deals the reconciliation sweep found deleted (deletions ledger).
    It writes only the rows that differ from the stored ones, snapshot_at aside (most re-derived deals come
    out as stored). So every row equals what a full refresh at this snapshot computes, except snapshot_at
    itself, which says when the row last changed — and except dictionary changes (a pipeline or stage renamed, an employee
    moved to another department): deals outside those sets keep the old name / department until a full
    refresh. -#}
{#- snapshot_at is indexed for the data tests, which read the rows the last run wrote
    (macros/tests/get_where_subquery.sql): those of a daily run are a few percent of the table; the deals
    with open activities for the backlog's change set (below). Post-hooks create both, so that an
    existing warehouse gains them without a full refresh. -#}
{{
    config(
        tags=['partitioned_daily'],
        materialized='incremental',
        alias='managerControl_Deal',
        unique_key='deal_id',
        indexes=[
            {'columns': ['deal_id'], 'unique': true},
            {'columns': ['responsible_id', 'created_date']},
            {'columns': ['created_date']},
            {'columns': ['is_untouched']},
        ],
        post_hook=[
            "{{ delete_vanished_records('deals', 'deal_id', ref('stg_bitrix24__deals'), 'deal_id') }}",
            "{{ create_index_if_missing(['snapshot_at']) }}",
            "{{ create_index_if_missing(['deal_id', 'open_activity_count', 'overdue_activity_count'], where='(open_activity_count > 0)') }}",
        ],
    )
}}
-- the window's change sets (macros/deal_handling) read these in incremental runs only:
-- depends_on: {{ ref('stg_bitrix24__activities') }}
-- depends_on: {{ ref('stg_bitrix24__stage_history') }}
-- depends_on: {{ ref('stg_bitrix24__timeline_comments') }}
-- depends_on: {{ ref('stg_bitrix24__deals') }}

with

deals as not materialized (
    select * from {{ ref('stg_bitrix24__deals') }}
),

pipelines as not materialized (
    select * from {{ ref('stg_bitrix24__pipelines') }}
),

stages as not materialized (
    select * from {{ ref('stg_bitrix24__stages') }} where is_deal_stage
),

users as not materialized (
    select * from {{ ref('stg_bitrix24__users') }}
),

first_touches as not materialized (
    select * from {{ ref('int_deals_first_touched') }}
),

backlog as not materialized (
    select * from {{ ref('int_deals_activities_summarised') }}
),

{% if is_incremental() %}
changed_deals as (
    {{ deals_changed_in_window() }}
    union
    -- the backlog moved: int_deals_activities_summarised holds the counts at this snapshot for every deal
    -- with an open activity; a stored row with open activities but none there now has lost them. Only
    -- stored rows with open activities can differ from a missing backlog row (both are 0, 0 otherwise):
    -- an index-only scan of their partial index (post-hook), not a scan of every deal (0.06 s vs 0.7 s)
    select coalesce(backlog.deal_id, stored.deal_id)
    from backlog
    full join (
        select deal_id, open_activity_count, overdue_activity_count
        from {{ this }}
        where open_activity_count > 0
    ) as stored on stored.deal_id = backlog.deal_id
    where (coalesce(backlog.open_activity_count, 0), coalesce(backlog.overdue_activity_count, 0))
        is distinct from (coalesce(stored.open_activity_count, 0), coalesce(stored.overdue_activity_count, 0))
),
{% endif %}

scoped_deals as (
    select deals.*
    from deals
    {% if is_incremental() %}
    where {{ is_among('deals.deal_id', 'select deal_id from changed_deals') }}
    {% endif %}
),

snapshot as (
    select {{ snapshot_at() }} as snapshot_at
),

{%- set untouched_snapshot = 'case when first_touches.first_touch_at is null then snapshot.snapshot_at end' %}
measured as (
    select
        scoped_deals.*,
        pipelines.pipeline_name,
        stages.stage_name,
        users.primary_department_id as department_id,
        first_touches.first_touch_at,
        first_touches.first_touch_kind,
        first_touches.first_touch_by,
        first_touches.contacts_before_creation,
        coalesce(backlog.open_activity_count, 0) as open_activity_count,
        coalesce(backlog.overdue_activity_count, 0) as overdue_activity_count,
        snapshot.snapshot_at,
        -- W(u, t) in seconds, by hash joins on (employee, UTC day): see macros/working_time
        -- (docs/working_time.md); differences are taken in seconds and divided once, so working and
        -- calendar minutes of the same span are the same number
        {{ working_seconds_at('wt_created', 'scoped_deals.created_at') }} as w_created,
        {{ working_seconds_at('wt_touched', 'first_touches.first_touch_at') }} as w_touched,
        {{ working_seconds_at('wt_snapshot', untouched_snapshot) }} as w_snapshot
    from scoped_deals
    cross join snapshot
    left join pipelines on pipelines.pipeline_id = scoped_deals.pipeline_id
    left join stages on stages.stage_id = scoped_deals.stage_id
    left join users on users.user_id = scoped_deals.responsible_id
    left join first_touches on first_touches.deal_id = scoped_deals.deal_id
    left join backlog on backlog.deal_id = scoped_deals.deal_id
    -- no responsible: the unassigned manager's calendar, the portal's default one (calendar_users)
    {%- set calendar_user = manager_or_unassigned('scoped_deals.responsible_id') %}
    {{ working_time_join('wt_created', calendar_user, 'scoped_deals.created_at') }}
    {{ working_time_join('wt_touched', calendar_user, 'first_touches.first_touch_at') }}
    {{ working_time_join('wt_snapshot', calendar_user, untouched_snapshot) }}
),

final as (
    select
        -- ids
        deal_id,
        title,
        pipeline_id,
        pipeline_name as pipeline,
        stage_id,
        coalesce(stage_name, stage_id) as stage,
        stage_semantic,
        responsible_id,
        department_id,

        -- first contact
        created_at,
        {{ portal_date('created_at') }} as created_date,
        first_touch_at,
        first_touch_kind,
        first_touch_by,
        {{ portal_date('first_touch_at') }} as first_touch_date,
        -- greatest() skips NULLs in PostgreSQL: keep NULL explicitly while untouched
        case when first_touch_at is not null then greatest(w_touched - w_created, 0) / 60 end
            as response_working_minutes,
        extract(epoch from (first_touch_at - created_at)) / 60 as response_calendar_minutes,
        first_touch_at is null as is_untouched,
        case when first_touch_at is null then {{ pending_working_minutes('w_snapshot', 'w_created') }} end
            as pending_working_minutes,
        contacts_before_creation > 0 as has_contact_before_creation,

        -- backlog as of snapshot_at
        stage_semantic = 'P' as is_open,
        overdue_activity_count > 0 as has_overdue_activities,
        overdue_activity_count,
        open_activity_count,
        stage_semantic = 'P' and open_activity_count = 0 as has_no_planned_activities,

        -- timestamps
        snapshot_at
    from measured
)

{{ final_with_untouched_remeasured('deal_id', 'created_at', 'select deal_id from changed_deals') }}
