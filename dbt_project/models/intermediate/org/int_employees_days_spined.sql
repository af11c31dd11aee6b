{#- Every employee × every portal day from the first deal or call (or var reports_start) to the snapshot day:
    the grain of the per-manager daily reports, so that an employee with no deals or calls on a day still
    shows zeros instead of vanishing. Plus the unassigned manager (macros/reports/unassigned.sql) every day:
    the home of calls and deals that name no employee; and every unknown user (int_users_unknown) whom
    records name though the portal does not list them as an employee. -#}
with

users as (
    select * from {{ ref('stg_bitrix24__users') }}
),

deals as (
    select * from {{ ref('stg_bitrix24__deals') }}
),

calls as (
    select * from {{ ref('stg_bitrix24__calls') }}
),

unknown_users as (
    select * from {{ ref('int_users_unknown') }}
),

bounds as (
    select
        coalesce(
            {% if var('reports_start', none) %}'{{ var("reports_start") }}'::date{% else %}null{% endif %},
            least(
                -- the date of the minimum, not the minimum of the dates: one probe of the staging
                -- tables' time indexes instead of a scan (the portal date is monotonic in the instant)
                {{ portal_date('(select min(created_at) from deals)') }},
                {{ portal_date('(select min(started_at) from calls)') }}
            )
        ) as first_day,
        {{ portal_date(snapshot_at()) }} as last_day
),

days as (
    select generate_series(bounds.first_day, bounds.last_day, interval '1 day')::date as report_date
    from bounds
),

final as (
    select
        days.report_date,
        users.user_id as manager_id,
        users.primary_department_id as department_id
    from days
    cross join users
    -- the same people as dim_managers: employees, fired ones included (their history stays)
    where users.user_type = 'employee'

    union all

    select days.report_date, {{ unassigned_manager_id() }}, null::bigint
    from days

    union all

    select days.report_date, unknown_users.user_id, null::bigint
    from days
    cross join unknown_users
)

select * from final
