{#- Every contact by a real employee with one kind of CRM record (deals, leads), whatever its kind, before
    or after the record's creation — the one owner of the contact rules (docs/metrics.md; leads:
    docs/decisions.md "Requests"). Used by int_deal_contacts_unioned (owner type 2) and
    int_lead_contacts_unioned (owner type 1). Kinds and instants:

      call          call activity, outgoing or a callback, or incoming and connected; START_TIME, AUTHOR_ID
                    (connected: its statistic row has code 200 and duration > 0; without a statistic row in
                    the warehouse, RESULT_STREAM 1-3 and END_TIME after START_TIME — docs/metrics.md)
      email         outgoing e-mail activity; START_TIME, AUTHOR_ID
      open_line     open-line session answered by an operator (RESULT_STATUS 2); START_TIME, AUTHOR_ID
      meeting       completed meeting; START_TIME, AUTHOR_ID
      stage_change  stage history TYPE_ID 2, 3 or 5 (a lead's status moves: 2 or 3); CREATED_TIME, the
                    record's responsible (history has no author)
      deal_edit     DATE_MODIFY later than DATE_CREATE and not a stage move (≠ MOVED_TIME); MODIFY_BY_ID
      lead_edit     the same on a lead
      comment       timeline comment; CREATED, AUTHOR_ID

    A real employee is a user that user.get lists with USER_TYPE 'employee' (robots, chat-bots and system
    accounts are not; fired employees still are). To-dos are never contacts, planned or done.

    Arguments: owned (the stg_bitrix24__activities flag of the records' owner type: is_deal_owned,
    is_lead_owned), records / history (the
    staging relations of the records and of their stage history), id_column (the records' and history's
    id column, also the output's), comment_type (ENTITY_TYPE of their comments), edit_kind, scope (SQL
    selecting the record ids to derive; none = all). -#}
{% macro record_contacts(owned, records, history, id_column, comment_type, edit_kind, scope=none) -%}
records as not materialized (
    select * from {{ records }}
),

activities as not materialized (
    select * from {{ ref('stg_bitrix24__activities') }}
),

stage_history as not materialized (
    select * from {{ history }}
),

comments as not materialized (
    select * from {{ ref('stg_bitrix24__timeline_comments') }}
),

users as not materialized (
    select * from {{ ref('stg_bitrix24__users') }}
),

calls as not materialized (
    select * from {{ ref('stg_bitrix24__calls') }}
),

-- The employee test is IN (subquery): PostgreSQL runs it as one hashed look-up. The staging views' row
-- estimates are poor (filters on JSON expressions), and joins on them were seen to turn into nested loops
-- that re-read a view per row (minutes instead of milliseconds on a 700-deal portal).
{% if scope is not none %}
scoped_records as (
    {{ scope }}
),
{% endif %}

employees as (
    select user_id from users where user_type = 'employee'
),

-- Incoming call activities that connected. Telephony never writes RESULT_STATUS on a call activity
-- (docs/bitrix24-api.md § crm.activity.list — call activities): the statistic row of the call
-- (ORIGIN_ID = VI_<CALL_ID>, one index probe on stg_bitrix24__calls.call_id) decides; without one in the
-- warehouse, the activity's RESULT_STREAM (1-3 only for code 200) and its END_TIME (START_TIME +
-- CALL_DURATION) say the same. Only the incoming ones are looked up: a few per cent of the activities.
-- Measured on 70 managers x 365 days (523,515 activities, 566,726 calls, 2 cores): this CTE alone 0.7 s on
-- a full build (parallel hash join, the 69,000 incoming call activities hashed, the calls scanned once);
-- the whole deal model 4.4-5.2 s against 3.6-4.2 s without the look-up; a window run probes the call_id
-- index once per incoming call of the changed deals (1,706 probes, 0.14 s for the deals of 17 days).
incoming_calls_connected as (
    select activities.activity_id
    from activities
    left join calls on calls.call_id = activities.call_id
    where activities.{{ owned }}
      and activities.activity_kind = 'call'
      and activities.direction = 'incoming'
      {% if scope is not none %}and {{ is_among('activities.owner_id', 'select * from scoped_records') }}{% endif %}
      and coalesce(
          calls.is_connected,
          activities.result_stream in ('incoming', 'outgoing', 'callback') and activities.end_at > activities.start_at
      )
),

activity_contacts as (
    select
        owner_id as {{ id_column }},
        start_at as contact_at,
        activity_kind as contact_kind,
        activity_id as source_row_id,
        author_id as contact_by
    from activities
    where {{ owned }}
      {% if scope is not none %}and {{ is_among('owner_id', 'select * from scoped_records') }}{% endif %}
      and (
          -- outgoing attempts count whatever the outcome (the manager tried); callbacks carry no DIRECTION
          (activity_kind = 'call' and (direction = 'outgoing' or is_callback))
          or (activity_kind = 'call' and activity_id in (select activity_id from incoming_calls_connected))
          or (activity_kind = 'email' and direction = 'outgoing')
          or (activity_kind = 'open_line' and result_status = 'answered')
          or (activity_kind = 'meeting' and is_completed)
      )
),

stage_contacts as (
    select
        stage_history.{{ id_column }},
        stage_history.transitioned_at as contact_at,
        'stage_change' as contact_kind,
        0::bigint as source_row_id,
        records.responsible_id as contact_by
    from stage_history
    inner join records on records.{{ id_column }} = stage_history.{{ id_column }}
    -- 5 (pipeline changed) exists for deals only
    where stage_history.type_id in (2, 3, 5)
      {% if scope is not none %}and {{ is_among("stage_history." ~ id_column, 'select * from scoped_records') }}{% endif %}
),

edit_contacts as (
    select
        {{ id_column }},
        modified_at as contact_at,
        '{{ edit_kind }}' as contact_kind,
        0::bigint as source_row_id,
        modified_by_id as contact_by
    from records
    where modified_at > created_at
      and modified_at is distinct from moved_at
      {% if scope is not none %}and {{ is_among(id_column, 'select * from scoped_records') }}{% endif %}
),

comment_contacts as (
    select
        entity_id as {{ id_column }},
        created_at as contact_at,
        'comment' as contact_kind,
        comment_id as source_row_id,
        author_id as contact_by
    from comments
    where entity_type = '{{ comment_type }}'
      {% if scope is not none %}and {{ is_among('entity_id', 'select * from scoped_records') }}{% endif %}
),

unioned as (
    select * from activity_contacts
    union all
    select * from stage_contacts
    union all
    select * from edit_contacts
    union all
    select * from comment_contacts
),

final as (
    select
        -- ids
        unioned.{{ id_column }},
        unioned.contact_by,
        unioned.source_row_id,

        -- attributes
        unioned.contact_kind,
        {{ contact_kind_rank('unioned.contact_kind') }} as contact_kind_rank,

        -- timestamps
        unioned.contact_at,
        {{ staged_at() }} as staged_at
    from unioned
    where unioned.contact_by in (select user_id from employees)
      and unioned.contact_at is not null
)
{%- endmacro %}


{#- Ties at the same instant go to the kind listed first in docs/metrics.md, then the lower row id. -#}
{% macro contact_kind_rank(kind_expr) -%}
array_position(
    array['call', 'email', 'open_line', 'meeting', 'stage_change', 'deal_edit', 'comment', 'lead_edit'],
    {{ kind_expr }}
)
{%- endmacro %}


{#- The order in which a record's contacts come first: the earliest, then by contact_kind_rank, the lower row
    id, the lower author. It is the key (after the record id) of the contacts tables' first-contact index
    (int_deal_contacts_unioned, int_lead_contacts_unioned), so that a record's first contact at or after an
    instant is one index probe (int_deals_first_touched, int_requests_first_touched) rather than a sort of
    every contact (docs/benchmarks.md). -#}
{% macro first_contact_key() -%}
{{ return(['contact_at', 'contact_kind_rank', 'source_row_id', 'contact_by']) }}
{%- endmacro %}

{% macro first_contact_order(alias) -%}
{%- for column in first_contact_key() -%}{{ alias }}.{{ column }}{{ ', ' if not loop.last }}{%- endfor -%}
{%- endmacro %}
