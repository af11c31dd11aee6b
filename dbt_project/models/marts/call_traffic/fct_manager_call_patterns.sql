{#- Report 2 pattern flags per employee and period (var call_pattern_period: a date_trunc unit, default
    'month'), relative to the other employees of the same department in the same period who made at least
    one outgoing attempt, and below an absolute limit:
      dials_a_lot_rarely_connects   outgoing attempts in the top quartile, connect rate in the bottom quartile
                                    and below 30 % (var call_pattern_connect_rate_ceiling)
      connects_but_cannot_hold      connected calls at or above the median, average talk time in the bottom
                                    quartile and below 60 s (var call_pattern_talk_seconds_floor); never
                                    together with the first
    with pattern_reason (why, with the numbers) and is_flagged. The rule itself lives in macros/call_traffic/call_patterns.sql; the post-hook also (re)creates the SQL
    function marts.manager_call_patterns(from, to), the same rule over any period. -#}
{{
    config(
        tags=['partitioned_daily'],
        post_hook="{{ create_call_patterns_function(ref('fct_manager_daily_calls')) }}",
    )
}}
{%- set period = var('call_pattern_period', 'month') -%}
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

{{ call_pattern_ctes() }}

select * from call_patterns
