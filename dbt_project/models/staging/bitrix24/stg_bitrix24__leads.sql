{#- crm.lead.list (docs/bitrix24-api.md § crm.lead.list): every scalar a string, flags "Y"/"N", datetimes
    ISO-8601 with the portal's offset; DATE_CLOSED empty while the lead is open. A conversion shows as a
    status with S semantics (CONVERTED by default) on the lead and the lead's ID in the deal's LEAD_ID;
    junk is any status with F semantics (JUNK by default). -#}
{{
    config(
        materialized='incremental',
        unique_key='lead_id',
        indexes=[
            {'columns': ['lead_id'], 'unique': true},
            {'columns': ['last_seen_at']},
            {'columns': ['staged_at']},
            {'columns': ['modified_at']},
            {'columns': ['created_at']},
        ],
        post_hook="{{ delete_swept_records('leads', 'lead_id') }}",
    )
}}
with

source as (
    {{ latest_version(source('bitrix24', 'leads')) }}
),

final as (
    select
        -- ids
        portal_id,
        id as lead_id,
        payload ->> 'STATUS_ID' as status_id,
        {{ b24_bigint("payload ->> 'ASSIGNED_BY_ID'") }} as responsible_id,
        {{ b24_bigint("payload ->> 'CREATED_BY_ID'") }} as created_by_id,
        {{ b24_bigint("payload ->> 'MODIFY_BY_ID'") }} as modified_by_id,
        {{ b24_bigint("payload ->> 'MOVED_BY_ID'") }} as moved_by_id,
        {{ b24_bigint("payload ->> 'CONTACT_ID'") }} as contact_id,
        nullif({{ b24_bigint("payload ->> 'COMPANY_ID'") }}, 0) as company_id,

        -- attributes
        payload ->> 'TITLE' as title,
        payload ->> 'STATUS_SEMANTIC_ID' as status_semantic,
        case payload ->> 'STATUS_SEMANTIC_ID' when 'S' then 'converted' when 'F' then 'junk' else 'in_work' end
            as lead_outcome,
        payload ->> 'SOURCE_ID' as source_id,
        nullif(payload ->> 'OPPORTUNITY', '')::numeric as opportunity,
        payload ->> 'CURRENCY_ID' as currency_id,
        {{ b24_flag("payload ->> 'IS_RETURN_CUSTOMER'") }} as is_return_customer,

        -- timestamps
        {{ b24_timestamp("payload ->> 'DATE_CREATE'") }} as created_at,
        {{ b24_timestamp("payload ->> 'DATE_MODIFY'") }} as modified_at,
        {{ b24_timestamp("payload ->> 'MOVED_TIME'") }} as moved_at,
        {{ b24_timestamp("payload ->> 'DATE_CLOSED'") }} as closed_at,
        {{ b24_timestamp("payload ->> 'LAST_ACTIVITY_TIME'") }} as last_activity_at,
        loaded_at,
        last_seen_at,
        {{ staged_at() }} as staged_at
    from source
)

select * from final
