{#- crm.stagehistory.list items of leads (entityTypeId 1; docs/bitrix24-api.md § crm.stagehistory.list — leads):
    STATUS_ID / STATUS_SEMANTIC_ID instead of the deals' stage fields, an ID sequence of their own; TYPE_ID 1
    created, 2 moved to a non-final status, 3 moved to a final one. Numbers as ints or strings, read alike. -#}
{{
    config(
        materialized='incremental',
        unique_key='lead_stage_history_id',
        indexes=[
            {'columns': ['lead_stage_history_id'], 'unique': true},
            {'columns': ['last_seen_at']},
            {'columns': ['staged_at']},
            {'columns': ['transitioned_at']},
            {'columns': ['lead_id']},
        ],
        post_hook="{{ delete_swept_records('lead_stage_history', 'lead_stage_history_id') }}",
    )
}}
with

source as (
    {{ latest_version(source('bitrix24', 'lead_stage_history')) }}
),

final as (
    select
        -- ids
        portal_id,
        id as lead_stage_history_id,
        {{ b24_bigint("payload ->> 'OWNER_ID'") }} as lead_id,
        payload ->> 'STATUS_ID' as status_id,

        -- enumerations
        nullif(payload ->> 'TYPE_ID', '')::int as type_id,
        case nullif(payload ->> 'TYPE_ID', '')::int
            when 1 then 'created'
            when 2 then 'moved'
            when 3 then 'moved_to_final'
            else 'other'
        end as transition_type,
        payload ->> 'STATUS_SEMANTIC_ID' as status_semantic,

        -- timestamps
        {{ b24_timestamp("payload ->> 'CREATED_TIME'") }} as transitioned_at,
        loaded_at,
        last_seen_at,
        {{ staged_at() }} as staged_at
    from source
)

select * from final
