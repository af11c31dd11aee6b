{#- crm.status.list rows (docs/bitrix24-api.md § crm.status.list). Deal stages live in ENTITY_ID DEAL_STAGE
    (pipeline 0, CATEGORY_ID null) and DEAL_STAGE_<pipeline>;
    SEMANTICS is NULL for in-progress stages, 'S' success, 'F' failure — decoded here to P/S/F. -#}
with

source as (
    {{ latest_version(source('bitrix24', 'stages')) }}
),

final as (
    select
        -- ids
        portal_id,
        id as status_row_id,
        payload ->> 'ENTITY_ID' as entity_id,
        payload ->> 'STATUS_ID' as stage_id,
        -- the default pipeline's stages (ENTITY_ID DEAL_STAGE) come with CATEGORY_ID null
        coalesce(
            {{ b24_bigint("payload ->> 'CATEGORY_ID'") }},
            case when payload ->> 'ENTITY_ID' = 'DEAL_STAGE' then 0 end
        ) as pipeline_id,

        -- attributes
        payload ->> 'NAME' as stage_name,
        nullif(payload ->> 'SORT', '')::int as sort_order,
        coalesce(nullif(payload ->> 'SEMANTICS', ''), 'P') as stage_semantic,
        payload -> 'EXTRA' ->> 'SEMANTICS' as extra_semantics,
        {{ b24_flag("payload ->> 'SYSTEM'") }} as is_system,
        payload ->> 'ENTITY_ID' like 'DEAL_STAGE%' as is_deal_stage,

        -- timestamps
        loaded_at
    from source
)

select * from final
