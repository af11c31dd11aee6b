{#- Working time of an employee, answered from int_working_intervals with one index probe per call.

    working_seconds_until(user, t) = W(user, t): working seconds of the user from the calendar start
    up to instant t = cum_seconds_before(i) + clamp(t - start(i), 0, length(i)) for the last interval i
    starting at or before t. 0 before the user's first interval; NULL when t is NULL or the user has
    no working interval at all (unknown user). Durations are differences: W(u, t2) - W(u, t1). -#}
{% macro working_seconds_until(user_id_expr, ts_expr) -%}
(case when ({{ ts_expr }}) is not null then coalesce(
    (select wi.cum_seconds_before + least(
                greatest(extract(epoch from ({{ ts_expr }})) - extract(epoch from wi.interval_start), 0),
                wi.interval_seconds)
     from {{ ref('int_working_intervals') }} as wi
     where wi.user_id = ({{ user_id_expr }}) and wi.interval_start <= ({{ ts_expr }})
     order by wi.interval_start desc
     limit 1),
    (select 0 from {{ ref('int_working_intervals') }} as wi where wi.user_id = ({{ user_id_expr }}) limit 1)
) end)
{%- endmacro %}


{#- W(user, t) in minutes (numeric, fractional: seconds / 60). -#}
{% macro working_minutes_until(user_id_expr, ts_expr) -%}
({{ working_seconds_until(user_id_expr, ts_expr) }} / 60)
{%- endmacro %}


{#- Working minutes of the user from start to end, 0 when end < start (bad data: the caller flags it
    with `end < start`; W is monotone, so only then can the difference be negative). NULL when either
    instant is NULL or the user is unknown. -#}
{% macro working_minutes_between(user_id_expr, start_expr, end_expr) -%}
(case
    when ({{ end_expr }}) < ({{ start_expr }}) then 0 * {{ working_seconds_until(user_id_expr, start_expr) }}
    else {{ working_seconds_until(user_id_expr, end_expr) }} - {{ working_seconds_until(user_id_expr, start_expr) }}
end / 60)
{%- endmacro %}
