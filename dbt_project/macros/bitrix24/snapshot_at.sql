{#- The instant the marts describe ("now" of the data): dbt var snapshot_at when given (tests, backfills
    that must be reproducible), else the last time ingestion observed a deal or an activity. Overdue
    activities and pending minutes of untouched deals are measured at this instant. -#}
{% macro snapshot_at() -%}
{%- if var('snapshot_at', none) -%}
'{{ var("snapshot_at") }}'::timestamptz
{%- else -%}
(select max(seen.last_seen_at) from (
    select last_seen_at from {{ source('bitrix24', 'deals') }} where portal_id = '{{ var("portal_id") }}'
    union all
    select last_seen_at from {{ source('bitrix24', 'activities') }} where portal_id = '{{ var("portal_id") }}'
) as seen)
{%- endif -%}
{%- endmacro %}

{#- The incremental window [window_start, window_end) as timestamptz literals; the defaults mean "everything". -#}
{% macro window_start() -%}
'{{ var("window_start", "1900-01-01") }}'::timestamptz
{%- endmacro %}

{% macro window_end() -%}
'{{ var("window_end", "9999-12-31") }}'::timestamptz
{%- endmacro %}

{#- expr inside the window [window_start, window_end): one predicate for every change set of a window run. -#}
{% macro in_window(expr) -%}
({{ expr }} >= {{ window_start() }} and {{ expr }} < {{ window_end() }})
{%- endmacro %}
