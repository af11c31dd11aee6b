{#- crm.stagehistory.list items of deals (entityTypeId 2; docs/bitrix24-api.md § crm.stagehistory.list): STAGE_ID /
    STAGE_SEMANTIC_ID, CATEGORY_ID the pipeline, TYPE_ID 5 a pipeline change. -#}
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
        {{
            crm_stage_history_columns(
                id_column='stage_history_id', owner_column='deal_id', status_field='STAGE', pipelines=true
            )
        }}
    from source
)

select * from final
