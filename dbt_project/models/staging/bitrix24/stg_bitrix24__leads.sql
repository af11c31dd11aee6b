{#- crm.lead.list (docs/bitrix24-api.md § crm.lead.list): every scalar a string, flags "Y"/"N", datetimes
    ISO-8601 with the portal's offset; DATE_CLOSED empty while the lead is open. A conversion shows as a
    status with S semantics (CONVERTED by default) on the lead and the lead's ID in the deal's LEAD_ID;
    junk is any status with F semantics (JUNK by default). -#}
{{ config(staged_records_config('leads', 'lead_id', indexed=['modified_at', 'created_at'])) }}
with

source as (
    {{ latest_version(source('bitrix24', 'leads')) }}
),

final as (
    select
        {{
            crm_item_columns(
                id_column='lead_id', status_field='STATUS', company_zero_is_none=true,
                derived={'lead_outcome': "case payload ->> 'STATUS_SEMANTIC_ID'"
                                         " when 'S' then 'converted' when 'F' then 'junk' else 'in_work' end"},
                timestamps={'closed_at': 'DATE_CLOSED'}
            )
        }}
    from source
)

select * from final
