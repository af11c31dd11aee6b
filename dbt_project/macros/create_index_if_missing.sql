{#- Post-hook: a b-tree index of `columns` on the model's table unless it has one on exactly those columns.
    Given `where`, a partial index of the rows matching that predicate, unless the table has a partial index
    on those columns, whatever its predicate: PostgreSQL prints a predicate in its own form (casts and
    parentheses added), which the `where` a model passes, often a rule's macro, does not match as text.
    For an index an incremental model gained after its table was created: dbt creates a model's `indexes`
    only with the table, so an existing warehouse would lack it until a full refresh. Checked by columns,
    not by name: in a full refresh the previous table (renamed to a backup, dropped after the hooks) still
    holds its indexes' names. Read from pg_index by this table's oid, not from the pg_indexes view: the
    view may print other tables' index definitions before filtering by table, and dbt's other thread may
    drop one of them meanwhile ("could not open relation with OID"). -#}
{% macro create_index_if_missing(columns, where=none) -%}
{%- set column_list = columns | join(', ') -%}
do $hook$
begin
    if not exists (
        select 1
        from pg_index
        where indrelid = '{{ this }}'::regclass
          and pg_get_indexdef(indexrelid) like '% USING btree ({{ column_list }}){% if where %} WHERE %{% endif %}'
    ) then
        create index on {{ this }} ({{ column_list }}){% if where %} where {{ where }}{% endif %};
    end if;
end
$hook$
{%- endmacro %}
