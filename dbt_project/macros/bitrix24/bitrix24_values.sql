{#- Bitrix24 wire values -> typed SQL (docs/bitrix24-api.md § Value formats). Legacy CRM methods send every
    scalar as a string, empty references as null or '', flags as "Y"/"N", datetimes as ISO-8601 with the
    portal's offset. -#}

{#- "Y"/"N" (also JSON booleans and "1"/"0") -> boolean; NULL stays NULL. -#}
{% macro b24_flag(text_expr) -%}
(case when ({{ text_expr }}) in ('Y', 'true', '1') then true
      when ({{ text_expr }}) in ('N', 'false', '0') then false end)
{%- endmacro %}

{#- A portal datetime -> timestamptz (stored in UTC); '' -> NULL. One rule, the loader's
    (orchestration/warehouse/values.py portal_datetime): ISO-8601 with an offset as it says; ISO-8601
    without one in the portal's time zone (what the portal means, docs/bitrix24-api.md § Value formats);
    the display format dd.mm.yyyy[ hh:mm[:ss]] day-first in the portal's time zone. The loader quarantines
    anything else, so the last branch (a plain cast) only meets values that would fail loudly.
    The first branch is the form the REST API sends (yyyy-mm-ddThh:mm:ss±hh:mm), recognised by its shape with
    LIKE: a regular expression per value was half of the activities' staging build (docs/benchmarks.md,
    "Staging's full build"). It casts as the offset branch below would. -#}
{% macro b24_timestamp(text_expr) -%}
{%- set value = "btrim(" ~ text_expr ~ ")" -%}
{%- set zone = var("portal_time_zone") -%}
(case
    when ({{ text_expr }}) like '____-__-__T__:__:__+__:__' or ({{ text_expr }}) like '____-__-__T__:__:__-__:__'
        then ({{ text_expr }})::timestamptz
    when nullif({{ value }}, '') is null then null
    when {{ value }} ~ '(Z|[+-]\d{2}:?\d{2})$' then ({{ value }})::timestamptz
    when {{ value }} ~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}'
        then ({{ value }})::timestamp at time zone '{{ zone }}'
    when {{ value }} ~ '^\d{2}\.\d{2}\.\d{4}( \d{2}:\d{2}(:\d{2})?)?$'
        then (to_date(left({{ value }}, 10), 'DD.MM.YYYY')
              + coalesce(nullif(substr({{ value }}, 12), ''), '00:00')::time) at time zone '{{ zone }}'
    else ({{ value }})::timestamptz
end)
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

{#- The select of a staging CTE over `source` (latest_version()): the vendor's fields of its payload as text
    columns named as the vendor names them ("OWNER_ID"), each read once. PostgreSQL has no common
    sub-expressions: an expression named by a CTE is copied wherever later CTEs use its column (a timestamp's
    CASE, a flag tested twice), and each copy of `payload ->> 'F'` searches the jsonb again. So the staging
    models over 10^7 payloads read the fields here, and end the CTE that reads them, and the one that types
    them, with `offset 0`, which keeps PostgreSQL from pulling them up into their readers: each expression is
    computed once per row (the activities' staging select took 23-35 % less time side by side,
    docs/benchmarks.md). -#}
{% macro payload_fields(fields) -%}
    select
        portal_id,
        id,
        {%- for field in fields %}
        payload ->> '{{ field }}' as "{{ field }}",
        {%- endfor %}
        loaded_at,
        last_seen_at
    from source
    offset 0
{%- endmacro %}
