{#- Working time of an employee, answered from int_working_time_lookup (one row per employee and UTC day).

    W(user, t) = working seconds of the user from the calendar start up to instant t; 0 before the
    calendar, the user's total after it; NULL when t is NULL or the user has no working time at all
    (unknown user). Durations are differences: W(u, t2) - W(u, t1). Semantics: docs/working_time.md.

    Two call shapes:
    * set-based (fast, for models over many rows): one `working_time_join` per instant in the FROM
      clause, then `working_seconds_at` / `working_minutes_between_at` in the SELECT list. The join is an
      equi-join on (user_id, UTC day of t), which PostgreSQL answers with a hash join;
    * scalar (`working_seconds_until`, `working_minutes_until`, `working_minutes_between`): the same
      look-up as a correlated sub-query (a unique-index probe per instant), for a handful of rows. -#}


{#- The UTC day an instant falls in: the look-up key. Pure arithmetic, no time zone. -#}
{% macro working_time_bucket(ts_expr) -%}
date_bin('1 day', {{ ts_expr }}, timestamptz '2000-01-01 00:00:00+00')
{%- endmacro %}


{#- The key for t, with t moved into the calendar's range first, so that an instant before (after) the
    calendar finds the user's first (last) day and W comes out as 0 (the total); NULL for a NULL t (a
    CASE, as greatest/least would skip the NULL). All users share the range; its ends are the first and
    last entries of the unique index (one-time InitPlans). -#}
{% macro _working_time_key(ts_expr) -%}
{%- set lookup = ref('int_working_time_lookup') -%}
{%- set first_bucket = "(select k.bucket from " ~ lookup ~ " as k order by k.user_id, k.bucket limit 1)" -%}
{%- set last_bucket = "(select k.bucket from " ~ lookup ~ " as k order by k.user_id desc, k.bucket desc limit 1)" -%}
(case
    when {{ ts_expr }} < {{ first_bucket }} then {{ first_bucket }}
    when {{ ts_expr }} >= {{ last_bucket }} then {{ last_bucket }}
    else {{ working_time_bucket(ts_expr) }}
end)
{%- endmacro %}


{#- FROM-clause fragment: `left join` of the look-up row of (user, t) as `alias`. No row (all columns
    NULL) when the user is unknown or t is NULL; never more than one row. -#}
{% macro working_time_join(alias, user_id_expr, ts_expr) -%}
left join {{ ref('int_working_time_lookup') }} as {{ alias }}
    on {{ alias }}.user_id = ({{ user_id_expr }})
    and {{ alias }}.bucket = {{ _working_time_key('(' ~ ts_expr ~ ')') }}
{%- endmacro %}


{#- W(user, t) as an interval, from the joined look-up row `alias` (exact to the microsecond; only
    differences and extract(epoch) are taken from it, so its day part never meets a time zone). -#}
{% macro working_time_at(alias, ts_expr) -%}
(case
    when ({{ ts_expr }}) < {{ alias }}.start_2
        then least(greatest(({{ ts_expr }}), {{ alias }}.start_1), {{ alias }}.end_1) - {{ alias }}.anchor_1
    when {{ alias }}.more_starts is null or ({{ ts_expr }}) < {{ alias }}.more_starts[1]
        then least(({{ ts_expr }}), {{ alias }}.end_2) - {{ alias }}.anchor_2
    else (
        select least(({{ ts_expr }}), m.piece_end) - m.anchor
        from unnest({{ alias }}.more_starts, {{ alias }}.more_ends, {{ alias }}.more_anchors)
            as m (piece_start, piece_end, anchor)
        where m.piece_start <= ({{ ts_expr }})
        order by m.piece_start desc
        limit 1
    )
end)
{%- endmacro %}


{#- W(user, t) in seconds (numeric, exact) from the joined look-up row `alias`. -#}
{% macro working_seconds_at(alias, ts_expr) -%}
extract(epoch from {{ working_time_at(alias, ts_expr) }})
{%- endmacro %}


{#- Working minutes from start to end (fractional), 0 when end < start (bad data: flag it with
    `end < start`), NULL when either instant is NULL or the user unknown; from two joined rows. -#}
{% macro working_minutes_between_at(start_alias, start_expr, end_alias, end_expr) -%}
(case
    when ({{ end_expr }}) < ({{ start_expr }}) then 0 * extract(epoch from {{ working_time_at(start_alias, start_expr) }})
    else extract(epoch from {{ working_time_at(end_alias, end_expr) }} - {{ working_time_at(start_alias, start_expr) }})
end / 60)
{%- endmacro %}


{#- Scalar form of W(user, t) in seconds: one unique-index probe on (user_id, bucket). -#}
{% macro working_seconds_until(user_id_expr, ts_expr) -%}
(select {{ working_seconds_at('wt', ts_expr) }}
 from {{ ref('int_working_time_lookup') }} as wt
 where wt.user_id = ({{ user_id_expr }}) and wt.bucket = {{ _working_time_key('(' ~ ts_expr ~ ')') }})
{%- endmacro %}


{#- W(user, t) in minutes (numeric, fractional: seconds / 60). -#}
{% macro working_minutes_until(user_id_expr, ts_expr) -%}
({{ working_seconds_until(user_id_expr, ts_expr) }} / 60)
{%- endmacro %}


{#- Scalar form of working_minutes_between_at: W is monotone, so only end < start can go negative. -#}
{% macro working_minutes_between(user_id_expr, start_expr, end_expr) -%}
(case
    when ({{ end_expr }}) < ({{ start_expr }}) then 0 * {{ working_seconds_until(user_id_expr, start_expr) }}
    else {{ working_seconds_until(user_id_expr, end_expr) }} - {{ working_seconds_until(user_id_expr, start_expr) }}
end / 60)
{%- endmacro %}


{#- The inverse of W: the first instant at which employee u has worked `seconds` (W(u, t) = seconds), from
    int_working_intervals — the interval whose running total passes `seconds` (cum_seconds_before < seconds
    <= cum_seconds_before + interval_seconds), then the rest inside it. So the instant lies in the employee's
    working time (an interval's end when the total is reached exactly there). NULL when the calendar ends
    first or the employee has no working time. An employee's intervals are disjoint and non-empty, so the
    running total before them rises strictly with their start: the interval is the one with the largest
    cum_seconds_before below `seconds`, if the total reaches `seconds` inside it — one seek on the
    (user_id, cum_seconds_before) index, however far the instant lies from the calendar's end (a backward scan
    by interval_start walked every interval after it). For a handful of rows (the open untouched requests of
    the SLA alerts), not for every deal. -#}
{% macro working_time_instant(user_id_expr, seconds_expr) -%}
(select case
     when i.cum_seconds_before + i.interval_seconds >= ({{ seconds_expr }})
         then i.interval_start + (({{ seconds_expr }}) - i.cum_seconds_before) * interval '1 second'
 end
 from {{ ref('int_working_intervals') }} as i
 where i.user_id = ({{ user_id_expr }})
   and i.cum_seconds_before < ({{ seconds_expr }})
 order by i.cum_seconds_before desc
 limit 1)
{%- endmacro %}
