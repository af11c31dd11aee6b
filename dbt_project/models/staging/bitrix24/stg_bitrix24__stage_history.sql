{#- crm.stagehistory.list items of deals (entityTypeId 2; docs/bitrix24-api.md § crm.stagehistory.list): STAGE_ID /
    STAGE_SEMANTIC_ID, CATEGORY_ID the pipeline, TYPE_ID 5 a pipeline change. -#}
{{
    config(
        staged_records_config(
            'stage_history', 'stage_history_id',
            indexed=['transitioned_at', 'deal_id'],
        )
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
