{#- crm.stagehistory.list items of leads (entityTypeId 1; docs/bitrix24-api.md § crm.stagehistory.list — leads):
    STATUS_ID / STATUS_SEMANTIC_ID instead of the deals' stage fields, an ID sequence of their own; TYPE_ID 1
    created, 2 moved to a non-final status, 3 moved to a final one. Numbers as ints or strings, read alike. -#}
{{
    config(
        staged_records_config(
            'lead_stage_history', 'lead_stage_history_id',
            indexed=['transitioned_at', 'lead_id'],
        )
    )
}}
with

source as (
    {{ latest_version(source('bitrix24', 'lead_stage_history')) }}
),

final as (
    select
        {{
            crm_stage_history_columns(
                id_column='lead_stage_history_id', owner_column='lead_id', status_field='STATUS'
            )
        }}
    from source
)

select * from final
