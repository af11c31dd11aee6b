{#- Point-in-time backlog per employee, one row per snapshot day: open deals with overdue activities and
    open deals without any planned activity, as managerControl_Deal shows them at snapshot_at.

    Accumulating: each run replaces the row of its snapshot day (delete+insert on day × manager) and keeps
    every earlier day. These are the exact days of fct_manager_daily_backlog (the day's last run wins); the
    other days are estimated there, because REST does not expose when an activity was completed — hence
    full_refresh=false: `dbt build --full-refresh` leaves this history alone; drop the table by hand to
    restart it. -#}
{{
    config(
        tags=['partitioned_daily'],
        materialized='incremental',
        unique_key=['snapshot_date', 'manager_id'],
        full_refresh=false,
    )
}}

with

managers as (
    select * from {{ ref('dim_managers') }}
),

deals as (
    select * from {{ ref('managerControl_Deal') }}
),

snapshot as (
    select
        {{ snapshot_at() }} as snapshot_at,
        {{ portal_date(snapshot_at()) }} as snapshot_date
),

per_manager as (
    select
        {{ manager_or_unassigned('responsible_id') }} as manager_id,
        count(*) filter (where is_open) as open_deals,
        -- the backlog is open deals' (a closed deal's forgotten to-do is not the manager's queue)
        count(*) filter (where is_open and has_overdue_activities) as deals_with_overdue_activities,
        count(*) filter (where has_no_planned_activities) as open_deals_without_planned_activities,
        sum(overdue_activity_count) as overdue_activities
    from deals
    group by 1
),

final as (
    select
        -- keys
        snapshot.snapshot_date,
        managers.manager_id,
        managers.department_id,

        -- measures (point-in-time counts: do not sum over days)
        coalesce(per_manager.open_deals, 0) as open_deals,
        coalesce(per_manager.deals_with_overdue_activities, 0) as deals_with_overdue_activities,
        coalesce(per_manager.open_deals_without_planned_activities, 0) as open_deals_without_planned_activities,
        coalesce(per_manager.overdue_activities, 0) as overdue_activities,

        -- timestamps
        snapshot.snapshot_at
    from managers
    cross join snapshot
    left join per_manager on per_manager.manager_id = managers.manager_id
    where snapshot.snapshot_date is not null
)

select * from final
