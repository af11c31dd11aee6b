{#- The typed columns of a CRM item, deals' (crm.deal.list) and leads' (crm.lead.list) alike: both send the same
    fields under the same names, every scalar a string, flags "Y"/"N", datetimes ISO-8601 with the portal's
    offset (docs/bitrix24-api.md § Value formats), typed here once by the rules of bitrix24_values.sql. The
    select list of a staging model over latest_version(); columns in the order the models always had
    (managerControl_Deal selects deals.*).

    status_field: the prefix of the entity's status fields and columns, STAGE for deals (stage_id,
    stage_semantic), STATUS for leads (status_id, status_semantic); closed_when: SQL over payload, true when the
    item says it is closed (crm_item_semantic). pipelines: the items belong to a pipeline
    (CATEGORY_ID; deals). company_zero_is_none: COMPANY_ID "0" means no company (the value of the leads'
    example, docs/bitrix24-api.md § crm.lead.list); deals keep the value as sent, as they always did (the
    deal list's example does not show the field, and nothing reads deals' company_id). The entity's own fields, {column: vendor field}, typed by
    kind: ids, flags, timestamps; derived, {column: SQL expression over payload}. -#}
{% macro crm_item_columns(id_column, status_field, closed_when, pipelines=false, company_zero_is_none=false, ids={},
                          derived={}, flags={}, timestamps={}) -%}
{%- set status = status_field | lower -%}
{%- set company = b24_bigint("payload ->> 'COMPANY_ID'") -%}
-- ids
portal_id,
id as {{ id_column }},
{%- if pipelines %}
{{ b24_bigint("payload ->> 'CATEGORY_ID'") }} as pipeline_id,
{%- endif %}
payload ->> '{{ status_field }}_ID' as {{ status }}_id,
{{ b24_bigint("payload ->> 'ASSIGNED_BY_ID'") }} as responsible_id,
{{ b24_bigint("payload ->> 'CREATED_BY_ID'") }} as created_by_id,
{{ b24_bigint("payload ->> 'MODIFY_BY_ID'") }} as modified_by_id,
{{ b24_bigint("payload ->> 'MOVED_BY_ID'") }} as moved_by_id,
{{ b24_bigint("payload ->> 'CONTACT_ID'") }} as contact_id,
{{ "nullif(" ~ company ~ ", 0)" if company_zero_is_none else company }} as company_id,
{%- for column, field in ids.items() %}
{{ b24_bigint("payload ->> '" ~ field ~ "'") }} as {{ column }},
{%- endfor %}

-- attributes
payload ->> 'TITLE' as title,
{{ crm_item_semantic(status_field, closed_when) }} as {{ status }}_semantic,
{%- for column, expression in derived.items() %}
{{ expression }} as {{ column }},
{%- endfor %}
payload ->> 'SOURCE_ID' as source_id,
nullif(payload ->> 'OPPORTUNITY', '')::numeric as opportunity,
payload ->> 'CURRENCY_ID' as currency_id,
{%- for column, field in flags.items() %}
{{ b24_flag("payload ->> '" ~ field ~ "'") }} as {{ column }},
{%- endfor %}
{{ b24_flag("payload ->> 'IS_RETURN_CUSTOMER'") }} as is_return_customer,

-- timestamps
{{ b24_timestamp("payload ->> 'DATE_CREATE'") }} as created_at,
{{ b24_timestamp("payload ->> 'DATE_MODIFY'") }} as modified_at,
{{ b24_timestamp("payload ->> 'MOVED_TIME'") }} as moved_at,
{%- for column, field in timestamps.items() %}
{{ b24_timestamp("payload ->> '" ~ field ~ "'") }} as {{ column }},
{%- endfor %}
{{ b24_timestamp("payload ->> 'LAST_ACTIVITY_TIME'") }} as last_activity_at,
loaded_at,
last_seen_at,
{{ staged_at() }} as staged_at
{%- endmacro %}

{#- A CRM item's P/S/F semantic: as the item sends it (STAGE_SEMANTIC_ID, STATUS_SEMANTIC_ID); else its stage's
    (status's) in the crm.status.list dictionary, which the model joins as `dictionary` (column semantic);
    else, when neither says (a list that does not select the field, a stage the dictionary does not hold), in
    progress (P) unless the item itself says it is closed (closed_when, SQL over payload), and unknown (NULL,
    not open) if it does. One value every reader takes, so the backlog spans and managerControl_Deal count the
    same deals open (docs/metrics.md "Unknown values"). -#}
{% macro crm_item_semantic(status_field, closed_when) -%}
coalesce(
    nullif(payload ->> '{{ status_field }}_SEMANTIC_ID', ''),
    dictionary.semantic,
    case when {{ closed_when }} then null else 'P' end
)
{%- endmacro %}

{#- The dictionary crm_item_semantic() reads, one row per stage (status) id: FROM-clause fragment joined to the
    staging model's `source` on the item's STAGE_ID (STATUS_ID). -#}
{% macro crm_item_semantic_dictionary(status_field, stages) -%}
left join (
    select distinct on (stage_id) stage_id, stage_semantic as semantic
    from {{ stages }}
    order by stage_id, loaded_at desc
) as dictionary on dictionary.stage_id = source.payload ->> '{{ status_field }}_ID'
{%- endmacro %}
