{#- Report 1 per employee × portal day, additive measures (sum over any period and slice; averages are
    sum / count at query time). Deal measures are counted on the deal's creation day (a cohort: "of the deals
    created on these days, how fast were they answered"); untouched deals stay in the cohort with the working
    minutes they have waited so far, so a manager who never answers looks worse, not better. -#}
with

spine as (
    select * from {{ ref('int_employees_days_spined') }}
),

deals as (
    select * from {{ ref('managerControl_Deal') }}
),

activities as (
    select * from {{ ref('stg_bitrix24__activities') }}
),

calls as (
    select * from {{ ref('calls') }}
),

backlog as (
    select * from {{ ref('fct_manager_daily_backlog_snapshots') }}
),

deal_cohorts as (
    select
        responsible_id as manager_id,
        created_date as report_date,
        count(*) as deals_created,
        count(*) filter (where not is_untouched) as deals_touched,
        count(*) filter (where is_untouched) as deals_untouched,
        coalesce(sum(response_working_minutes), 0) as response_working_minutes_sum,
        count(response_working_minutes) as response_working_minutes_count,
        coalesce(sum(response_calendar_minutes), 0) as response_calendar_minutes_sum,
        coalesce(sum(pending_working_minutes), 0) as pending_working_minutes_sum,
        count(*) filter (where has_contact_before_creation) as deals_with_contact_before_creation
    from deals
    group by 1, 2
),

meetings as (
    select
        responsible_id as manager_id,
        {{ portal_date('start_at') }} as report_date,
        count(*) as meetings_held
    from activities
    where activity_kind = 'meeting' and is_completed
    group by 1, 2
),

planned as (
    -- to-dos, meetings and calls scheduled on this day; telephony's records of calls that happened
    -- (ORIGIN_ID VI_...) are not plans
    select
        responsible_id as manager_id,
        {{ portal_date('created_at') }} as report_date,
        count(*) as activities_planned
    from activities
    where activity_kind in ('todo', 'meeting')
       or (activity_kind = 'call' and coalesce(origin_id, '') not like 'VI\_%')
    group by 1, 2
),

calls_made as (
    select
        manager_id,
        call_date as report_date,
        count(*) as calls_made
    from calls
    where is_outgoing_attempt
    group by 1, 2
),

final as (
    select
        -- keys
        spine.report_date,
        spine.manager_id,
        spine.department_id,

        -- deals created on the day (cohort measures)
        coalesce(deal_cohorts.deals_created, 0) as deals_created,
        coalesce(deal_cohorts.deals_touched, 0) as deals_touched,
        coalesce(deal_cohorts.deals_untouched, 0) as deals_untouched,
        coalesce(deal_cohorts.response_working_minutes_sum, 0) as response_working_minutes_sum,
        coalesce(deal_cohorts.response_working_minutes_count, 0) as response_working_minutes_count,
        coalesce(deal_cohorts.response_calendar_minutes_sum, 0) as response_calendar_minutes_sum,
        coalesce(deal_cohorts.pending_working_minutes_sum, 0) as pending_working_minutes_sum,
        coalesce(deal_cohorts.deals_with_contact_before_creation, 0) as deals_with_contact_before_creation,

        -- backlog snapshot taken on the day (point-in-time; NULL on days without a snapshot)
        backlog.deals_with_overdue_activities,
        backlog.open_deals_without_planned_activities,

        -- activity on the day
        coalesce(meetings.meetings_held, 0) as meetings_held,
        coalesce(planned.activities_planned, 0) as activities_planned,
        coalesce(calls_made.calls_made, 0) as calls_made
    from spine
    left join deal_cohorts using (manager_id, report_date)
    left join meetings using (manager_id, report_date)
    left join planned using (manager_id, report_date)
    left join calls_made using (manager_id, report_date)
    left join backlog on backlog.manager_id = spine.manager_id and backlog.snapshot_date = spine.report_date
)

select * from final
