{#- Report 2 per employee × portal day, additive measures. Derived rates are computed at query time from
    the sums: average talk time = talk_seconds_connected / calls_connected, connect rate =
    calls_outgoing_connected / calls_outgoing (macros/reports/metric_formulas.sql; this model's post-hook
    creates both as SQL functions in marts, with marts.manager_call_traffic(from, to)). Info calls
    (automatic, no employee) belong to nobody and are left out; any other call without an employee
    (PORTAL_USER_ID null) counts under the unassigned manager (macros/reports/unassigned.sql), so the rows
    sum to the portal's calls.

    Incremental (delete+insert on report_date): a window run re-computes the days of the window's calls
    (macros/deal_handling/days_changed_in_window.sql), every manager of each such day. -#}
{{
    config(
        tags=['partitioned_daily'],
        materialized='incremental',
        unique_key='report_date',
        indexes=[{'columns': ['report_date', 'manager_id'], 'unique': true}],
        post_hook=[
            "{{ create_call_traffic_function(this) }}",
            "{{ create_department_headline_function(this) }}",
            "{{ create_duration_functions(this.schema) }}",
        ],
    )
}}
-- the window's change sets (macros/deal_handling) read these in incremental runs only:
-- depends_on: {{ ref('stg_bitrix24__calls') }}

with

{% if is_incremental() %}
changed_days as (
    {{ call_days_changed_in_window() }}
),
{% endif %}

spine as not materialized (
    select * from {{ ref('int_employees_days_spined') }}
    {% if is_incremental() %}
    where {{ is_among('report_date', 'select report_date from changed_days') }}
    {% endif %}
),

calls as not materialized (
    select * from {{ ref('calls') }}
    {% if is_incremental() %}
    where {{ is_among('call_date', 'select report_date from changed_days') }}
    {% endif %}
),

per_day as (
    select
        {{ manager_or_unassigned('manager_id') }} as manager_id,
        call_date as report_date,
        count(*) as calls_total,
        count(*) filter (where is_outgoing_attempt) as calls_outgoing,
        count(*) filter (where direction in ('incoming', 'incoming_redirected')) as calls_incoming,
        count(*) filter (where is_connected) as calls_connected,
        count(*) filter (where is_outgoing_attempt and is_connected) as calls_outgoing_connected,
        count(*) filter (where is_missed) as calls_missed,
        coalesce(sum(duration_seconds) filter (where is_connected), 0) as talk_seconds_connected
    from calls
    where not (manager_id is null and direction = 'info')
    group by 1, 2
),

final as (
    select
        -- keys
        spine.report_date,
        spine.manager_id,
        spine.department_id,

        -- measures
        coalesce(per_day.calls_total, 0) as calls_total,
        coalesce(per_day.calls_outgoing, 0) as calls_outgoing,
        coalesce(per_day.calls_incoming, 0) as calls_incoming,
        coalesce(per_day.calls_connected, 0) as calls_connected,
        coalesce(per_day.calls_outgoing_connected, 0) as calls_outgoing_connected,
        coalesce(per_day.calls_missed, 0) as calls_missed,
        coalesce(per_day.talk_seconds_connected, 0) as talk_seconds_connected
    from spine
    left join per_day using (manager_id, report_date)
)

select * from final
