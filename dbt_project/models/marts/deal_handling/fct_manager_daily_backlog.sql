{#- Report 1's backlog per employee × portal day, for every day of the history: open deals with an
    overdue activity and open deals without any planned activity at the end of the day (23:59:59 portal
    time; the last day: at the snapshot). Point-in-time counts: take a period's last day or average them
    over days, never sum them.

    A day a run observed (fct_manager_daily_backlog_snapshots holds its snapshot: the day's last run) is
    exact and its snapshot wins; every other day is estimated from the spans of int_deal_backlog_spans,
    turned into counts by running sums of +1 / -1 at the spans' ends (no days × deals expansion). The
    estimation rule and its measured error: docs/metrics.md "Backlog history".

    Incremental (delete+insert on report_date): a window run re-computes the days from
    backlog_window_start() (macros/deal_handling/backlog_days.sql) to the snapshot day, from the spans
    still lasting then (to_date index). The post-hook (re)creates marts.manager_deal_backlog(from, to),
    report 1's backlog over any period (macros/deal_handling/deal_backlog_function.sql). -#}
{{
    config(
        tags=['partitioned_daily'],
        materialized='incremental',
        unique_key='report_date',
        indexes=[{'columns': ['report_date']}],
        post_hook="{{ create_deal_backlog_function(this) }}",
    )
}}

with

spine as not materialized (
    select * from {{ ref('int_employees_days_spined') }}
    where report_date >= {{ backlog_window_start() }}
),

first_day as (
    select min(report_date) as report_date from spine
),

spans as not materialized (
    select * from {{ ref('int_deal_backlog_spans') }}
    where to_date > {{ backlog_window_start() }}
),

snapshots as not materialized (
    select * from {{ ref('fct_manager_daily_backlog_snapshots') }}
    where snapshot_date >= {{ backlog_window_start() }}
),

working_days as not materialized (
    select * from {{ ref('int_working_days') }}
    where work_date >= {{ backlog_window_start() }}
),

-- a span lasting into the first day counts from it: the running sums start there
deltas as (
    select spans.manager_id, spans.measure, greatest(spans.from_date, first_day.report_date) as report_date,
           1 as delta
    from spans
    cross join first_day
    union all
    select manager_id, measure, to_date, -1
    from spans
    where to_date < 'infinity'::date
),

daily_deltas as (
    select
        manager_id,
        report_date,
        sum(delta) filter (where measure = 'overdue') as overdue,
        sum(delta) filter (where measure = 'unplanned') as unplanned
    from deltas
    group by manager_id, report_date
),

estimated as (
    select
        spine.report_date,
        spine.manager_id,
        spine.department_id,
        sum(coalesce(daily_deltas.overdue, 0)) over per_manager as deals_with_overdue_activities,
        sum(coalesce(daily_deltas.unplanned, 0)) over per_manager as open_deals_without_planned_activities
    from spine
    left join daily_deltas
        on daily_deltas.manager_id = spine.manager_id and daily_deltas.report_date = spine.report_date
    window per_manager as (partition by spine.manager_id order by spine.report_date)
),

final as (
    select
        -- keys
        estimated.report_date,
        estimated.manager_id,
        estimated.department_id,

        -- measures (point-in-time counts at the end of the day: do not sum over days)
        coalesce(snapshots.deals_with_overdue_activities, estimated.deals_with_overdue_activities)::int
            as deals_with_overdue_activities,
        coalesce(
            snapshots.open_deals_without_planned_activities, estimated.open_deals_without_planned_activities
        )::int as open_deals_without_planned_activities,

        -- how the day is known
        snapshots.manager_id is not null as is_exact,
        coalesce(working_days.is_working_day, false) as is_working_day
    from estimated
    left join snapshots
        on snapshots.snapshot_date = estimated.report_date and snapshots.manager_id = estimated.manager_id
    left join working_days
        on working_days.user_id = estimated.manager_id and working_days.work_date = estimated.report_date
)

select * from final
