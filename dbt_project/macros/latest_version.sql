{#- The current version of every record of a raw table (see orchestration/warehouse/raw_tables.py):
    the one with the newest change stamp, ties broken by when it was last observed. -#}
{% macro latest_version(raw_relation) -%}
    select distinct on (portal_id, id) *
    from {{ raw_relation }}
    where portal_id = '{{ var("portal_id") }}'
    order by portal_id, id, change_stamp desc nulls last, last_seen_at desc, loaded_at desc
{%- endmacro %}
