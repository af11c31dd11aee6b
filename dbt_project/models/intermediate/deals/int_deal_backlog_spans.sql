{#- The backlog history of every deal as spans of portal days: [from_date, to_date) during which the deal
    was open, held by manager_id, and had an overdue activity (measure 'overdue') or no open activity at all
    ('unplanned'). A day's state is the state at its end (23:59:59 portal time); see docs/metrics.md
    "Backlog history". fct_manager_daily_backlog turns the spans into daily counts with running sums, so
    the history costs O(spans), never days × deals.

    Reconstructed from what the warehouse holds (every observed version, raw.*):
      * a scheduled activity (stg_bitrix24__activities.is_scheduled, macros/deal_handling/open_activity.sql)
        is open from its CREATED day until it was completed. REST does not say when: the
        estimate is the LAST_UPDATED of the first version seen done, but not before the last sighting of a
        version still open (it was open then). It is exact unless the activity was edited after being done
        and before a run saw it done; docs/metrics.md states the rule and its measured error;
      * it is overdue from the day its DEADLINE passed: DEADLINE < 23:59:59 of the day, i.e. from the day of
        DEADLINE + 1 second;
      * the deal is open on the days its stage history says it was in progress (semantic P);
      * it is held by the ASSIGNED_BY_ID of its newest version stamped (DATE_MODIFY) by the day; the oldest
        version known holds it before.

    Incremental (delete+insert on deal_id): a window run re-derives the deals changed in the window
    (macros/deal_handling/deals_changed_in_window.sql: an activity written, a stage move, a deal edit, ...). -#}
{{
    config(
        tags=['partitioned_daily'],
        materialized='incremental',
        unique_key='deal_id',
        indexes=[
            {'columns': ['deal_id']},
            {'columns': ['to_date']},
            {'columns': ['staged_at']},
        ],
        post_hook="{{ delete_vanished_records('deals', 'deal_id', ref('stg_bitrix24__deals'), 'deal_id') }}",
    )
}}
-- the window's change sets (macros/deal_handling) read these in incremental runs only:
-- depends_on: {{ ref('stg_bitrix24__timeline_comments') }}

with

deals as not materialized (
    select * from {{ ref('stg_bitrix24__deals') }}
    {% if is_incremental() %}
    where deal_id in ({{ deals_changed_in_window() }})
    {% endif %}
),

activities as not materialized (
    select * from {{ ref('stg_bitrix24__activities') }}
),

stage_history as not materialized (
    select * from {{ ref('stg_bitrix24__stage_history') }}
),

activity_versions as not materialized (
    select * from {{ source('bitrix24', 'activities') }} where portal_id = '{{ var("portal_id") }}'
),

deal_versions as not materialized (
    select * from {{ source('bitrix24', 'deals') }} where portal_id = '{{ var("portal_id") }}'
),

deal_activities as (
    select activities.activity_id, activities.owner_id as deal_id, activities.created_at,
           activities.deadline_at, activities.is_open
    from activities
    where activities.is_deal_owned
      and activities.is_scheduled
      and activities.owner_id in (select deal_id from deals)
),

-- the evidence of every observed version: last sighting open, first LAST_UPDATED seen done
sightings as (
    select
        versions.id as activity_id,
        max(versions.last_seen_at)
            filter (where not {{ activity_is_completed('versions.payload') }}) as last_seen_open_at,
        min({{ b24_timestamp("versions.payload ->> 'LAST_UPDATED'") }})
            filter (where {{ activity_is_completed('versions.payload') }}) as first_done_updated_at
    from activity_versions as versions
    where versions.id in (select activity_id from deal_activities)
    group by versions.id
),

activity_days as (
    select
        deal_activities.deal_id,
        {{ portal_date('deal_activities.created_at') }} as open_from,
        -- NULL: still open (an unbounded span)
        case when not deal_activities.is_open then {{ portal_date(
            'greatest(sightings.first_done_updated_at, sightings.last_seen_open_at)') }} end as open_to,
        {{ portal_date("deal_activities.deadline_at + interval '1 second'") }} as overdue_from
    from deal_activities
    left join sightings on sightings.activity_id = deal_activities.activity_id
),

deal_work as (
    select
        deal_id,
        range_agg({{ day_span('open_from', 'open_to') }}) as planned_days,
        range_agg({{ day_span('greatest(open_from, overdue_from)', 'open_to') }})
            filter (where overdue_from is not null) as overdue_days
    from activity_days
    group by deal_id
),

transitions as (
    select
        stage_history.deal_id,
        stage_history.stage_semantic,
        {{ portal_date('stage_history.transitioned_at') }} as from_date,
        lead({{ portal_date('stage_history.transitioned_at') }}) over (
            partition by stage_history.deal_id
            order by stage_history.transitioned_at, stage_history.stage_history_id
        ) as to_date
    from stage_history
    where stage_history.deal_id in (select deal_id from deals)
),

deal_open as (
    select
        deals.deal_id,
        coalesce(
            range_agg(daterange(transitions.from_date, transitions.to_date))
                filter (where transitions.stage_semantic = 'P'),
            -- no stage history at all (older than the history kept): open since creation, or until the
            -- last move when closed
            case when count(transitions.deal_id) = 0 then datemultirange({{ day_span(
                portal_date('deals.created_at'),
                "case when deals.stage_semantic <> 'P' then "
                    ~ portal_date('coalesce(deals.moved_at, deals.modified_at)') ~ " end") }}) end,
            '{}'::datemultirange
        ) as open_days
    from deals
    left join transitions on transitions.deal_id = deals.deal_id
    group by deals.deal_id, deals.created_at, deals.stage_semantic, deals.moved_at, deals.modified_at
),

holders as (
    select
        versions.id as deal_id,
        -- no responsible: the unassigned manager's (macros/reports/unassigned.sql)
        {{ manager_or_unassigned(b24_bigint("versions.payload ->> 'ASSIGNED_BY_ID'")) }} as manager_id,
        case when row_number() over held > 1 then {{ portal_date('versions.change_stamp') }} end as from_date,
        lead({{ portal_date('versions.change_stamp') }}) over held as to_date
    from deal_versions as versions
    where versions.id in (select deal_id from deals)
    window held as (partition by versions.id order by versions.change_stamp nulls first, versions.last_seen_at)
),

held as (
    select deal_id, manager_id, range_agg(daterange(from_date, to_date)) as held_days
    from holders
    group by deal_id, manager_id
),

per_holder as (
    select
        held.deal_id,
        held.manager_id,
        deal_open.open_days * held.held_days * coalesce(deal_work.overdue_days, '{}') as overdue_days,
        deal_open.open_days * held.held_days - coalesce(deal_work.planned_days, '{}') as unplanned_days
    from held
    join deal_open on deal_open.deal_id = held.deal_id
    left join deal_work on deal_work.deal_id = held.deal_id
),

final as (
    select
        -- ids
        per_holder.deal_id,
        per_holder.manager_id,
        measures.measure,

        -- the span of days [from_date, to_date); to_date 'infinity' while it lasts
        lower(spans.span) as from_date,
        coalesce(upper(spans.span), 'infinity'::date) as to_date,

        -- timestamps
        {{ staged_at() }} as staged_at
    from per_holder
    cross join lateral (
        values ('overdue', per_holder.overdue_days), ('unplanned', per_holder.unplanned_days)
    ) as measures (measure, days)
    cross join lateral unnest(measures.days) as spans (span)
)

select * from final
