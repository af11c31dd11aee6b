{#- Every user id a staged deal, lead (ASSIGNED_BY_ID), call (PORTAL_USER_ID) or activity that counts per
    manager (RESPONSIBLE_ID of a meeting held or an activity planned: macros/deal_handling/activity_counts.sql)
    has named: the candidates int_users_unknown checks against user.get, so that it reads the staged
    records of the users user.get does not list as employees only, instead of every record on every run
    (a portal's CRM robot, a bot, names thousands of e-mail and open-line activities that count for no one).

    Incremental (delete+insert on user_id) over the staging tables, as int_responsibles_seen over raw: a build
    reads the rows whose version was observed since the newest sighting it holds, minus var staging_overlap
    (macros/latest_version.sql staging_watermark: a range scan of each staging table's last_seen_at index).
    Staging re-derives a record from the versions observed since its own watermark minus the same overlap, so
    a row it writes later carries a last_seen_at this build has not passed yet. Users are never removed: the
    table is a superset, it keeps a user whose records were since handed over or deleted (int_users_unknown
    counts the current records). A user's row keeps the newest sighting it has seen (the watermark only
    rises). -#}
{{
    config(
        materialized='incremental',
        unique_key='user_id',
        indexes=[{'columns': ['user_id'], 'unique': true}, {'columns': ['last_seen_at']}],
    )
}}
{#- (model, the column naming the user, which of its rows count: all when none); the activities' rule reads
    the row alone, so a row that starts to count is staged anew, and read here, when it does -#}
{%- set named_by = [
    ('stg_bitrix24__deals', 'responsible_id', none),
    ('stg_bitrix24__leads', 'responsible_id', none),
    ('stg_bitrix24__calls', 'portal_user_id', none),
    ('stg_bitrix24__activities', 'responsible_id',
     activity_is_meeting_held() ~ ' or ' ~ activity_is_planned()),
] -%}
{%- set watermark = staging_watermark() if is_incremental() else none %}

with

named as (
    {%- for model, column, counts in named_by %}
    select {{ column }} as user_id, last_seen_at
    from {{ ref(model) }}
    where true
    {%- if counts %}
      and ({{ counts }})
    {%- endif %}
    {%- if is_incremental() %}
      and last_seen_at >= '{{ watermark }}'::timestamptz
    {%- endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- if is_incremental() %}
    union all
    -- the users held so far, with their newest sighting (delete+insert replaces every user read here)
    select user_id, last_seen_at from {{ this }}
    {%- endif %}
),

final as (
    select
        -- ids
        user_id,

        -- timestamps: the newest sighting of a staged record naming the user (the next build's watermark)
        max(last_seen_at) as last_seen_at
    from named
    where user_id is not null
    group by user_id
)

select * from final
