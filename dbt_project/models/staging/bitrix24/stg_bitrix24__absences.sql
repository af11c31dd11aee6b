{#- Absence-chart entries: FROM / TO are unix seconds. For a timed entry TO is the end of the absence;
    for a whole-day entry (DT_TO is a date, "11.10.2026") TO is the midnight that STARTS the last day, so
    the absence ends one portal-calendar day later (added in the portal's zone: a DST switch keeps the
    end at midnight). -#}
with

source as (
    {{ latest_version(source('bitrix24', 'absences')) }}
),

final as (
    select
        -- ids
        portal_id,
        id as absence_id,
        (payload ->> 'USER_ID')::bigint as user_id,

        -- timestamps
        to_timestamp((payload ->> 'FROM')::bigint) as absent_from,
        case
            when length(trim(payload ->> 'DT_TO')) <= 10
                then (
                    (to_timestamp((payload ->> 'TO')::bigint) at time zone '{{ var("portal_time_zone") }}')
                    + interval '1 day'
                ) at time zone '{{ var("portal_time_zone") }}'
            else to_timestamp((payload ->> 'TO')::bigint)
        end as absent_to,
        loaded_at
    from source
)

select * from final
