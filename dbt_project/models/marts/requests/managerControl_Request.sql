{#- Report 1 per request, one row per request chain (docs/decisions.md "Requests", docs/metrics.md): a lead
    with the deal converted from it, a lead alone, or a deal without a lead. Response time in the
    responsible's working minutes from the chain's start (its first record's creation) to the first contact
    on any of its records; untouched chains carry pending minutes up to snapshot_at. On a deals-only portal
    every chain is one deal and its row equals the deal's row in managerControl_Deal. A chain without a
    responsible keeps responsible_id empty and counts under manager_id 0 (docs/metrics.md "Unassigned
    records").

    Incremental (delete+insert on request_id), as managerControl_Deal: a window run re-computes the chains
    int_requests_first_touched re-computed in its latest build (a lead, a deal, or a contact of any record of
    the chain changed in the window, or the chain was young: macros/requests/requests_changed_in_window.sql)
    and every untouched chain: its pending minutes grow with the snapshot, and outside that set nothing else
    of it can move, so its stored row is taken with the wait re-measured
    (macros/deal_handling/untouched_remeasured.sql). Of those, it writes the rows that differ from the
    stored ones, snapshot_at aside. The other rows hold at the new snapshot (no backlog columns here), and
    their snapshot_at says when they last changed. The pre-hook deletes the window's chains that
    int_requests_first_touched no longer holds, so a chain that no longer exists goes. -#}
{#- snapshot_at is indexed for the data tests, which read the rows the last run wrote
    (macros/tests/get_where_subquery.sql): those of a daily run are a few percent of the table. A post-hook
    creates it, so that an existing warehouse gains it without a full refresh. -#}
{{
    config(
        tags=['partitioned_daily'],
        materialized='incremental',
        unique_key='request_id',
        pre_hook="{{ delete_requests_gone() }}",
        alias='managerControl_Request',
        post_hook=[
            "{{ create_request_handling_function(this) }}",
            "{{ create_index_if_missing(['snapshot_at']) }}",
        ],
        indexes=[
            {'columns': ['request_id'], 'unique': true},
            {'columns': ['manager_id', 'created_date']},
            {'columns': ['lead_id']},
            {'columns': ['deal_id']},
        ],
    )
}}
with

-- the window's change sets (macros/deal_handling, macros/requests) read these in incremental runs only:
-- depends_on: {{ ref('stg_bitrix24__activities') }}
-- depends_on: {{ ref('stg_bitrix24__stage_history') }}
-- depends_on: {{ ref('stg_bitrix24__lead_stage_history') }}
-- depends_on: {{ ref('stg_bitrix24__timeline_comments') }}
-- depends_on: {{ ref('stg_bitrix24__leads') }}
-- depends_on: {{ ref('stg_bitrix24__deals') }}
first_touches as not materialized (
    select * from {{ ref('int_requests_first_touched') }}
),

{% if is_incremental() %}
-- the chains int_requests_first_touched re-derived in its latest build
changed_requests as (
    select request_id from first_touches where staged_at = (select max(staged_at) from first_touches)
),
{% endif %}

requests as (
    select * from first_touches
    {% if is_incremental() %}
    where {{ is_among('request_id', 'select request_id from changed_requests') }}
    {% endif %}
),

users as (
    select * from {{ ref('stg_bitrix24__users') }}
),

snapshot as (
    select {{ snapshot_at() }} as snapshot_at
),

{%- set untouched_snapshot = 'case when requests.first_touch_at is null then snapshot.snapshot_at end' %}
measured as (
    select
        requests.*,
        users.primary_department_id as department_id,
        snapshot.snapshot_at,
        -- W(u, t) in seconds (macros/working_time, docs/working_time.md), as in managerControl_Deal
        {{ working_seconds_at('wt_started', 'requests.started_at') }} as w_started,
        {{ working_seconds_at('wt_touched', 'requests.first_touch_at') }} as w_touched,
        {{ working_seconds_at('wt_snapshot', untouched_snapshot) }} as w_snapshot
    from requests
    cross join snapshot
    left join users on users.user_id = requests.responsible_id
    -- no responsible: the unassigned manager's calendar, the portal's default one (calendar_users)
    {%- set calendar_user = manager_or_unassigned('requests.responsible_id') %}
    {{ working_time_join('wt_started', calendar_user, 'requests.started_at') }}
    {{ working_time_join('wt_touched', calendar_user, 'requests.first_touch_at') }}
    {{ working_time_join('wt_snapshot', calendar_user, untouched_snapshot) }}
),

final as (
    select
        -- ids
        request_id,
        lead_id,
        deal_id,
        case when lead_id is null then 'deal' when deal_id is null then 'lead' else 'lead_to_deal' end
            as request_kind,
        source_id,
        lead_outcome,
        responsible_id,
        -- the per-manager readings' manager: the responsible, or the unassigned manager when the portal
        -- names none (macros/reports/unassigned.sql), so per-manager rows sum to every request
        {{ manager_or_unassigned('responsible_id') }} as manager_id,
        department_id,

        -- first contact
        started_at as created_at,
        {{ portal_date('started_at') }} as created_date,
        first_touch_at,
        first_touch_kind,
        first_touch_by,
        first_touch_on_lead,
        {{ portal_date('first_touch_at') }} as first_touch_date,
        case when first_touch_at is not null then greatest(w_touched - w_started, 0) / 60 end
            as response_working_minutes,
        extract(epoch from (first_touch_at - started_at)) / 60 as response_calendar_minutes,
        first_touch_at is null as is_untouched,
        case when first_touch_at is null then {{ pending_working_minutes('w_snapshot', 'w_started') }} end
            as pending_working_minutes,

        -- timestamps
        snapshot_at
    from measured
)

{{ final_with_untouched_remeasured('request_id', 'created_at', 'select request_id from changed_requests') }}
