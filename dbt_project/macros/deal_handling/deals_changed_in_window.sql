{#- The deals whose first contact may have changed in the window [window_start, window_end): the deal
    itself edited, an activity of it written or started, a stage move, a timeline comment, one of those
    deleted by the reconciliation sweep, and every deal created since window_start minus
    var first_touch_lookback_days (default 14; a young deal is the one whose first contact may still
    arrive: rows can reach the warehouse days after the instant they are stamped with — see
    docs/decisions.md). Each branch is a range scan of an index of the staging tables, so the set costs
    what the window's changes cost, not what the history holds.

    Outside an incremental run there is no window and the models take every deal: the caller guards
    with is_incremental(). -#}
{% macro deals_changed_in_window() -%}
    {{ crm_items_changed_in_window('deal') }}
{%- endmacro %}

{#- The rule above for a CRM item kind, 'deal' or 'lead' (leads_changed_in_window): the same branches on
    the item's own staging tables, activity owner type (crm.enum.ownertype: 1 lead, 2 deal) and comment
    entity type. -#}
{% macro crm_items_changed_in_window(kind) -%}
    {%- set item = {
        'deal': {'table': 'stg_bitrix24__deals', 'id': 'deal_id', 'owned': 'is_deal_owned',
                 'history': 'stg_bitrix24__stage_history', 'raw_history': 'stage_history', 'owner_type': '2'},
        'lead': {'table': 'stg_bitrix24__leads', 'id': 'lead_id', 'owned': 'is_lead_owned',
                 'history': 'stg_bitrix24__lead_stage_history', 'raw_history': 'lead_stage_history',
                 'owner_type': '1'},
    }[kind] -%}
    select activities.owner_id as {{ item.id }}
    from {{ ref('stg_bitrix24__activities') }} as activities
    where activities.{{ item.owned }}
      and (
          {{ in_window('activities.last_updated_at') }}
          or {{ in_window('activities.start_at') }}
      )
    union
    select history.{{ item.id }}
    from {{ ref(item.history) }} as history
    where {{ in_window('history.transitioned_at') }}
    union
    select comments.entity_id
    from {{ ref('stg_bitrix24__timeline_comments') }} as comments
    where comments.entity_type = '{{ kind }}'
      and {{ in_window('comments.created_at') }}
    union
    select items.{{ item.id }}
    from {{ ref(item.table) }} as items
    where {{ in_window('items.modified_at') }}
       or items.created_at >= {{ window_start() }} - interval '{{ var("first_touch_lookback_days", 14) }} days'
    {%- for entity, owner in [
        ('activities', "case when versions.payload ->> 'OWNER_TYPE_ID' = '" ~ item.owner_type ~ "' then versions.payload ->> 'OWNER_ID' end"),
        (item.raw_history, "versions.payload ->> 'OWNER_ID'"),
        ('timeline_comments', "case when lower(versions.payload ->> 'ENTITY_TYPE') = '" ~ kind ~ "' then versions.payload ->> 'ENTITY_ID' end"),
    ] %}
    union
    -- a deleted {{ entity }} row may have been the {{ kind }}'s first contact (its owner survives in raw)
    select nullif({{ owner }}, '')::bigint
    from {{ swept_in_window(entity) }}
    {%- endfor %}
{%- endmacro %}
