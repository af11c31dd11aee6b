{#- The report-2 pattern rule, in one place. Given a CTE `per_period` (period_start, manager_id,
    department_id, calls_total, calls_outgoing, calls_outgoing_connected, calls_connected,
    talk_seconds_connected), renders the CTEs `rated`, `department_thresholds` and `call_patterns`:
      dials_a_lot_rarely_connects   outgoing attempts in the department's top quartile and connect rate in
                                    its bottom quartile
      connects_but_cannot_hold      connected calls at or above the department's median and average talk
                                    time in its bottom quartile
    Peers are the employees of the same department and period with at least one outgoing attempt (not the
    unassigned manager, who is no person and gets no flags); with
    fewer than var call_pattern_min_peers (3) of them quartiles mean nothing and the flags stay false.
    Used by the mart fct_manager_call_patterns (per month) and by the SQL function
    marts.manager_call_patterns(from, to) (any period: the CLI report and ad-hoc SQL). -#}
{% macro call_pattern_ctes() %}
{%- set high = var('call_pattern_high_quantile', 0.75) -%}
{%- set low = var('call_pattern_low_quantile', 0.25) -%}
{%- set median = var('call_pattern_median_quantile', 0.5) -%}
{%- set min_peers = var('call_pattern_min_peers', 3) -%}
rated as (
    select
        *,
        {{ connect_rate('calls_outgoing_connected', 'calls_outgoing') }} as connect_rate,
        {{ average_talk_seconds('talk_seconds_connected', 'calls_connected') }} as average_talk_seconds
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
    -- the unassigned manager is nobody's peer (macros/reports/unassigned.sql)
    where calls_outgoing > 0 and manager_id <> {{ unassigned_manager_id() }}
    group by 1, 2
),

call_patterns as (
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
        rated.connect_rate,
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
            and rated.manager_id <> {{ unassigned_manager_id() }}
            and rated.calls_outgoing > 0
            and rated.calls_outgoing >= department_thresholds.outgoing_high
            and rated.connect_rate <= department_thresholds.connect_rate_low,
            false
        ) as dials_a_lot_rarely_connects,
        coalesce(
            department_thresholds.peers >= {{ min_peers }}
            and rated.manager_id <> {{ unassigned_manager_id() }}
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
{%- endmacro %}


{#- marts.manager_call_patterns(p_from, p_to): the pattern flags over any period, from the daily mart. -#}
{% macro create_call_patterns_function(daily_calls) %}
create or replace function {{ daily_calls.schema }}.manager_call_patterns(p_from date, p_to date)
returns table (
    period_start date, manager_id bigint, department_id bigint,
    calls_total bigint, calls_outgoing bigint, calls_outgoing_connected bigint, calls_connected bigint,
    talk_seconds_connected bigint, connect_rate numeric, average_talk_seconds numeric,
    department_peers bigint, department_outgoing_high double precision,
    department_connect_rate_low double precision, department_connected_median double precision,
    department_talk_seconds_low double precision,
    dials_a_lot_rarely_connects boolean, connects_but_cannot_hold boolean
)
language sql stable as $function$
with

per_period as (
    select
        p_from as period_start,
        manager_id::bigint as manager_id,
        department_id::bigint as department_id,
        sum(calls_total)::bigint as calls_total,
        sum(calls_outgoing)::bigint as calls_outgoing,
        sum(calls_outgoing_connected)::bigint as calls_outgoing_connected,
        sum(calls_connected)::bigint as calls_connected,
        sum(talk_seconds_connected)::bigint as talk_seconds_connected
    from {{ daily_calls }}
    where report_date between p_from and p_to
    group by 2, 3
),

{{ call_pattern_ctes() }}

select * from call_patterns
$function$
{% endmacro %}
