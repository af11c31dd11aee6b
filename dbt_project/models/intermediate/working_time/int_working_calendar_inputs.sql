{#- One row per user with a working calendar (calendar_users: every user of user.get, the unknown users
    the records name and the unassigned manager): the fingerprint of every input of the employee's working
    calendar, so that the incremental runs of the working-calendar models re-derive only the employees
    whose fingerprint changed (docs/working_time.md, "Incremental per employee"). Covered:
      the employee's part  time zone (user.get), rows of the employee_schedules seed, absences;
      the global part      the portal calendar settings row used (the latest), the whole production
                           calendar, the resolved calendar range, vars portal_time_zone and
                           production_calendar_country.
    Rows are hashed in a fixed order and instants as UTC text, so the same inputs give the same hash in any
    session. A view: a few hundred rows computed in milliseconds, read by int_working_days and its
    post-hook. -#}
{{ config(materialized='view') }}

with

users as (
    {{ calendar_users() }}
),

-- the row int_working_days uses; loaded_at is not an input of the calendar
portal_settings as (
    select portal_time_zone, work_time_start, work_time_end, week_holidays, year_holidays, year_workdays
    from {{ ref('stg_bitrix24__calendar_settings') }}
    order by loaded_at desc
    limit 1
),

production_days as (
    select country, calendar_date, day_type, short_minutes
    from {{ ref('production_calendar') }}
),

global_inputs as (
    select md5(concat_ws(
        '|',
        (select quote_nullable(string_agg(s::text, ',')) from portal_settings as s),
        (select quote_nullable(string_agg(d::text, ',' order by d::text)) from production_days as d),
        {{ working_calendar_start() }}::text,
        {{ working_calendar_end() }}::text,
        quote_literal('{{ var("portal_time_zone", "Europe/Moscow") }}'),
        quote_literal('{{ var("production_calendar_country", "RU") }}')
    )) as global_hash
),

schedules as (
    select s.user_id, string_agg(s::text, ',' order by s::text) as schedule_rows
    from (
        select
            user_id, valid_from, valid_to, time_zone, work_time_start, work_time_end, work_days,
            observe_holidays, country
        from {{ ref('employee_schedules') }}
    ) as s
    group by s.user_id
),

absences as (
    select
        user_id,
        string_agg(
            (absent_from at time zone 'UTC')::text || '/' || (absent_to at time zone 'UTC')::text, ','
            order by absent_from, absent_to
        ) as absence_rows
    from {{ ref('stg_bitrix24__absences') }}
    group by user_id
),

final as (
    select
        u.user_id,
        md5(concat_ws(
            '|',
            g.global_hash,
            quote_nullable(u.time_zone),
            quote_nullable(s.schedule_rows),
            quote_nullable(a.absence_rows)
        )) as calendar_inputs_hash
    from users as u
    cross join global_inputs as g
    left join schedules as s on s.user_id = u.user_id
    left join absences as a on a.user_id = u.user_id
)

select * from final
