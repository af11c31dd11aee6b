{#- Use the layer's schema name as is (staging, intermediate, marts) instead of dbt's
    "<target schema>_<custom schema>": BI users and the read-only role see stable names.
    The marts go to the `marts_schema` var when it is set: the pipeline builds them in a candidate schema
    and publishes them into `marts` only when the whole build passed (orchestration/warehouse/publish.py). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}
    {%- elif custom_schema_name | trim == 'marts' -%}{{ var('marts_schema', 'marts') }}
    {%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
