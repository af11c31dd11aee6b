{#- The instant the marts describe ("now" of the data): snapshot_at when given (tests, backfills that must be
    reproducible, benchmarks: a dbt var, or B24OPS_SNAPSHOT_AT in the environment, read as the window's
    bounds are: window_bound below), else the last time ingestion observed a deal or an activity. Overdue
    activities and pending minutes of untouched deals are measured at this instant. -#}
{% macro snapshot_at() -%}
{%- set given = window_bound('snapshot_at') -%}
{%- if given -%}
'{{ given }}'::timestamptz
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
'{{ window_bound("window_start") or "1900-01-01" }}'::timestamptz
{%- endmacro %}

{% macro window_end() -%}
'{{ window_bound("window_end") or "9999-12-31" }}'::timestamptz
{%- endmacro %}

{#- One bound of the window run's window (window_start, window_end; or its instant, snapshot_at), none
    outside a window run. The Dagster asset passes it in the
    environment of its dbt process (B24OPS_WINDOW_START / _END, orchestration/defs/dbt.py: window_env), read
    only when the SQL is run (`execute`): changed --vars make dbt parse the whole project again, and an
    env_var() read while parsing makes it parse again every model that read it, while the window shapes no
    ref, source or config — only the SQL. By hand (tests, benchmarks) the vars window_start / window_end give
    it; the environment wins. docs/decisions.md: "The window reaches dbt in its environment". -#}
{% macro window_bound(name) -%}
    {%- do return((env_var("B24OPS_" ~ name | upper, "") if execute else "") or var(name, none)) -%}
{%- endmacro %}

{#- expr inside the window [window_start, window_end): one predicate for every change set of a window run. -#}
{% macro in_window(expr) -%}
({{ expr }} >= {{ window_start() }} and {{ expr }} < {{ window_end() }})
{%- endmacro %}
