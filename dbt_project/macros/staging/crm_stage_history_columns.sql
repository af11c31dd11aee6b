{#- The typed columns of a CRM item's stage transition (crm.stagehistory.list, docs/bitrix24-api.md
    § crm.stagehistory.list), deals' and leads' alike: the same item with the entity's own status fields and an
    ID sequence each; numbers as native ints in the docs' example, as strings on real portals, read alike.
    TYPE_ID 1 created, 2 moved to a non-final stage, 3 moved to a final one, 5 pipeline changed (items with a
    pipeline only). The select list of a staging model over latest_version().

    status_field: STAGE for deals (stage_id, stage_semantic), STATUS for leads (status_id, status_semantic).
    owner_column: what OWNER_ID names (deal_id, lead_id). pipelines: items carry CATEGORY_ID (deals). -#}
{% macro crm_stage_history_columns(id_column, owner_column, status_field, pipelines=false) -%}
{%- set status = status_field | lower -%}
-- ids
portal_id,
id as {{ id_column }},
{{ b24_bigint("payload ->> 'OWNER_ID'") }} as {{ owner_column }},
{%- if pipelines %}
{{ b24_bigint("payload ->> 'CATEGORY_ID'") }} as pipeline_id,
{%- endif %}
payload ->> '{{ status_field }}_ID' as {{ status }}_id,

-- enumerations
nullif(payload ->> 'TYPE_ID', '')::int as type_id,
case nullif(payload ->> 'TYPE_ID', '')::int
    when 1 then 'created'
    when 2 then 'moved'
    when 3 then 'moved_to_final'
    {%- if pipelines %}
    when 5 then 'pipeline_changed'
    {%- endif %}
    else 'other'
end as transition_type,
payload ->> '{{ status_field }}_SEMANTIC_ID' as {{ status }}_semantic,

-- timestamps
{{ b24_timestamp("payload ->> 'CREATED_TIME'") }} as transitioned_at,
loaded_at,
last_seen_at,
{{ staged_at() }} as staged_at
{%- endmacro %}
