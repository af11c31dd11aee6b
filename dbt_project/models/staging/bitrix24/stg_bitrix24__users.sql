with

source as (
    {{ latest_version(source('bitrix24', 'users')) }}
),

final as (
    select
        -- ids
        portal_id,
        id as user_id,
        {{ b24_first_id("payload -> 'UF_DEPARTMENT'") }} as primary_department_id,

        -- attributes
        nullif(trim(concat_ws(' ', payload ->> 'NAME', payload ->> 'LAST_NAME')), '') as full_name,
        payload ->> 'EMAIL' as email,
        payload ->> 'WORK_POSITION' as work_position,
        nullif(payload ->> 'TIME_ZONE', '') as time_zone,
        coalesce(payload ->> 'USER_TYPE', 'employee') as user_type,
        -- user.get returns ACTIVE as a JSON boolean; older portals send "Y"/"N"
        (payload ->> 'ACTIVE') in ('true', 'Y', '1') as is_active,

        -- timestamps
        loaded_at
    from source
)

select * from final
