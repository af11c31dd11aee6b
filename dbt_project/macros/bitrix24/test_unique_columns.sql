{#- Generic data test: no two rows share the same values of `columns` (a composite key such as
    report_date × manager_id). The project has no package dependencies, so not dbt_utils'. -#}
{% test unique_columns(model, columns) %}
select {{ columns | join(', ') }}, count(*) as duplicates
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
