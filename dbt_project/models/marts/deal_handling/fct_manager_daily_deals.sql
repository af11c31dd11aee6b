{#- Report 1 per employee × portal day, additive measures (sum over any period and slice; averages are
    sum / count at query time). Deal measures are counted on the deal's creation day (a cohort: "of the deals
    created on these days, how fast were they answered"); untouched deals stay in the cohort with the working
    minutes they have waited so far, so a manager who never answers looks worse, not better.

    Incremental (delete+insert on (report_date, manager_id)): a window run re-computes the days it can
    change, every manager of each (macros/deal_handling/days_changed_in_window.sql): creation days of
    changed deals, days of changed activities and calls, the days whose backlog the run re-computes — and
    writes the rows that came out different from the stored ones. Most do not: a planned call due today
    on a deal created last year brings its creation day in, and that day's counts stay as they were. On
    the other days the post-hook sets the pending sums of untouched deals, the one measure that moves
    there. The
    day's activity and call counts come pre-aggregated (int_manager_daily_activities_counted, fct_manager_daily_calls), so a day
    costs a few index probes, not a scan of its activities. -#}
{{
    config(
        tags=['partitioned_daily'],
        materialized='incremental',
        unique_key=['report_date', 'manager_id'],
        indexes=[{'columns': ['report_date', 'manager_id'], 'unique': true}],
        post_hook=[
            "{{ untouched_pending_sums_refreshed() }}",
            "{{ create_deal_handling_function(this) }}",
            "{{ create_duration_functions(this.schema) }}",
        ],
    )
}}
-- the window's change sets (macros/deal_handling) read these in incremental runs only:
-- depends_on: {{ ref('stg_bitrix24__activities') }}
-- depends_on: {{ ref('stg_bitrix24__stage_history') }}
-- depends_on: {{ ref('stg_bitrix24__timeline_comments') }}
-- depends_on: {{ ref('stg_bitrix24__deals') }}
-- depends_on: {{ ref('stg_bitrix24__calls') }}

with

{% if is_incremental() %}
changed_days as (
    {{ deal_days_changed_in_window() }}
    union
    {{ activity_days_changed_in_window() }}
    union
    {{ call_days_changed_in_window() }}
    union
    {{ backlog_days_changed_in_window() }}
),
{% endif %}

spine as not materialized (
    select * from {{ ref('int_employees_days_spined') }}
    {% if is_incremental() %}
    where {{ is_among('report_date', 'select report_date from changed_days') }}
    {% endif %}
),

deals as not materialized (
    select * from {{ ref('managerControl_Deal') }}
    {% if is_incremental() %}
    where {{ is_among('created_date', 'select report_date from changed_days') }}
    {% endif %}
),

activity_counts as not materialized (
    select * from {{ ref('int_manager_daily_activities_counted') }}
),

call_counts as not materialized (
    select * from {{ ref('fct_manager_daily_calls') }}
),

backlog as not materialized (
    select * from {{ ref('fct_manager_daily_backlog') }}
),

deal_cohorts as (
    select
        -- a deal without a responsible (ASSIGNED_BY_ID null) under the unassigned manager
        {{ manager_or_unassigned('responsible_id') }} as manager_id,
        created_date as report_date,
        count(*) as deals_created,
        count(*) filter (where not is_untouched) as deals_touched,
        count(*) filter (where is_untouched) as deals_untouched,
        coalesce(sum(response_working_minutes), 0) as response_working_minutes_sum,
        count(response_working_minutes) as response_working_minutes_count,
        coalesce(sum(response_calendar_minutes), 0) as response_calendar_minutes_sum,
        {{ cohort_pending_minutes_sum() }} as pending_working_minutes_sum,
        count(*) filter (where has_contact_before_creation) as deals_with_contact_before_creation
    from deals
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

        -- backlog at the end of the day (point-in-time: exact on days a run observed, else estimated)
        backlog.deals_with_overdue_activities,
        backlog.open_deals_without_planned_activities,
        backlog.is_exact as backlog_is_exact,

        -- activity on the day
        coalesce(activity_counts.meetings_held, 0) as meetings_held,
        coalesce(activity_counts.activities_planned, 0) as activities_planned,
        coalesce(call_counts.calls_outgoing, 0) as calls_made
    from spine
    left join deal_cohorts using (manager_id, report_date)
    left join activity_counts using (manager_id, report_date)
    left join call_counts using (manager_id, report_date)
    left join backlog on backlog.manager_id = spine.manager_id and backlog.report_date = spine.report_date
)

{% if is_incremental() -%}
{%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | join(', ') -%}
-- the re-computed rows that differ from the stored ones (by the table's columns, in its order)
select {{ columns }} from final
except
select {{ columns }} from {{ this }}
where {{ is_among('report_date', 'select report_date from changed_days') }}
{%- else -%}
select * from final
{%- endif %}
