{#- Use the layer's schema name as is (staging, intermediate, marts) instead of dbt's
    "<target schema>_<custom schema>": BI users and the read-only role see stable names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
