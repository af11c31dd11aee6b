{#- The current version of every record of a raw table (see orchestration/warehouse/raw_tables.py):
    the one with the newest change stamp, ties broken by when it was last observed. Records that the
    reconciliation sweep found deleted after their last sighting are left out. -#}
{% macro latest_version(raw_relation) -%}
    select distinct on (versions.portal_id, versions.id) versions.*
    from {{ raw_relation }} as versions
    where versions.portal_id = '{{ var("portal_id") }}'
      and not exists (
          select 1
          from {{ source('bitrix24', 'deletions') }} as deletions
          where deletions.portal_id = versions.portal_id
            and deletions.entity = '{{ raw_relation.identifier }}'
            and deletions.id = versions.id
            and deletions.detected_at > versions.last_seen_at
      )
    order by versions.portal_id, versions.id,
             versions.change_stamp desc nulls last, versions.last_seen_at desc, versions.loaded_at desc
{%- endmacro %}
