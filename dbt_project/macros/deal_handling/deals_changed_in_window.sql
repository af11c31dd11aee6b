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
    select activities.owner_id as deal_id
    from {{ ref('stg_bitrix24__activities') }} as activities
    where activities.is_deal_owned
      and (
          {{ in_window('activities.last_updated_at') }}
          or {{ in_window('activities.start_at') }}
      )
    union
    select stage_history.deal_id
    from {{ ref('stg_bitrix24__stage_history') }} as stage_history
    where {{ in_window('stage_history.transitioned_at') }}
    union
    select comments.entity_id
    from {{ ref('stg_bitrix24__timeline_comments') }} as comments
    where comments.entity_type = 'deal'
      and {{ in_window('comments.created_at') }}
    union
    select deals.deal_id
    from {{ ref('stg_bitrix24__deals') }} as deals
    where {{ in_window('deals.modified_at') }}
       or deals.created_at >= {{ window_start() }} - interval '{{ var("first_touch_lookback_days", 14) }} days'
    {%- for entity, owner in [
        ('activities', "case when versions.payload ->> 'OWNER_TYPE_ID' = '2' then versions.payload ->> 'OWNER_ID' end"),
        ('stage_history', "versions.payload ->> 'OWNER_ID'"),
        ('timeline_comments', "case when lower(versions.payload ->> 'ENTITY_TYPE') = 'deal' then versions.payload ->> 'ENTITY_ID' end"),
    ] %}
    union
    -- a deleted {{ entity }} row may have been the deal's first contact (its owner survives in raw)
    select nullif({{ owner }}, '')::bigint
    from {{ swept_in_window(entity) }}
    {%- endfor %}
{%- endmacro %}
