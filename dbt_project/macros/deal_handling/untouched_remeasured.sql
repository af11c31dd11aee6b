{#- Pending minutes of an untouched record: the responsible's working minutes from the start of the wait to
    the snapshot, from two look-ups W(u, t) in seconds (macros/working_time). The one formula
    managerControl_Deal and managerControl_Request use, on a fresh row and on a stored one
    (untouched_remeasured below). Every responsible has a calendar: an employee their own, a user the portal
    does not list and the unassigned manager (no responsible) the portal's default one (calendar_users).
    greatest() skips NULLs in PostgreSQL: W is NULL only for a calendar without a single working day. -#}
{% macro pending_working_minutes(w_snapshot, w_start) -%}
greatest({{ w_snapshot }} - {{ w_start }}, 0) / 60
{%- endmacro %}


{#- An incremental run of a per-record report-1 mart (the model's `this`) re-derives the records whose
    inputs changed in the window (`changed_ids`, a SELECT of ids). An untouched record outside that set has
    nothing new but the wait: its pending minutes grow with the snapshot. This SELECT gives those records
    whose wait moved, from their stored rows, column for column as the table holds them, with
    pending_working_minutes re-measured from the stored start of the wait (`start_column`) to this run's
    snapshot, and snapshot_at set to it — the row a full refresh at this snapshot computes, for two
    look-ups a row instead of re-deriving the record's first touch, backlog and dictionary joins
    (docs/decisions.md, "Untouched records: re-measured, not re-derived"). A wait that did not move (no
    working time of the responsible since the stored row's snapshot: a night run) keeps the stored row.
    `columns`: the table's column names, in its order; final_with_untouched_remeasured selects the same
    list from the fresh rows, so the union matches by name, not by chance. The caller's CTE `snapshot` (one
    row, snapshot_at) is this run's instant, as its fresh rows use it. -#}
{% macro untouched_remeasured(columns, id_column, start_column, changed_ids) -%}
select
    {%- for column in columns %}
    {% if column == 'pending_working_minutes' -%}
    remeasured.remeasured_pending_working_minutes as pending_working_minutes
    {%- elif column == 'snapshot_at' -%}
    remeasured.remeasured_snapshot_at as snapshot_at
    {%- else -%}
    remeasured.{{ adapter.quote(column) }}
    {%- endif %}{{ ',' if not loop.last }}
    {%- endfor %}
from (
    select
        stored.*,
        {{ pending_working_minutes(working_seconds_at('wt_snapshot', 'snapshot.snapshot_at'),
                                   working_seconds_at('wt_start', 'stored.' ~ start_column)) }}
            as remeasured_pending_working_minutes,
        snapshot.snapshot_at as remeasured_snapshot_at
    from {{ this }} as stored
    cross join snapshot
    {{ working_time_join('wt_start', manager_or_unassigned('stored.responsible_id'), 'stored.' ~ start_column) }}
    {{ working_time_join('wt_snapshot', manager_or_unassigned('stored.responsible_id'), 'snapshot.snapshot_at') }}
    where stored.is_untouched
      -- an anti-join (hashed once), not "not in" (NULL ids would empty it) nor "<> all" (an array scan per row)
      and not exists (select from ({{ changed_ids }}) as changed (id) where changed.id = stored.{{ id_column }})
) as remeasured
where remeasured.remeasured_pending_working_minutes is distinct from remeasured.pending_working_minutes
{%- endmacro %}


{#- The model's last SELECT: its CTE `final`, and in an incremental run the untouched records outside its
    change set (`changed_ids`) whose waits moved (untouched_remeasured) — only the rows that differ from the
    stored ones, snapshot_at aside. A re-derived record whose row came out as stored (most of the change
    set: a planned call due today on a deal created last year) keeps its row and the snapshot_at of the run
    that last changed it; its values hold at this snapshot too. Writing only what changed keeps a quiet
    run's delete+insert, and the rows the publish step copies (orchestration/warehouse/slices.py), to the
    records that moved. -#}
{% macro final_with_untouched_remeasured(id_column, start_column, changed_ids) -%}
{%- if is_incremental() -%}
{%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
{%- set compared = columns | reject('equalto', 'snapshot_at') | list -%}
select
    {%- for column in columns %} fresh.{{ adapter.quote(column) }}{{ ',' if not loop.last }}{% endfor %}
from final as fresh
where not exists (
    select
    from {{ this }} as stored
    where stored.{{ id_column }} = fresh.{{ id_column }}
      and ({% for column in compared %}stored.{{ adapter.quote(column) }}{{ ', ' if not loop.last }}{% endfor %})
          is not distinct from
          ({% for column in compared %}fresh.{{ adapter.quote(column) }}{{ ', ' if not loop.last }}{% endfor %})
)
union all
{{ untouched_remeasured(columns, id_column, start_column, changed_ids) }}
{%- else -%}
select * from final
{%- endif -%}
{%- endmacro %}
