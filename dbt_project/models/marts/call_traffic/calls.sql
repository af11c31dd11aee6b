{#- Report 2, one row per call of voximplant.statistic.get, with its CRM call activity and deal where one
    exists. Incremental (delete+insert on statistic_id): statistic rows are written once, at the end of the
    call, stamped with its start, so a window re-reads calls started since window_start minus one day (no call
    lasts a day); the working-hours flag reads the manager's working calendar (the portal's default one for a
    call without an employee), which does not change for past days unless the calendar seeds do — then run
    a full refresh. Calls the reconciliation sweep found
    deleted leave through the deletions ledger (post-hook).

    Keyed by the statistic row's integer id: call_id is unique here as it is in stg_bitrix24__calls (its
    unique index), one row here per staged call, and a second unique index of the text call ids was the
    mart's costliest to build (docs/benchmarks.md). -#}
{{
    config(
        tags=['partitioned_daily'],
        materialized='incremental',
        unique_key='statistic_id',
        indexes=[
            {'columns': ['statistic_id'], 'unique': true},
            {'columns': ['call_date']},
            {'columns': ['started_at']},
            {'columns': ['manager_id', 'call_date']},
        ],
        post_hook="{{ delete_vanished_records('calls', 'statistic_id', ref('stg_bitrix24__calls'), 'call_row_id') }}",
    )
}}

with

calls as not materialized (
    select * from {{ ref('stg_bitrix24__calls') }}
),

activities as not materialized (
    select * from {{ ref('stg_bitrix24__activities') }} where activity_kind = 'call'
),

-- grouped by user_id so that PostgreSQL knows the users are distinct and hashes them: of the view as it is
-- (DISTINCT ON portal and id) it assumes a tenth of the users per key and hashed the 12 M calls instead (32
-- batches on disk; 53 s against 46 s for the whole select on the 500 x 3 benchmark)
users as (
    select user_id, max(primary_department_id) as primary_department_id
    from {{ ref('stg_bitrix24__users') }}
    group by user_id
),

-- every employee's working time as one multirange: int_working_intervals holds disjoint intervals, so a call
-- started inside one iff the multirange contains its start (a binary search, no index probe per call); a
-- window run takes the intervals that can contain its calls' starts
working_time as (
    select user_id, range_agg(tstzrange(interval_start, interval_end)) as intervals
    from {{ ref('int_working_intervals') }}
    {% if is_incremental() %}
    where interval_end > {{ window_start() }} - interval '1 day'
      and interval_start < {{ window_end() }}
    {% endif %}
    group by user_id
),

scoped_calls as (
    select *
    from calls
    {% if is_incremental() %}
    where started_at >= {{ window_start() }} - interval '1 day'
      and started_at < {{ window_end() }}
    {% endif %}
),

linked as (
    select
        scoped_calls.*,
        users.primary_department_id as department_id,
        activities.activity_id,
        case when activities.is_deal_owned then activities.owner_id end as deal_id,
        working_time.intervals @> scoped_calls.started_at as in_working_interval
    from scoped_calls
    left join users on users.user_id = scoped_calls.portal_user_id
    left join activities on activities.activity_id = scoped_calls.crm_activity_id
    -- a call without an employee: the unassigned manager's calendar, the portal's default one (calendar_users)
    left join working_time on working_time.user_id = {{ manager_or_unassigned('scoped_calls.portal_user_id') }}
),

final as (
    select
        -- ids
        call_id,
        call_row_id as statistic_id,
        portal_user_id as manager_id,
        department_id,
        crm_entity_type,
        crm_entity_id,
        activity_id as crm_activity_id,
        deal_id,

        -- attributes
        direction,
        failed_code,
        failed_reason,
        is_connected,
        direction in ('incoming', 'incoming_redirected') and not is_connected as is_missed,
        direction in ('outgoing', 'callback') as is_outgoing_attempt,
        coalesce(in_working_interval, false) as started_within_working_hours,

        -- measures
        duration_seconds,

        -- timestamps
        started_at,
        {{ portal_date('started_at') }} as call_date
    from linked
)

select * from final
