{#- SLA alerts: for every open request still untouched, its two alert levels, when each falls due and to
    whom it goes. Level 1 goes to the responsible employee after N working minutes (of the responsible
    employee, as response_working_minutes counts them), level 2 to the head of their department after
    N + M. N, M and muting come from the seed sla_alert_settings (nearest department up the tree) with the
    dbt vars as defaults. Rule and its choices: docs/metrics.md, "SLA alerts". The delivery
    (orchestration/alerts) sends the rows with is_due, each (request, level) once, in the recipient's
    working time.
    Requests are deals today; leads slot in as another branch of `requests` with the same columns. -#}
{{ config(tags=['partitioned_daily'], post_hook="{{ create_department_untouched_function(this) }}") }}
{%- set level1_default = var('sla_level1_working_minutes', 15) -%}
{%- set level2_default = var('sla_level2_working_minutes', 15) -%}
{%- set lookback_hours = var('sla_alert_lookback_hours', 72) -%}

with

deals as (
    select * from {{ ref('managerControl_Deal') }}
),

departments as (
    select * from {{ ref('dim_departments') }}
),

ancestors as (
    select * from {{ ref('int_departments_ancestors') }}
),

settings as (
    select * from {{ ref('sla_alert_settings') }}
),

requests as (
    select
        'deal' as request_type,
        deal_id as request_id,
        title,
        responsible_id,
        department_id,
        created_at,
        pending_working_minutes,
        -- this run's instant, not the row's: a stored row keeps the snapshot_at of the run that last changed
        -- it (its wait holds until now), and is_due's look-back counts back from now
        {{ snapshot_at() }} as snapshot_at
    from deals
    where is_untouched and is_open
),

-- the nearest department up the tree (itself first) with a settings row
configured as (
    select
        requests.*,
        coalesce(chosen.level1_working_minutes, {{ level1_default }}) as level1_minutes,
        coalesce(chosen.level2_working_minutes, {{ level2_default }}) as level2_minutes,
        coalesce(chosen.muted, false) as is_muted
    from requests
    left join lateral (
        select settings.*
        from ancestors
        inner join settings on settings.department_id = ancestors.ancestor_department_id
        where ancestors.department_id = requests.department_id
        order by ancestors.depth
        limit 1
    ) as chosen on true
),

-- the escalation goes to the head of the responsible's department; when the responsible is that head (or
-- the department has none), to the nearest head further up. Materialized, as `timed` below: each look-up
-- (w_created, due_at) runs once a row; inlined, PostgreSQL repeats a sub-query wherever its column is used
-- (w_created three times in due_at's, due_at again in is_due)
escalated as materialized (
    select
        configured.*,
        (
            select departments.head_user_id
            from ancestors
            inner join departments on departments.department_id = ancestors.ancestor_department_id
            where ancestors.department_id = configured.department_id
              and departments.head_user_id is not null
              and departments.head_user_id <> configured.responsible_id
            order by ancestors.depth
            limit 1
        ) as head_user_id,
        {{ working_seconds_until('configured.responsible_id', 'configured.created_at') }} as w_created
    from configured
),

levels as (
    select
        escalated.*,
        level.alert_level,
        case level.alert_level when 1 then level1_minutes else level1_minutes + level2_minutes end
            as threshold_working_minutes,
        case level.alert_level when 1 then responsible_id else head_user_id end as recipient_id
    from escalated
    cross join (values (1), (2)) as level (alert_level)
),

timed as materialized (
    select
        levels.*,
        {{ working_time_instant('responsible_id', 'w_created + threshold_working_minutes * 60') }} as due_at
    from levels
    where recipient_id is not null
),

final as (
    select
        -- ids
        request_type,
        request_id,
        alert_level,
        recipient_id,
        responsible_id,
        department_id,

        -- attributes
        title,
        threshold_working_minutes,
        pending_working_minutes,
        is_muted,

        -- timestamps
        created_at,
        due_at,
        snapshot_at,

        -- due now: the threshold passed at the snapshot, not longer than the look-back ago (switching alerts
        -- on must not flood everyone with last month's backlog), and not muted
        pending_working_minutes >= threshold_working_minutes
            and not is_muted
            and due_at >= snapshot_at - interval '{{ lookback_hours }} hours'
            as is_due
    from timed
)

select * from final
