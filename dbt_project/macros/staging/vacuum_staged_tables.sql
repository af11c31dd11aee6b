{#- on-run-end (dbt_project.yml): VACUUM the staging tables this invocation built, once nothing else of the
    build runs. The intermediate models read staging by index-only scans, which visit the table for every
    page whose visibility-map bit is not set; only a vacuum sets it, and only for rows every open
    transaction can see. So a vacuum during the build marks nothing while dbt's other thread holds a
    snapshot: on the 500 x 3 benchmark an autovacuum that ran beside a full build left activities, calls,
    stage history and leads at 0 % all-visible, and reset their counters, so none came for weeks of daily
    runs; int_deals_activities_summarised took 4.6-6.7 s instead of 0.25-0.41 s (docs/benchmarks.md,
    session 18). Here every thread has finished, and the Dagster job builds the windowed models after this
    invocation. After a full build the vacuum reads every page once (4.2 s there); after a daily one the
    pages the day changed (0.8-3.2 s), and with the default INDEX_CLEANUP AUTO it leaves the indexes alone
    until 2 % of a table's pages hold dead rows (then 13 s, in one run of twelve measured). Left to
    autovacuum instead, the windowed builds were slower (median 45 s against 30 s; docs/decisions.md).
    One statement for all the tables: VACUUM cannot run inside the implicit transaction of several. -#}
{% macro vacuum_staged_tables(results) -%}
    {%- set built = [] -%}
    {%- for result in results
            if result.status == 'success'
            and result.node.resource_type == 'model'
            and result.node.fqn[1] == 'staging'
            and result.node.config.materialized in ('table', 'incremental') -%}
        {%- do built.append(result.node.relation_name) -%}
    {%- endfor -%}
    {%- if built -%}
        vacuum {{ built | sort | join(', ') }}
    {%- endif -%}
{%- endmacro %}
