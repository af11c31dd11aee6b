with

source as (
    {{ latest_version(source('bitrix24', 'users')) }}
),

final as (
    select
        -- ids
        portal_id,
        id as user_id,
        nullif(payload ->> 'UF_DEPARTMENT', '[]')::jsonb ->> 0 as primary_department_id_text,

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

select
    portal_id,
    user_id,
    primary_department_id_text::bigint as primary_department_id,
    full_name,
    email,
    work_position,
    time_zone,
    user_type,
    is_active,
    loaded_at
from final
