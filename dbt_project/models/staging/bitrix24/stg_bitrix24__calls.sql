{#- voximplant.statistic.get rows (docs/bitrix24-api.md § voximplant.statistic.get): values are strings;
    CALL_TYPE 1 outgoing, 2 incoming, 3 incoming with redirect, 4 callback, 5 info call; CALL_FAILED_CODE
    '200' means the call went through. A code outside the vendor's list is kept as it came (failed_code,
    failed_code_known false; a warn test counts them) and never read as "not connected": the talk time
    decides (docs/metrics.md, "Unknown values"). A missing CALL_DURATION is NULL (unknown), not 0 s. -#}
{%- set failed_codes = ['200', '304', '603', '603-S', '403', '404', '486', '484', '503', '480', '402', '423',
                        'OTHER'] -%}
{{
    config(
        staged_records_config(
            'calls', 'call_row_id',
            indexed=['started_at', 'crm_activity_id'],
            unique=['call_id'],
        )
    )
}}
{%- set fields = [
    'CALL_ID', 'PORTAL_USER_ID', 'CRM_ACTIVITY_ID', 'CRM_ENTITY_TYPE', 'CRM_ENTITY_ID', 'CALL_TYPE',
    'CALL_FAILED_CODE', 'CALL_FAILED_REASON', 'PORTAL_NUMBER', 'PHONE_NUMBER', 'CALL_DURATION', 'CALL_VOTE',
    'COST', 'COST_CURRENCY', 'CALL_START_DATE'
] %}
with

source as (
    {{ latest_version(source('bitrix24', 'calls')) }}
),

-- every field read from the payload once (macros/bitrix24/bitrix24_values.sql, payload_fields)
fields as (
{{ payload_fields(fields) }}
),

final as (
    select
        -- ids
        portal_id,
        id as call_row_id,
        "CALL_ID" as call_id,
        {{ b24_bigint('"PORTAL_USER_ID"') }} as portal_user_id,
        {{ b24_bigint('"CRM_ACTIVITY_ID"') }} as crm_activity_id,
        nullif("CRM_ENTITY_TYPE", '') as crm_entity_type,
        {{ b24_bigint('"CRM_ENTITY_ID"') }} as crm_entity_id,

        -- enumerations
        "CALL_TYPE"::int as call_type,
        case "CALL_TYPE"::int
            when 1 then 'outgoing'
            when 2 then 'incoming'
            when 3 then 'incoming_redirected'
            when 4 then 'callback'
            when 5 then 'info'
        end as direction,
        "CALL_FAILED_CODE" as failed_code,
        coalesce("CALL_FAILED_CODE" in ('{{ failed_codes | join("', '") }}'), false)
            as failed_code_known,
        "CALL_FAILED_REASON" as failed_reason,

        -- attributes
        "PORTAL_NUMBER" as portal_number,
        "PHONE_NUMBER" as phone_number,
        nullif("CALL_DURATION", '')::int as duration_seconds,
        -- connected: the call went through AND there was talk (a 200 dropped at once is not); the one
        -- definition report 2 and the first-touch rule share (docs/metrics.md). A 200 of unknown duration
        -- went through; an unknown code counts by its talk time alone.
        case
            when "CALL_FAILED_CODE" = '200'
                then coalesce(nullif("CALL_DURATION", '')::int > 0, true)
            when "CALL_FAILED_CODE" in ('{{ failed_codes | join("', '") }}') then false
            else coalesce(nullif("CALL_DURATION", '')::int > 0, false)
        end as is_connected,
        nullif(nullif("CALL_VOTE", ''), '0')::int as call_vote,
        nullif("COST", '')::numeric as cost,
        "COST_CURRENCY" as cost_currency,

        -- timestamps
        {{ b24_timestamp('"CALL_START_DATE"') }} as started_at,
        loaded_at,
        last_seen_at,
        {{ staged_at() }} as staged_at
    from fields
)

select * from final
