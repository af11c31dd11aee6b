{#- dbt's documented hook for dynamic test filters (overrides dbt's get_where_subquery). A data test on a
    large incremental model configured with where: "written_by_last_run" checks only the rows the model's
    last build wrote (column staged_at, macros/latest_version.sql): every row on a full build, the day's
    changes on a daily run, so the daily run's tests cost what its changes cost. Duplicates against older
    rows cannot slip through: those models also have a unique index on their key. Any other where is
    applied as dbt applies it. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where == 'written_by_last_run' -%}
        {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
        {#- a small staging view has no staged_at: it is tested whole -#}
        {%- set where = 'staged_at = (select max(staged_at) from ' ~ relation ~ ')'
            if 'staged_at' in columns else none -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
