{#- Pending minutes of an untouched record: the responsible's working minutes from the start of the wait to
    the snapshot, from two look-ups W(u, t) in seconds (macros/working_time). The one formula
    managerControl_Deal and managerControl_Request use, on a fresh row and on a stored one
    (untouched_remeasured below). greatest() skips NULLs in PostgreSQL: an employee without working time
    (W NULL) waits 0 minutes, as a touched record of theirs answers in 0. -#}
{% macro pending_working_minutes(w_snapshot, w_start) -%}
greatest({{ w_snapshot }} - {{ w_start }}, 0) / 60
{%- endmacro %}


{#- An incremental run of a per-record report-1 mart (the model's `this`) re-derives the records whose
    inputs changed in the window (`changed_ids`, a SELECT of ids). An untouched record outside that set has
    nothing new but the wait: its pending minutes grow with the snapshot. This SELECT gives those records'
    stored rows, column for column as the table holds them, with pending_working_minutes re-measured from
    the stored start of the wait (`start_column`) to this run's snapshot, and snapshot_at set to it — the
    row a full refresh at this snapshot computes, for two look-ups a row instead of re-deriving the
    record's first touch, backlog and dictionary joins (docs/decisions.md, "Untouched records:
    re-measured, not re-derived"). `columns`: the table's column names, in its order;
    final_with_untouched_remeasured selects the same list from the fresh rows, so the union matches by
    name, not by chance. The caller's CTE `snapshot` (one row, snapshot_at) is this run's instant, as its
    fresh rows use it. -#}
{% macro untouched_remeasured(columns, id_column, start_column, changed_ids) -%}
select
    {%- for column in columns %}
    {% if column == 'pending_working_minutes' -%}
    {{ pending_working_minutes(working_seconds_at('wt_snapshot', 'snapshot.snapshot_at'),
                               working_seconds_at('wt_start', 'stored.' ~ start_column)) }}
        as pending_working_minutes
    {%- elif column == 'snapshot_at' -%}
    snapshot.snapshot_at
    {%- else -%}
    stored.{{ adapter.quote(column) }}
    {%- endif %}{{ ',' if not loop.last }}
    {%- endfor %}
from {{ this }} as stored
cross join snapshot
{{ working_time_join('wt_start', 'stored.responsible_id', 'stored.' ~ start_column) }}
{{ working_time_join('wt_snapshot', 'stored.responsible_id', 'snapshot.snapshot_at') }}
where stored.is_untouched
  -- an anti-join (hashed once), not "not in" (NULL ids would empty it) nor "<> all" (an array scan per row)
  and not exists (select from ({{ changed_ids }}) as changed (id) where changed.id = stored.{{ id_column }})
{%- endmacro %}


{#- The model's last SELECT: its CTE `final`, and in an incremental run the untouched records outside its
    change set (`changed_ids`) with their waits re-measured (untouched_remeasured). -#}
{% macro final_with_untouched_remeasured(id_column, start_column, changed_ids) -%}
{%- if is_incremental() -%}
{%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
select
    {%- for column in columns %} {{ adapter.quote(column) }}{{ ',' if not loop.last }}{% endfor %}
from final
union all
{{ untouched_remeasured(columns, id_column, start_column, changed_ids) }}
{%- else -%}
select * from final
{%- endif -%}
{%- endmacro %}
