{#- Post-hook: a b-tree index of `columns` on the model's table unless it has one on exactly those columns.
    For an index an incremental model gained after its table was created: dbt creates a model's `indexes`
    only with the table, so an existing warehouse would lack it until a full refresh. Checked by columns,
    not by name: in a full refresh the previous table (renamed to a backup, dropped after the hooks) still
    holds its indexes' names. -#}
{% macro create_index_if_missing(columns) -%}
{%- set column_list = columns | join(', ') -%}
do $hook$
begin
    if not exists (
        select 1
        from pg_indexes
        where schemaname = '{{ this.schema }}'
          and tablename = '{{ this.identifier }}'
          and indexdef like '% USING btree ({{ column_list }})'
    ) then
        create index on {{ this }} ({{ column_list }});
    end if;
end
$hook$
{%- endmacro %}
