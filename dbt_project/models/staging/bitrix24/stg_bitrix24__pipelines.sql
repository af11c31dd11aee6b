{#- crm.category.list items: camelCase keys, native ints, isDefault "Y"/"N"; the default pipeline is id 0. -#}
with

source as (
    {{ latest_version(source('bitrix24', 'pipelines')) }}
),

final as (
    select
        -- ids
        portal_id,
        id as pipeline_id,

        -- attributes
        payload ->> 'name' as pipeline_name,
        nullif(payload ->> 'sort', '')::int as sort_order,
        {{ b24_flag("payload ->> 'isDefault'") }} as is_default,

        -- timestamps
        loaded_at
    from source
)

select * from final
