{#- calendar.settings.get: work_time_start/end are hours as "9" or hours.minutes as "9.30";
    week_holidays a JSON list of two-letter days; year_holidays / year_workdays "D.MM,D.MM" without a year. -#}
with

source as (
    {{ latest_version(source('bitrix24', 'calendar_settings')) }}
),

parsed as (
    select
        portal_id,
        split_part(payload ->> 'work_time_start', '.', 1)::int as start_hour,
        coalesce(nullif(split_part(payload ->> 'work_time_start', '.', 2), ''), '0')::int as start_minute,
        split_part(payload ->> 'work_time_end', '.', 1)::int as end_hour,
        coalesce(nullif(split_part(payload ->> 'work_time_end', '.', 2), ''), '0')::int as end_minute,
        array(select jsonb_array_elements_text(coalesce(payload -> 'week_holidays', '[]'::jsonb)))
            as week_holidays,
        string_to_array(nullif(payload ->> 'year_holidays', ''), ',') as year_holidays,
        string_to_array(nullif(payload ->> 'year_workdays', ''), ',') as year_workdays,
        loaded_at
    from source
),

final as (
    select
        portal_id,
        '{{ var("portal_time_zone") }}'::text as portal_time_zone,
        make_time(start_hour, start_minute, 0) as work_time_start,
        make_time(end_hour, end_minute, 0) as work_time_end,
        week_holidays,
        coalesce(year_holidays, '{}') as year_holidays,
        coalesce(year_workdays, '{}') as year_workdays,
        loaded_at
    from parsed
)

select * from final
