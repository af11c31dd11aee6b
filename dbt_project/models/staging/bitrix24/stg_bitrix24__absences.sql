{#- Absence-chart entries: FROM / TO are unix seconds; TO is the exclusive end of the absence. -#}
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
        to_timestamp((payload ->> 'TO')::bigint) as absent_to,
        loaded_at
    from source
)

select * from final
