{#- Report 2 per employee × portal day, additive measures. Derived rates are computed at query time from
    the sums: average talk time = talk_seconds_connected / calls_connected, connect rate =
    calls_outgoing_connected / calls_outgoing. Info calls (no employee) belong to nobody and are left out. -#}
with

spine as (
    select * from {{ ref('int_employees_days_spined') }}
),

calls as (
    select * from {{ ref('calls') }}
),

per_day as (
    select
        manager_id,
        call_date as report_date,
        count(*) as calls_total,
        count(*) filter (where is_outgoing_attempt) as calls_outgoing,
        count(*) filter (where direction in ('incoming', 'incoming_redirected')) as calls_incoming,
        count(*) filter (where is_connected) as calls_connected,
        count(*) filter (where is_outgoing_attempt and is_connected) as calls_outgoing_connected,
        count(*) filter (where is_missed) as calls_missed,
        coalesce(sum(duration_seconds) filter (where is_connected), 0) as talk_seconds_connected
    from calls
    where manager_id is not null
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
