{#- A span of portal days [from, to) from two date expressions; to NULL = still lasting (unbounded), a
    to before from (bad stamps) = empty. -#}
{% macro day_span(from_expr, to_expr) -%}
(case when ({{ to_expr }}) is null then daterange({{ from_expr }}, null)
      else daterange({{ from_expr }}, greatest({{ to_expr }}, {{ from_expr }})) end)
{%- endmacro %}

{#- The first portal day whose backlog a window run re-computes: the window's first day minus var
    backlog_lookback_days (default 14, as first_touch_lookback_days: a run moves the estimated completion
    of the activities it sees done, which lies after their last sighting open — the previous run — unless
    the data reached the warehouse late; see docs/decisions.md). Outside an incremental run: every day. -#}
{% macro backlog_window_start() -%}
{%- if is_incremental() -%}
({{ portal_date(window_start()) }} - {{ var('backlog_lookback_days', 14) }})
{%- else -%}
'-infinity'::date
{%- endif -%}
{%- endmacro %}
