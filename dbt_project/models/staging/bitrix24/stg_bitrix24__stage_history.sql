{#- crm.stagehistory.list items: numbers as native ints in the docs' example, as strings on real portals (both
    read alike: docs/bitrix24-api.md § crm.stagehistory.list); TYPE_ID 1 created, 2 moved to an intermediate stage,
    3 moved to a final stage, 5 pipeline changed. -#}
{{
    config(
        materialized='incremental',
        unique_key='stage_history_id',
        indexes=[
            {'columns': ['stage_history_id'], 'unique': true},
            {'columns': ['last_seen_at']},
            {'columns': ['staged_at']},
            {'columns': ['transitioned_at']},
            {'columns': ['deal_id']},
        ],
        post_hook="{{ delete_swept_records('stage_history', 'stage_history_id') }}",
    )
}}
with

source as (
    {{ latest_version(source('bitrix24', 'stage_history')) }}
),

final as (
    select
        -- ids
        portal_id,
        id as stage_history_id,
        {{ b24_bigint("payload ->> 'OWNER_ID'") }} as deal_id,
        {{ b24_bigint("payload ->> 'CATEGORY_ID'") }} as pipeline_id,
        payload ->> 'STAGE_ID' as stage_id,

        -- enumerations
        nullif(payload ->> 'TYPE_ID', '')::int as type_id,
        case nullif(payload ->> 'TYPE_ID', '')::int
            when 1 then 'created'
            when 2 then 'moved'
            when 3 then 'moved_to_final'
            when 5 then 'pipeline_changed'
            else 'other'
        end as transition_type,
        payload ->> 'STAGE_SEMANTIC_ID' as stage_semantic,

        -- timestamps
        {{ b24_timestamp("payload ->> 'CREATED_TIME'") }} as transitioned_at,
        loaded_at,
        last_seen_at,
        {{ staged_at() }} as staged_at
    from source
)

select * from final
