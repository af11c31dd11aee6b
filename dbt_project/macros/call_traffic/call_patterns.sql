{#- The report-2 pattern rule, in one place. Given a CTE `per_period` (period_start, manager_id,
    department_id, calls_total, calls_outgoing, calls_outgoing_connected, calls_connected,
    talk_seconds_connected), renders the CTEs `rated`, `department_thresholds`, `flagged` and
    `call_patterns`. Each flag needs the peer rule (quartiles within the department) AND an absolute limit,
    so a manager who is merely the weakest of a strong department is not flagged:
      dials_a_lot_rarely_connects   outgoing attempts in the department's top quartile, connect rate in its
                                    bottom quartile and below var call_pattern_connect_rate_ceiling (0.30)
      connects_but_cannot_hold      connected calls at or above the department's median, average talk time
                                    in its bottom quartile and below var call_pattern_talk_seconds_floor
                                    (60 s), and not dials_a_lot_rarely_connects: a manager who rarely
                                    connects has the earlier problem, and "connects" would contradict it
    Peers are the employees of the same department and period with at least one outgoing attempt (not the
    unassigned manager, who is no person and gets no flags); with
    fewer than var call_pattern_min_peers (3) of them quartiles mean nothing and the flags stay false.
    pattern_reason says why, with the numbers; is_flagged sorts the flagged first.
    Used by the mart fct_manager_call_patterns (per month) and by the SQL function
    marts.manager_call_patterns(from, to) (any period: the CLI report and ad-hoc SQL). -#}
{% macro call_pattern_ctes() %}
{%- set high = var('call_pattern_high_quantile', 0.75) -%}
{%- set low = var('call_pattern_low_quantile', 0.25) -%}
{%- set median = var('call_pattern_median_quantile', 0.5) -%}
{%- set min_peers = var('call_pattern_min_peers', 3) -%}
{%- set rate_ceiling = var('call_pattern_connect_rate_ceiling', 0.30) -%}
{%- set talk_floor = var('call_pattern_talk_seconds_floor', 60) -%}
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

flagged as (
    select
        rated.*,
        department_thresholds.peers,
        department_thresholds.outgoing_high,
        department_thresholds.connect_rate_low,
        department_thresholds.connected_median,
        department_thresholds.talk_seconds_low,
        coalesce(
            department_thresholds.peers >= {{ min_peers }}
            and rated.manager_id <> {{ unassigned_manager_id() }}
            and rated.calls_outgoing > 0
            and rated.calls_outgoing >= department_thresholds.outgoing_high
            and rated.connect_rate <= department_thresholds.connect_rate_low
            and rated.connect_rate < {{ rate_ceiling }},
            false
        ) as rarely_connects,
        coalesce(
            department_thresholds.peers >= {{ min_peers }}
            and rated.manager_id <> {{ unassigned_manager_id() }}
            and rated.calls_connected > 0
            and rated.calls_connected >= department_thresholds.connected_median
            and rated.average_talk_seconds <= department_thresholds.talk_seconds_low
            and rated.average_talk_seconds < {{ talk_floor }},
            false
        ) as cannot_hold
    from rated
    left join department_thresholds
        on department_thresholds.period_start = rated.period_start
        and department_thresholds.department_id is not distinct from rated.department_id
),

call_patterns as (
    select
        -- keys
        period_start,
        manager_id,
        department_id,

        -- measures
        calls_total,
        calls_outgoing,
        calls_outgoing_connected,
        calls_connected,
        talk_seconds_connected,
        connect_rate,
        round(average_talk_seconds, 1) as average_talk_seconds,

        -- the department's thresholds
        peers as department_peers,
        outgoing_high as department_outgoing_high,
        connect_rate_low as department_connect_rate_low,
        connected_median as department_connected_median,
        talk_seconds_low as department_talk_seconds_low,

        -- flags: exclusive, rarely connecting takes precedence
        rarely_connects as dials_a_lot_rarely_connects,
        cannot_hold and not rarely_connects as connects_but_cannot_hold,
        rarely_connects or cannot_hold as is_flagged,
        case
            when rarely_connects then format(
                'dials a lot, rarely connects: outgoing %s (department top quartile from %s), connect rate %s %% '
                '(bottom quartile up to %s %%, limit < %s %%)',
                calls_outgoing, round(outgoing_high::numeric, 1),
                round(100 * connect_rate, 1), round(100 * connect_rate_low::numeric, 1),
                round(100 * {{ rate_ceiling }}, 1)
            )
            when cannot_hold then format(
                'connects but cannot hold: connected %s (department median %s), average talk %s s '
                '(bottom quartile up to %s s, limit < %s s)',
                calls_connected, round(connected_median::numeric, 1),
                round(average_talk_seconds, 1), round(talk_seconds_low::numeric, 1), {{ talk_floor }}
            )
        end as pattern_reason
    from flagged
)
{%- endmacro %}


{#- marts.manager_call_patterns(p_from, p_to): the pattern flags over any period, from the daily mart. -#}
{% macro create_call_patterns_function(daily_calls) %}
{#- its columns change with the rule, and "create or replace" cannot change a function's result type -#}
drop function if exists {{ daily_calls.schema }}.manager_call_patterns(date, date);
create function {{ daily_calls.schema }}.manager_call_patterns(p_from date, p_to date)
returns table (
    period_start date, manager_id bigint, department_id bigint,
    calls_total bigint, calls_outgoing bigint, calls_outgoing_connected bigint, calls_connected bigint,
    talk_seconds_connected bigint, connect_rate numeric, average_talk_seconds numeric,
    department_peers bigint, department_outgoing_high double precision,
    department_connect_rate_low double precision, department_connected_median double precision,
    department_talk_seconds_low double precision,
    dials_a_lot_rarely_connects boolean, connects_but_cannot_hold boolean, is_flagged boolean,
    pattern_reason text
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
