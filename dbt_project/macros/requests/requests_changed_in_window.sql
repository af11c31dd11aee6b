{#- The change sets of the incremental request models (docs/decisions.md "Incremental all the way down"). As
    for deals, outside an incremental run there is no window and the models take every record: the callers
    guard with is_incremental(). -#}

{#- The leads whose contacts, status or backlog may have changed in the window [window_start, window_end):
    the deals' rule (deals_changed_in_window) applied to leads — the lead edited, an activity of it written or
    started, a status move, a timeline comment, one of those deleted by the reconciliation sweep, and every
    lead created since window_start minus var first_touch_lookback_days. Each branch is a range scan of an
    index of the staging tables. -#}
{% macro leads_changed_in_window() -%}
    {{ crm_items_changed_in_window('lead') }}
{%- endmacro %}

{#- The creation days (portal dates) of the leads changed in the window and of the leads the sweep found
    deleted: the days whose per-day lead rows (fct_manager_daily_leads) a window run re-computes, every
    manager of each (a lead moved to another manager leaves no stale row behind). -#}
{% macro lead_days_changed_in_window() -%}
    select {{ portal_date('leads.created_at') }} as created_date
    from {{ ref('stg_bitrix24__leads') }} as leads
    where {{ is_among('leads.lead_id', leads_changed_in_window()) }}
    union
    select {{ portal_date(b24_timestamp("versions.payload ->> 'DATE_CREATE'")) }}
    from {{ swept_in_window('leads') }}
{%- endmacro %}

{#- The request chains (request_id, int_request_chains) a window run re-computes, as they are named now or were
    named before: the chain of every lead changed in the window ('L' || lead), of every deal changed in the
    window as a chain of its own ('D' || deal) and as part of its lead's chain ('L' || LEAD_ID), and the chains
    of leads and deals the sweep found deleted. One more kind is found by int_request_chains alone, in its
    stored rows: the chain a changed deal belonged to before its LEAD_ID changed (deal_ids). -#}
{% macro requests_changed_in_window() -%}
    select 'L' || lead_id as request_id
    from ({{ leads_changed_in_window() }}) as changed_leads (lead_id)
    union
    select 'D' || deal_id
    from ({{ deals_changed_in_window() }}) as changed_deals (deal_id)
    union
    select 'L' || deals.lead_id
    from {{ ref('stg_bitrix24__deals') }} as deals
    where deals.lead_id is not null
      and {{ is_among('deals.deal_id', deals_changed_in_window()) }}
    union
    select 'L' || versions.id
    from {{ swept_in_window('leads') }}
    union
    select 'D' || versions.id
    from {{ swept_in_window('deals') }}
    union
    select 'L' || (versions.payload ->> 'LEAD_ID')
    from {{ swept_in_window('deals') }}
      and nullif(versions.payload ->> 'LEAD_ID', '') is not null
{%- endmacro %}

{#- The pre-hook of the request models keyed on request_id: empty the window's chains first (delete+insert alone
    would keep a chain that no longer exists: a deal that joined a lead's chain, a deleted lead or deal). -#}
{% macro delete_requests_changed_in_window() -%}
    {% if is_incremental() %}
    delete from {{ this }} where {{ is_among('request_id', requests_changed_in_window()) }}
    {% endif %}
{%- endmacro %}


{#- The pre-hook of managerControl_Request: of the window's chains, delete those int_requests_first_touched no
    longer holds (its pre-hook emptied them and the run did not derive them again: a deal that joined a
    lead's chain, a deleted lead or deal). The chains it holds stay: the mart's delete+insert replaces those
    whose row changed and keeps the rest (final_with_untouched_remeasured). -#}
{% macro delete_requests_gone() -%}
    {% if is_incremental() %}
    delete from {{ this }} as stored
    where {{ is_among('stored.request_id', requests_changed_in_window()) }}
      and not exists (
          select from {{ ref('int_requests_first_touched') }} as chains
          where chains.request_id = stored.request_id
      )
    {% endif %}
{%- endmacro %}
