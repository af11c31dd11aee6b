{#- crm.activity.list: TYPE_ID / DIRECTION / STATUS / RESULT_STATUS enumerations decoded
    (docs/bitrix24-api.md § crm.activity.list); activity_kind names the provider the metric contract cares
    about. Call activities as the vendor's telephony writes them (docs/bitrix24-api.md § crm.activity.list —
    call activities): no RESULT_STATUS, RESULT_STREAM decoded, callbacks marked by PROVIDER_TYPE_ID CALLBACK
    (they carry no DIRECTION), and call_id = the CALL_ID of the voximplant.statistic.get row the activity
    records (ORIGIN_ID VI_<CALL_ID>). -#}
{{
    config(
        staged_records_config(
            'activities', 'activity_id',
            indexed=['last_updated_at', 'start_at', 'owner_id'],
        )
    )
}}
{#- The open ones (1.5 % on the 500 x 3 benchmark) by owner, with what int_deals_activities_summarised reads of
    them: it counts them for every deal in each run, an index-only scan of this small index (0.13 s) instead
    of a parallel scan of the whole table (2.8 s) or of visits to 177 k scattered rows (4.7 s cold; docs/benchmarks.md) -#}
{{ config(post_hook="{{ create_index_if_missing(['owner_id', 'deadline_at', 'is_deal_owned'], where='is_open') }}") }}
{#- The activities int_manager_daily_activities_counted counts, by the day it counts them on and their
    responsible: a window run counts every manager on a few hundred days (today's activities were planned on
    many days), and these small indexes answer that from the index alone. A plain index on the day visited
    the 2.8 M activities of those days to keep the 106 k completed meetings (500 x 3 benchmark: 5.1 s,
    0.2 s with these; docs/benchmarks.md, session 18). -#}
{{ config(post_hook=[
    "{{ create_index_if_missing(['start_date', 'responsible_id'], where=activity_is_meeting_held()) }}",
    "{{ create_index_if_missing(['created_date', 'responsible_id'], where=activity_is_planned()) }}",
]) }}
{#- The fields the project reads. Raw keeps the whole record: SUBJECT, EDITOR_ID, ASSOCIATED_ENTITY_ID and
    SETTINGS.MISSED_CALL were staged once and read by no model, at a jsonb search and a column each for
    10^7 rows; add a field here when a model needs it. -#}
{%- set fields = [
    'OWNER_ID', 'OWNER_TYPE_ID', 'RESPONSIBLE_ID', 'AUTHOR_ID', 'ORIGIN_ID', 'TYPE_ID', 'PROVIDER_ID',
    'PROVIDER_TYPE_ID', 'DIRECTION', 'STATUS', 'RESULT_STATUS', 'RESULT_STREAM', 'COMPLETED',
    'IS_INCOMING_CHANNEL', 'CREATED', 'LAST_UPDATED', 'START_TIME', 'END_TIME', 'DEADLINE'
] %}
with

source as (
    {{ latest_version(source('bitrix24', 'activities')) }}
),

-- every field read from the payload once (macros/bitrix24/bitrix24_values.sql, payload_fields)
fields as (
{{ payload_fields(fields) }}
),

typed as (
    select
        portal_id,
        id as activity_id,
        {{ b24_bigint('"OWNER_ID"') }} as owner_id,
        {{ b24_bigint('"OWNER_TYPE_ID"') }} as owner_type_id,
        {{ b24_bigint('"RESPONSIBLE_ID"') }} as responsible_id,
        {{ b24_bigint('"AUTHOR_ID"') }} as author_id,
        nullif("ORIGIN_ID", '') as origin_id,
        nullif("TYPE_ID", '')::int as type_id,
        "PROVIDER_ID" as provider_id,
        "PROVIDER_TYPE_ID" as provider_type_id,
        nullif("DIRECTION", '')::int as direction_code,
        nullif("STATUS", '')::int as status_code,
        nullif("RESULT_STATUS", '')::int as result_status_code,
        nullif("RESULT_STREAM", '')::int as result_stream_code,
        {{ b24_flag('"COMPLETED"') }} as is_completed,
        {{ activity_is_scheduled(
            origin_id='"ORIGIN_ID"', direction='"DIRECTION"', is_incoming_channel='"IS_INCOMING_CHANNEL"'
        ) }} as is_scheduled,
        {{ activity_is_open(
            origin_id='"ORIGIN_ID"', direction='"DIRECTION"', is_incoming_channel='"IS_INCOMING_CHANNEL"',
            completed='"COMPLETED"'
        ) }} as is_open,
        {{ b24_flag('"IS_INCOMING_CHANNEL"') }} as is_incoming_channel,
        {{ b24_timestamp('"CREATED"') }} as created_at,
        {{ b24_timestamp('"LAST_UPDATED"') }} as last_updated_at,
        {{ b24_timestamp('"START_TIME"') }} as start_at,
        {{ b24_timestamp('"END_TIME"') }} as end_at,
        {{ b24_timestamp('"DEADLINE"') }} as deadline_at,
        loaded_at,
        last_seen_at
    from fields
    offset 0  -- each once per row, though final reads some twice (payload_fields)
),

final as (
    select
        -- ids
        portal_id,
        activity_id,
        owner_id,
        owner_type_id,
        owner_type_id = 2 as is_deal_owned,
        owner_type_id = 1 as is_lead_owned,
        responsible_id,
        author_id,
        origin_id,
        case when origin_id like 'VI\_%' then substr(origin_id, 4) end as call_id,

        -- enumerations
        type_id,
        provider_id,
        provider_type_id,
        case
            when provider_id = 'VOXIMPLANT_CALL' or type_id = 2 then 'call'
            when provider_id = 'CRM_EMAIL' or type_id = 4 then 'email'
            when provider_id = 'IMOPENLINES_SESSION' then 'open_line'
            when provider_id = 'CRM_MEETING' or type_id = 1 then 'meeting'
            when provider_id = 'CRM_TODO' then 'todo'
            when type_id = 3 or provider_id = 'CRM_TASKS_TASK' then 'task'
            else 'other'
        end as activity_kind,
        case direction_code when 1 then 'incoming' when 2 then 'outgoing' else 'undefined' end as direction,
        case status_code when 1 then 'waiting' when 2 then 'completed' when 3 then 'auto_completed'
            else 'undefined' end as status,
        case result_status_code when 1 then 'unanswered' when 2 then 'answered' else 'undefined' end
            as result_status,
        case result_stream_code when 1 then 'incoming' when 2 then 'outgoing' when 3 then 'callback'
            when 4 then 'missed' else 'undefined' end as result_stream,
        provider_id = 'VOXIMPLANT_CALL' and provider_type_id = 'CALLBACK' as is_callback,

        -- attributes
        is_completed,
        is_scheduled,
        is_open,
        is_incoming_channel,

        -- timestamps
        created_at,
        last_updated_at,
        start_at,
        end_at,
        deadline_at,
        -- portal days, for the per-day reports' look-ups by day (indexed)
        {{ portal_date('start_at') }} as start_date,
        {{ portal_date('created_at') }} as created_date,
        loaded_at,
        last_seen_at,
        {{ staged_at() }} as staged_at
    from typed
)

select * from final
