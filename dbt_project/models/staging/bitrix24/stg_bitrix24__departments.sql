with

source as (
    {{ latest_version(source('bitrix24', 'departments')) }}
),

final as (
    select
        -- ids
        portal_id,
        id as department_id,
        nullif(payload ->> 'PARENT', '')::bigint as parent_department_id,
        nullif(payload ->> 'UF_HEAD', '')::bigint as head_user_id,

        -- attributes
        payload ->> 'NAME' as department_name,
        nullif(payload ->> 'SORT', '')::int as sort_order,

        -- timestamps
        loaded_at
    from source
)

select * from final
