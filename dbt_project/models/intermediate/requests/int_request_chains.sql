{#- One row per request chain (docs/decisions.md "Requests"): a lead with the deals whose LEAD_ID names it,
    a lead alone, or a deal without a lead (or whose LEAD_ID names no lead the warehouse holds). The chain
    starts at the earliest DATE_CREATE of its records; its deal is the lowest-ID deal converted from the
    lead, deal_ids every deal of the chain (a lead converted twice keeps both).

    Incremental (delete+insert on request_id): a window run re-computes the chains of the leads and deals
    changed in the window (macros/requests/requests_changed_in_window.sql) and the stored chains holding a
    changed deal (its LEAD_ID may have moved it to another chain); the pre-hook empties the window's chains
    first, so a name that no longer exists (a deal that joined a lead, a deleted record) goes. The GIN index of
    deal_ids keeps no pending list (macros/gin_without_pending_list.sql): the next run probes it per deal. -#}
{{
    config(
        tags=['partitioned_daily'],
        materialized='incremental',
        unique_key='request_id',
        indexes=[
            {'columns': ['request_id'], 'unique': true},
            {'columns': ['lead_id']},
            {'columns': ['deal_id']},
            {'columns': ['deal_ids'], 'type': 'gin'},
            {'columns': ['staged_at']},
        ],
        pre_hook="{{ delete_requests_changed_in_window() }}",
        post_hook="{{ gin_without_pending_list() }}",
    )
}}
-- the window's change sets (macros/deal_handling, macros/requests) read these in incremental runs only:
-- depends_on: {{ ref('stg_bitrix24__activities') }}
-- depends_on: {{ ref('stg_bitrix24__stage_history') }}
-- depends_on: {{ ref('stg_bitrix24__lead_stage_history') }}
-- depends_on: {{ ref('stg_bitrix24__timeline_comments') }}
with

{% if is_incremental() %}
changed_requests as (
    select left(request_id, 1) as kind, substr(request_id, 2)::bigint as record_id
    from (
        {{ requests_changed_in_window() }}
        union
        -- one GIN probe per changed deal (@>): a single && with the whole set as its array took 10 s on
        -- 7,429 deals (70 managers, a 7-day window) against 0.13 s
        select stored.request_id
        from ({{ deals_changed_in_window() }}) as changed_deals (deal_id)
        cross join lateral (
            select chains.request_id
            from {{ this }} as chains
            where chains.deal_ids @> array[changed_deals.deal_id]
        ) as stored
    ) as changed
    where request_id is not null
),
{% endif %}

leads as not materialized (
    select * from {{ ref('stg_bitrix24__leads') }}
),

deals as not materialized (
    select * from {{ ref('stg_bitrix24__deals') }}
),

scoped_leads as not materialized (
    select * from leads
    {% if is_incremental() %}
    where {{ is_among('lead_id', "select record_id from changed_requests where kind = 'L'") }}
    {% endif %}
),

converted as (
    select
        deals.lead_id,
        min(deals.deal_id) as deal_id,
        array_agg(deals.deal_id order by deals.deal_id) as deal_ids,
        min(deals.created_at) as first_deal_created_at
    from deals
    inner join scoped_leads on scoped_leads.lead_id = deals.lead_id
    group by deals.lead_id
),

lead_chains as (
    select
        'L' || scoped_leads.lead_id as request_id,
        scoped_leads.lead_id,
        converted.deal_id,
        coalesce(converted.deal_ids, '{}') as deal_ids,
        least(scoped_leads.created_at, converted.first_deal_created_at) as started_at,
        scoped_leads.source_id,
        scoped_leads.lead_outcome
    from scoped_leads
    left join converted on converted.lead_id = scoped_leads.lead_id
),

deal_chains as (
    select
        'D' || deals.deal_id as request_id,
        null::bigint as lead_id,
        deals.deal_id,
        array[deals.deal_id] as deal_ids,
        deals.created_at as started_at,
        deals.source_id,
        null::text as lead_outcome
    from deals
    where (deals.lead_id is null or not exists (select 1 from leads where leads.lead_id = deals.lead_id))
      {% if is_incremental() %}
      and {{ is_among('deals.deal_id', "select record_id from changed_requests where kind = 'D'") }}
      {% endif %}
),

final as (
    select *, {{ staged_at() }} as staged_at from lead_chains
    union all
    select *, {{ staged_at() }} from deal_chains
)

select * from final
