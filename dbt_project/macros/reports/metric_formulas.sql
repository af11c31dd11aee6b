{#- The report metrics that are ratios of additive sums, each written once. A macro renders the formula
    inline for dbt models; the post-hooks of the daily marts create the same formula as a SQL function in
    the marts schema (create_metric_functions) for what reads the marts from outside dbt: the Superset
    metrics pass their SUM()s in (any grouping: per manager, day, department), the report functions below
    (report_functions.sql) and through them the CLI and the digests. Averages are sum / count of the
    period, never an average of daily averages; no denominator = NULL ("no data"), never 0. -#}

{% macro average_response_working_minutes(minutes_sum, answered) -%}
({{ minutes_sum }})::numeric / nullif({{ answered }}, 0)
{%- endmacro %}

{#- untouched deals count with the working minutes they have waited so far (docs/metrics.md) -#}
{% macro average_response_incl_untouched(minutes_sum, pending_minutes_sum, deals_created) -%}
(({{ minutes_sum }}) + ({{ pending_minutes_sum }}))::numeric / nullif({{ deals_created }}, 0)
{%- endmacro %}

{% macro connect_rate(outgoing_connected, outgoing) -%}
({{ outgoing_connected }})::numeric / nullif({{ outgoing }}, 0)
{%- endmacro %}

{% macro average_talk_seconds(talk_seconds, connected) -%}
({{ talk_seconds }})::numeric / nullif({{ connected }}, 0)
{%- endmacro %}


{#- The formulas of `names` as immutable SQL functions in `schema` (numeric arguments: SUM() of integer
    columns is numeric or bigint, both cast implicitly). -#}
{% macro create_metric_functions(schema, names) %}
{%- set arguments = {
    'average_response_working_minutes': ['minutes_sum', 'answered'],
    'average_response_incl_untouched': ['minutes_sum', 'pending_minutes_sum', 'deals_created'],
    'connect_rate': ['outgoing_connected', 'outgoing'],
    'average_talk_seconds': ['talk_seconds', 'connected'],
} -%}
{%- set formulas = {
    'average_response_working_minutes': average_response_working_minutes,
    'average_response_incl_untouched': average_response_incl_untouched,
    'connect_rate': connect_rate,
    'average_talk_seconds': average_talk_seconds,
} -%}
{%- for name in names %}
create or replace function {{ schema }}.{{ name }}(
    {%- for argument in arguments[name] %}{{ argument }} numeric{{ ", " if not loop.last }}{% endfor -%}
) returns numeric
language sql immutable parallel safe as $function$
select {{ formulas[name](*arguments[name]) }}
$function$;
{%- endfor %}
{% endmacro %}
