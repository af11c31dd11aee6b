{#- Post-hook: the model's GIN indexes take each new entry into the index itself (fastupdate off) and hold
    none pending. With PostgreSQL's default pending list, a window run's inserts queue up unsorted, and every
    probe of the next run reads the whole queue: after two window runs on the 500 x 3 benchmark
    int_request_chains' index held 82 k pending entries (206 pages), each `deal_ids @> ...` probe took 4 ms,
    and the one-day run's 24 k probes 99.7 s (docs/benchmarks.md). An index that still has a queue (a
    warehouse built before this hook) is flushed once. -#}
{% macro gin_without_pending_list() -%}
do $hook$
declare
    gin_index regclass;
begin
    for gin_index in
        select pg_index.indexrelid::regclass
        from pg_index
        join pg_class on pg_class.oid = pg_index.indexrelid
        join pg_am on pg_am.oid = pg_class.relam
        where pg_index.indrelid = format('%I.%I', '{{ this.schema }}', '{{ this.identifier }}')::regclass
          and pg_am.amname = 'gin'
          and not coalesce('fastupdate=off' = any(pg_class.reloptions), false)
    loop
        execute format('alter index %s set (fastupdate = off)', gin_index);
        perform gin_clean_pending_list(gin_index);
    end loop;
end
$hook$
{%- endmacro %}
