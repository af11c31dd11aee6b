{#- How durations read, in one place (#19 point 4): working time (response, wait) as h:mm, talk time as
    h:mm:ss — one unit per kind, whatever the size (8,832 working minutes reads 147:12). Text made from the
    exact numbers, so a reader gets the same value everywhere: the SQL functions marts.hours_minutes and
    marts.hours_minutes_seconds, created by the daily marts' post-hooks, are what the Superset metrics wrap
    around their sum / count. Superset's tables sort such text naturally (9:30 before 10:05). NULL stays
    NULL (no data, not 0:00). -#}
{% macro hours_minutes(minutes) -%}
    case when ({{ minutes }}) is not null then
        to_char(floor(round({{ minutes }}) / 60), 'FM999999990') || ':'
        || to_char(mod(round({{ minutes }}), 60), 'FM00')
    end
{%- endmacro %}


{% macro hours_minutes_seconds(seconds) -%}
    case when ({{ seconds }}) is not null then
        to_char(floor(round({{ seconds }}) / 3600), 'FM999999990') || ':'
        || to_char(mod(floor(round({{ seconds }}) / 60), 60), 'FM00') || ':'
        || to_char(mod(round({{ seconds }}), 60), 'FM00')
    end
{%- endmacro %}


{% macro create_duration_functions(schema) %}
create or replace function {{ schema }}.hours_minutes(minutes numeric)
returns text
language sql immutable as $function$
    select {{ hours_minutes('minutes') }}
$function$;
create or replace function {{ schema }}.hours_minutes_seconds(seconds numeric)
returns text
language sql immutable as $function$
    select {{ hours_minutes_seconds('seconds') }}
$function$
{% endmacro %}
