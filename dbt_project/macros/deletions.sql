{#- The post-hook of an incremental staging model: drop the records the reconciliation sweep found deleted
    after their last sighting. delete+insert only replaces the ids it re-derives, and a deleted record has
    no new version to re-derive; the ledger is small, so this is one index probe per deletion. -#}
{% macro delete_swept_records(entity, id_column) -%}
    delete from {{ this }} as staged
    using {{ source('bitrix24', 'deletions') }} as deletions
    where deletions.portal_id = staged.portal_id
      and deletions.entity = '{{ entity }}'
      and deletions.id = staged.{{ id_column }}
      and deletions.detected_at > staged.last_seen_at
{%- endmacro %}

{#- The post-hook of an incremental model downstream of staging: drop the rows of records that the sweep
    found deleted and that staging no longer holds (a record may come back: the sweep's verdict only
    counts while no newer sighting exists, see latest_version). One probe per ledger entry. -#}
{% macro delete_vanished_records(entity, id_column, staging_relation, staging_id_column) -%}
    delete from {{ this }} as kept
    using {{ source('bitrix24', 'deletions') }} as deletions
    where deletions.portal_id = '{{ var("portal_id") }}'
      and deletions.entity = '{{ entity }}'
      and deletions.id = kept.{{ id_column }}
      and not exists (
          select 1 from {{ staging_relation }} as current
          where current.{{ staging_id_column }} = kept.{{ id_column }}
      )
{%- endmacro %}

{#- FROM fragment: the raw versions of the `entity` records the sweep found deleted inside the window, as
    `versions` (their payload still says which deal or day they belonged to). -#}
{% macro swept_in_window(entity) -%}
    {{ source('bitrix24', 'deletions') }} as deletions
    inner join {{ source('bitrix24', entity) }} as versions
        on versions.portal_id = deletions.portal_id and versions.id = deletions.id
    where deletions.portal_id = '{{ var("portal_id") }}'
      and deletions.entity = '{{ entity }}'
      and {{ in_window('deletions.detected_at') }}
{%- endmacro %}
