{#- Report 2 pattern flags per employee and period (var call_pattern_period: a date_trunc unit, default
    'month'), relative to the other employees of the same department in the same period who made at least
    one outgoing attempt:
      dials_a_lot_rarely_connects   outgoing attempts in the top quartile and connect rate in the bottom quartile
      connects_but_cannot_hold      connected calls at or above the median and average talk time in the
                                    bottom quartile
    The quantiles are dbt vars (call_pattern_high_quantile 0.75, call_pattern_low_quantile 0.25,
    call_pattern_median_quantile 0.5); a department with fewer than var call_pattern_min_peers (default 3)
    such employees in the period has no meaningful quartiles, and its flags stay false. -#}
{%- set period = var('call_pattern_period', 'month') -%}
{%- set high = var('call_pattern_high_quantile', 0.75) -%}
{%- set low = var('call_pattern_low_quantile', 0.25) -%}
{%- set median = var('call_pattern_median_quantile', 0.5) -%}
{%- set min_peers = var('call_pattern_min_peers', 3) -%}
with

daily as (
    select * from {{ ref('fct_manager_daily_calls') }}
),

per_period as (
    select
        date_trunc('{{ period }}', report_date)::date as period_start,
        manager_id,
        department_id,
        sum(calls_total) as calls_total,
        sum(calls_outgoing) as calls_outgoing,
        sum(calls_outgoing_connected) as calls_outgoing_connected,
        sum(calls_connected) as calls_connected,
        sum(talk_seconds_connected) as talk_seconds_connected
    from daily
    group by 1, 2, 3
),

rated as (
    select
        *,
        calls_outgoing_connected::numeric / nullif(calls_outgoing, 0) as connect_rate,
        talk_seconds_connected::numeric / nullif(calls_connected, 0) as average_talk_seconds
    from per_period
),

department_thresholds as (
    select
        period_start,
        department_id,
        count(*) as peers,
        percentile_cont({{ high }}) within group (order by calls_outgoing) as outgoing_high,
        percentile_cont({{ low }}) within group (order by connect_rate) as connect_rate_low,
        percentile_cont({{ median }}) within group (order by calls_connected) as connected_median,
        percentile_cont({{ low }}) within group (order by average_talk_seconds) as talk_seconds_low
    from rated
    where calls_outgoing > 0
    group by 1, 2
),

final as (
    select
        -- keys
        rated.period_start,
        rated.manager_id,
        rated.department_id,

        -- measures
        rated.calls_total,
        rated.calls_outgoing,
        rated.calls_outgoing_connected,
        rated.calls_connected,
        rated.talk_seconds_connected,
        round(rated.connect_rate, 4) as connect_rate,
        round(rated.average_talk_seconds, 1) as average_talk_seconds,

        -- the department's thresholds
        department_thresholds.peers as department_peers,
        department_thresholds.outgoing_high as department_outgoing_high,
        department_thresholds.connect_rate_low as department_connect_rate_low,
        department_thresholds.connected_median as department_connected_median,
        department_thresholds.talk_seconds_low as department_talk_seconds_low,

        -- flags
        coalesce(
            department_thresholds.peers >= {{ min_peers }}
            and rated.calls_outgoing > 0
            and rated.calls_outgoing >= department_thresholds.outgoing_high
            and rated.connect_rate <= department_thresholds.connect_rate_low,
            false
        ) as dials_a_lot_rarely_connects,
        coalesce(
            department_thresholds.peers >= {{ min_peers }}
            and rated.calls_connected > 0
            and rated.calls_connected >= department_thresholds.connected_median
            and rated.average_talk_seconds <= department_thresholds.talk_seconds_low,
            false
        ) as connects_but_cannot_hold
    from rated
    left join department_thresholds
        on department_thresholds.period_start = rated.period_start
        and department_thresholds.department_id is not distinct from rated.department_id
)

select * from final
