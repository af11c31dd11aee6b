{#- crm.deal.list: every scalar a string, flags "Y"/"N", datetimes ISO-8601 with the portal's offset. -#}
{{
    config(
        staged_records_config(
            'deals', 'deal_id',
            indexed=['modified_at', 'created_at', 'lead_id'],
        )
    )
}}
{%- set deal_closed = "payload ->> 'CLOSED' = 'Y'" -%}
{%- set deal_stages -%}
(select * from {{ ref('stg_bitrix24__stages') }} where is_deal_stage)
{%- endset %}
with

source as (
    {{ latest_version(source('bitrix24', 'deals')) }}
),

final as (
    select
        {{
            crm_item_columns(
                id_column='deal_id', status_field='STAGE', closed_when=deal_closed, pipelines=true,
                ids={'lead_id': 'LEAD_ID'}, flags={'is_closed': 'CLOSED'}
            )
        }}
    from source
    {{ crm_item_semantic_dictionary('STAGE', deal_stages) }}
)

select * from final
