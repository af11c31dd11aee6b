{#- The connect rate, in one place: connected outgoing attempts / outgoing attempts, a fraction 0–1, NULL
    without attempts. Incoming calls are in neither term (an answered incoming call is not the employee
    reaching a client). Rendered inline by the pattern rule (call_patterns.sql) and wrapped as the SQL
    function marts.connect_rate(outgoing_connected, outgoing_attempts), which the Superset metrics call
    over their sums, so no reader restates the formula. -#}
{% macro connect_rate(outgoing_connected, outgoing_attempts) -%}
    ({{ outgoing_connected }})::numeric / nullif({{ outgoing_attempts }}, 0)
{%- endmacro %}


{% macro create_connect_rate_function(schema) %}
create or replace function {{ schema }}.connect_rate(outgoing_connected numeric, outgoing_attempts numeric)
returns numeric
language sql immutable as $function$
    select {{ connect_rate('outgoing_connected', 'outgoing_attempts') }}
$function$
{% endmacro %}
