{#- One row per employee and local calendar date: the day type and, on working days, the shift as
    instants. Precedence (most specific wins): the employee's schedule sets hours, working weekdays,
    time zone and country; on top of the weekly pattern the dated production calendar wins over the
    portal's year-less holidays / extra working days; observe_holidays = false ignores both.
    See docs/working_time.md. -#}
{#- A table, not a view: its data tests and int_working_intervals would each re-compute the calendar.
    Incremental per employee (docs/working_time.md): a run re-derives the employees whose fingerprint
    (int_working_calendar_inputs) has no row in this table; a full refresh computes everyone. The unique
    index serves the per-employee probes (here, in int_working_intervals and in the post-hook). -#}
{{ config(
    materialized='incremental',
    unique_key='user_id',
    indexes=[{'columns': ['user_id', 'work_date'], 'unique': True}],
    post_hook="{{ delete_stale_employees(
        'select user_id, calendar_inputs_hash from ' ~ ref('int_working_calendar_inputs')) }}",
) }}

with

inputs as (
    select user_id, calendar_inputs_hash from {{ ref('int_working_calendar_inputs') }}
),

-- an incremental run: the employees whose fingerprint this table does not hold (loose index scans)
users as (
    select u.user_id, u.time_zone, i.calendar_inputs_hash
    from ({{ calendar_users() }}) as u
    left join inputs as i on i.user_id = u.user_id
    {%- if is_incremental() %}
    left join ({{ employee_hashes(this) }}) as stored on stored.user_id = u.user_id
    where stored.calendar_inputs_hash is distinct from i.calendar_inputs_hash
    {%- endif %}
),

portal_settings as (
    select * from {{ ref('stg_bitrix24__calendar_settings') }}
    order by loaded_at desc
    limit 1
),

production_calendar as (
    select * from {{ ref('production_calendar') }}
),

employee_schedules as (
    select * from {{ ref('employee_schedules') }}
    {%- if is_incremental() %}
    where user_id in (select user_id from users)
    {%- endif %}
),

-- A portal without calendar settings gets Bitrix24's defaults: 9:00-18:00, Saturday and Sunday off.
-- Materialised, or PostgreSQL re-evaluates the array subqueries for every employee-day (measured 37 s vs 15 s).
settings as materialized (
    select
        coalesce(p.portal_time_zone, '{{ var("portal_time_zone", "Europe/Moscow") }}') as portal_time_zone,
        coalesce(p.work_time_start, time '09:00') as work_time_start,
        coalesce(p.work_time_end, time '18:00') as work_time_end,
        coalesce(p.week_holidays, array['SA', 'SU']) as week_holidays,
        -- "D.MM" strings as month * 100 + day, comparable with any year's date
        array(
            select split_part(trim(x), '.', 2)::int * 100 + split_part(trim(x), '.', 1)::int
            from unnest(p.year_holidays) as x
            where trim(x) ~ '^\d{1,2}\.\d{1,2}$'
        ) as holiday_month_days,
        array(
            select split_part(trim(x), '.', 2)::int * 100 + split_part(trim(x), '.', 1)::int
            from unnest(p.year_workdays) as x
            where trim(x) ~ '^\d{1,2}\.\d{1,2}$'
        ) as workday_month_days
    from (select) as one
    left join portal_settings as p on true
),

-- Per-date attributes computed once per date, not once per employee-day.
day_spine as materialized (
    select
        work_date,
        (array['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'])[extract(isodow from work_date)::int] as weekday_code,
        (extract(month from work_date) * 100 + extract(day from work_date))::int as month_day
    from (
        select generate_series(
            {{ working_calendar_start() }},
            {{ working_calendar_end() }},
            interval '1 day'
        )::date as work_date
    ) as dates
),

-- Only employees with a schedule are expanded here; overlapping periods: the latest start wins.
schedule_days as (
    select distinct on (s.user_id, d.work_date)
        s.user_id,
        d.work_date,
        s.time_zone,
        s.work_time_start,
        s.work_time_end,
        nullif(string_to_array(upper(trim(s.work_days)), ' '), '{}') as work_days,
        s.observe_holidays,
        s.country
    from employee_schedules as s
    inner join day_spine as d
        on d.work_date between coalesce(s.valid_from, date '-infinity') and coalesce(s.valid_to, date 'infinity')
    order by s.user_id, d.work_date, s.valid_from desc nulls last
),

user_days as (
    select
        u.user_id,
        u.calendar_inputs_hash,
        d.work_date,
        coalesce(sd.time_zone, u.time_zone, st.portal_time_zone) as time_zone,
        coalesce(sd.work_time_start, st.work_time_start) as work_time_start,
        coalesce(sd.work_time_end, st.work_time_end) as work_time_end,
        coalesce(sd.observe_holidays, true) as observe_holidays,
        coalesce(sd.country, '{{ var("production_calendar_country", "RU") }}') as country,
        case
            when sd.work_days is not null then d.weekday_code = any(sd.work_days)
            else not d.weekday_code = any(st.week_holidays)
        end as is_weekly_working_day,
        d.month_day = any(st.holiday_month_days) as is_portal_holiday,
        d.month_day = any(st.workday_month_days) as is_portal_workday
    from users as u
    cross join day_spine as d
    cross join settings as st
    left join schedule_days as sd
        on sd.user_id = u.user_id and sd.work_date = d.work_date
),

-- Materialised so the day-type CASE is evaluated once per row, not again in every column using it.
typed as materialized (
    select
        ud.*,
        case
            when not ud.observe_holidays
                then case when ud.is_weekly_working_day then 'workday' else 'weekend' end
            when pc.day_type = 'holiday' then 'holiday'
            when pc.day_type = 'short_day' then 'short_day'
            when pc.day_type = 'working_day' or (ud.is_portal_workday and not ud.is_portal_holiday)
                then case when ud.is_weekly_working_day then 'workday' else 'working_weekend' end
            when ud.is_portal_holiday then 'holiday'
            when ud.is_weekly_working_day then 'workday'
            else 'weekend'
        end as day_type,
        case
            when ud.observe_holidays and pc.day_type = 'short_day' then coalesce(pc.short_minutes, 60)
            else 0
        end as short_minutes
    from user_days as ud
    left join production_calendar as pc
        on pc.country = ud.country and pc.calendar_date = ud.work_date
),

-- Local wall-clock times become instants in the employee's zone for that very date (DST by the database).
final as (
    select
        -- ids
        user_id,
        work_date,

        -- day
        day_type,
        day_type in ('workday', 'working_weekend', 'short_day') as is_working_day,
        short_minutes,
        time_zone,

        -- shift (NULL on days off)
        case when day_type in ('workday', 'working_weekend', 'short_day')
            then (work_date + work_time_start) at time zone time_zone
        end as shift_start,
        case when day_type in ('workday', 'working_weekend', 'short_day')
            then (
                work_date + work_time_end
                + case when work_time_end <= work_time_start then interval '1 day' else interval '0' end
                - short_minutes * interval '1 minute'
            ) at time zone time_zone
        end as shift_end,

        -- the fingerprint of the inputs the row was derived from
        calendar_inputs_hash
    from typed
)

select * from final
