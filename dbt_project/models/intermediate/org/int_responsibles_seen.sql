{#- Every user a stored version of a deal or lead names as its responsible (ASSIGNED_BY_ID): the current
    responsibles and the former ones, whom only an older version names. The backlog history
    (macros/backlog/record_backlog_spans.sql) counts a record's days under whoever held it then, so a former
    responsible that user.get does not list needs a manager row too (int_users_unknown; docs/metrics.md
    "Records naming an unknown user").

    Incremental (delete+insert on user_id) over raw, as the staging tables: a build reads only the versions
    observed since the newest sighting it holds, minus var staging_overlap (macros/latest_version.sql
    staging_watermark: a range scan of raw's (portal_id, last_seen_at) index), never every version of every
    deal. A user's row keeps the newest sighting of a version naming them, which a later build can only
    raise: a full refresh gives the same rows. Versions are never removed from raw, so neither are users;
    a deleted deal's former responsible keeps their row (with nothing to count). -#}
{{
    config(
        materialized='incremental',
        unique_key='user_id',
        indexes=[{'columns': ['user_id'], 'unique': true}, {'columns': ['last_seen_at']}],
    )
}}

with

versions as (
    {%- for kind in ['deals', 'leads'] %}
    select versions.payload ->> 'ASSIGNED_BY_ID' as assigned_by_id, versions.last_seen_at
    from {{ source('bitrix24', kind) }} as versions
    where versions.portal_id = '{{ var("portal_id") }}'
      {%- if is_incremental() %}
      and versions.last_seen_at >= '{{ staging_watermark() }}'::timestamptz
      {%- endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

final as (
    select
        -- ids
        {{ b24_bigint('assigned_by_id') }} as user_id,

        -- timestamps: the newest sighting of a version naming the user (the next build's watermark)
        max(last_seen_at) as last_seen_at
    from versions
    where {{ b24_bigint('assigned_by_id') }} is not null
    group by {{ b24_bigint('assigned_by_id') }}
)

select * from final
