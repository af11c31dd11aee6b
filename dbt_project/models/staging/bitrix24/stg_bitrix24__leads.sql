{#- crm.lead.list (docs/bitrix24-api.md § crm.lead.list): every scalar a string, flags "Y"/"N", datetimes
    ISO-8601 with the portal's offset; DATE_CLOSED empty while the lead is open. A conversion shows as a
    status with S semantics (CONVERTED by default) on the lead and the lead's ID in the deal's LEAD_ID;
    junk is any status with F semantics (JUNK by default). -#}
{{ config(staged_records_config('leads', 'lead_id', indexed=['modified_at', 'created_at'])) }}
{%- set lead_closed = "nullif(payload ->> 'DATE_CLOSED', '') is not null" -%}
{%- set lead_statuses -%}
(select status_id as stage_id, status_semantic as stage_semantic, loaded_at
 from {{ ref('stg_bitrix24__lead_statuses') }})
{%- endset %}
with

source as (
    {{ latest_version(source('bitrix24', 'leads')) }}
),

final as (
    select
        {{
            crm_item_columns(
                id_column='lead_id', status_field='STATUS', closed_when=lead_closed, company_zero_is_none=true,
                derived={'lead_outcome': "case " ~ crm_item_semantic('STATUS', lead_closed)
                                         ~ " when 'S' then 'converted' when 'F' then 'junk' else 'in_work' end"},
                timestamps={'closed_at': 'DATE_CLOSED'}
            )
        }}
    from source
    {{ crm_item_semantic_dictionary('STATUS', lead_statuses) }}
)

select * from final
