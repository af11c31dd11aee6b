{#- Bitrix24 wire values -> typed SQL (docs/bitrix24-api.md § Value formats). Legacy CRM methods send every
    scalar as a string, empty references as null or '', flags as "Y"/"N", datetimes as ISO-8601 with the
    portal's offset. -#}

{#- "Y"/"N" (also JSON booleans and "1"/"0") -> boolean; NULL stays NULL. -#}
{% macro b24_flag(text_expr) -%}
(case when ({{ text_expr }}) in ('Y', 'true', '1') then true
      when ({{ text_expr }}) in ('N', 'false', '0') then false end)
{%- endmacro %}

{#- An ISO-8601 datetime with offset -> timestamptz (stored in UTC); '' -> NULL. -#}
{% macro b24_timestamp(text_expr) -%}
nullif({{ text_expr }}, '')::timestamptz
{%- endmacro %}

{#- An id or integer sent as a string -> bigint; '', '0'-less empties -> NULL. -#}
{% macro b24_bigint(text_expr) -%}
nullif({{ text_expr }}, '')::bigint
{%- endmacro %}

{#- The first id of a value that user.get sends as a list ([3, 5]), and for a user outside the structure as
    false, "", [] or not at all (docs/bitrix24-api.md § user.get); a lone id is taken as itself. -#}
{% macro b24_first_id(json_expr) -%}
(case jsonb_typeof({{ json_expr }})
      when 'array' then nullif(({{ json_expr }}) ->> 0, '')::bigint
      when 'number' then (({{ json_expr }}) #>> '{}')::bigint
      when 'string' then nullif(({{ json_expr }}) #>> '{}', '')::bigint end)
{%- endmacro %}

{#- The portal-local calendar date of an instant: days of the reports are portal days. -#}
{% macro portal_date(ts_expr) -%}
(({{ ts_expr }}) at time zone '{{ var("portal_time_zone") }}')::date
{%- endmacro %}
