{#- dbt's documented hook for dynamic test filters (overrides dbt's get_where_subquery). Data tests
    configured with where: "written_by_last_run" (dbt_project.yml: every folder) check the
    rows the model's last build wrote, so that a daily run's tests cost what its changes cost and a full
    build still tests every row. The rows are found by a column the incremental models stamp:
      staged_at     staging tables, contacts and first touches: when the build wrote the row
                    (macros/latest_version.sql)
      snapshot_at   managerControl_Deal and the backlog snapshots: the instant the run measured
      started_at    the calls mart, in a window run: the calls it re-derived (the window and one day before)
    The bound is read first and inlined as a literal, so the filter is an index range scan. Models without
    such a column are small (per manager and day) and are tested whole; duplicates against older rows
    cannot slip through the scoped tests either: those tables have a unique index on their key. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where == 'written_by_last_run' -%}
        {%- set where = written_by_last_run(relation) -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{% macro written_by_last_run(relation) -%}
    {%- if not execute -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
    {%- for marker in ['staged_at', 'snapshot_at'] if marker in columns -%}
        {%- if loop.first -%}
            {%- set newest = run_query('select max(' ~ marker ~ ')::text from ' ~ relation).columns[0].values()[0] -%}
            {%- do return(marker ~ " = '" ~ newest ~ "'::timestamptz" if newest else none) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if 'started_at' in columns and window_bound('window_start') -%}
        {%- do return("started_at >= " ~ window_start() ~ " - interval '1 day' and started_at < " ~ window_end()) -%}
    {%- endif -%}
    {%- do return(none) -%}
{%- endmacro %}
