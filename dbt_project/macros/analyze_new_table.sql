{#- Post-hook of every model (dbt_project.yml): statistics for a table the build has just created. Its
    data tests run right after, before autovacuum gets to it, and without statistics PostgreSQL plans a
    GROUP BY for 200 groups: on int_deals_activities_summarised (370,000 rows written in hash order) the
    unique test's parallel hash aggregate spilled into 40,959 batches and took 25–58 s instead of 0.1 s
    (docs/benchmarks.md, "Daily incremental run"). Views have no statistics; incremental models keep
    theirs between runs (their large ones are analysed by their own post-hooks or by autovacuum). -#}
{% macro analyze_new_table() -%}
    {%- if config.get('materialized') == 'table' -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
