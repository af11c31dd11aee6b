{#- crm.deal.list: every scalar a string, flags "Y"/"N", datetimes ISO-8601 with the portal's offset. -#}
{{
    config(
        materialized='incremental',
        unique_key='deal_id',
        indexes=[
            {'columns': ['deal_id'], 'unique': true},
            {'columns': ['last_seen_at']},
            {'columns': ['staged_at']},
            {'columns': ['modified_at']},
            {'columns': ['created_at']},
            {'columns': ['stage_semantic']},
        ],
        post_hook="{{ delete_swept_records('deals', 'deal_id') }}",
    )
}}
with

source as (
    {{ latest_version(source('bitrix24', 'deals')) }}
),

final as (
    select
        {{
            crm_item_columns(
                id_column='deal_id', status_field='STAGE', pipelines=true,
                ids={'lead_id': 'LEAD_ID'}, flags={'is_closed': 'CLOSED'}
            )
        }}
    from source
)

select * from final
