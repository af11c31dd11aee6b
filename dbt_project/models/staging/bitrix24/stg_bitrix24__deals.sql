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
        -- ids
        portal_id,
        id as deal_id,
        {{ b24_bigint("payload ->> 'CATEGORY_ID'") }} as pipeline_id,
        payload ->> 'STAGE_ID' as stage_id,
        {{ b24_bigint("payload ->> 'ASSIGNED_BY_ID'") }} as responsible_id,
        {{ b24_bigint("payload ->> 'CREATED_BY_ID'") }} as created_by_id,
        {{ b24_bigint("payload ->> 'MODIFY_BY_ID'") }} as modified_by_id,
        {{ b24_bigint("payload ->> 'MOVED_BY_ID'") }} as moved_by_id,
        {{ b24_bigint("payload ->> 'CONTACT_ID'") }} as contact_id,
        {{ b24_bigint("payload ->> 'COMPANY_ID'") }} as company_id,
        {{ b24_bigint("payload ->> 'LEAD_ID'") }} as lead_id,

        -- attributes
        payload ->> 'TITLE' as title,
        payload ->> 'STAGE_SEMANTIC_ID' as stage_semantic,
        payload ->> 'SOURCE_ID' as source_id,
        nullif(payload ->> 'OPPORTUNITY', '')::numeric as opportunity,
        payload ->> 'CURRENCY_ID' as currency_id,
        {{ b24_flag("payload ->> 'CLOSED'") }} as is_closed,
        {{ b24_flag("payload ->> 'IS_RETURN_CUSTOMER'") }} as is_return_customer,

        -- timestamps
        {{ b24_timestamp("payload ->> 'DATE_CREATE'") }} as created_at,
        {{ b24_timestamp("payload ->> 'DATE_MODIFY'") }} as modified_at,
        {{ b24_timestamp("payload ->> 'MOVED_TIME'") }} as moved_at,
        {{ b24_timestamp("payload ->> 'LAST_ACTIVITY_TIME'") }} as last_activity_at,
        loaded_at,
        last_seen_at,
        {{ staged_at() }} as staged_at
    from source
)

select * from final
