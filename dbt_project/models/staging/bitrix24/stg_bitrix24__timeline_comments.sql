{#- crm.timeline.comment.list: comments on CRM timelines (ENTITY_TYPE 'deal', 'lead', ...). -#}
{{ config(staged_records_config('timeline_comments', 'comment_id', indexed=['created_at', 'entity_id'])) }}
with

source as (
    {{ latest_version(source('bitrix24', 'timeline_comments')) }}
),

final as (
    select
        -- ids
        portal_id,
        id as comment_id,
        {{ b24_bigint("payload ->> 'ENTITY_ID'") }} as entity_id,
        lower(payload ->> 'ENTITY_TYPE') as entity_type,
        {{ b24_bigint("payload ->> 'AUTHOR_ID'") }} as author_id,

        -- attributes
        payload ->> 'COMMENT' as comment_text,

        -- timestamps
        {{ b24_timestamp("payload ->> 'CREATED'") }} as created_at,
        loaded_at,
        last_seen_at,
        {{ staged_at() }} as staged_at
    from source
)

select * from final
