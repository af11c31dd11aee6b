{#- One row per request chain (docs/decisions.md "Requests"): a lead with the deals whose LEAD_ID names it,
    a lead alone, or a deal without a lead (or whose LEAD_ID names no lead the warehouse holds). The chain
    starts at the earliest DATE_CREATE of its records; its deal is the lowest-ID deal converted from the
    lead (a lead converted twice keeps every deal in the chain: request_deals). -#}
{{
    config(
        tags=['partitioned_daily'],
        indexes=[{'columns': ['request_id'], 'unique': true}, {'columns': ['lead_id']}, {'columns': ['deal_id']}],
    )
}}
with

leads as (
    select * from {{ ref('stg_bitrix24__leads') }}
),

deals as (
    select * from {{ ref('stg_bitrix24__deals') }}
),

converted as (
    select
        deals.lead_id,
        min(deals.deal_id) as deal_id,
        min(deals.created_at) as first_deal_created_at
    from deals
    inner join leads on leads.lead_id = deals.lead_id
    group by deals.lead_id
),

lead_chains as (
    select
        'L' || leads.lead_id as request_id,
        leads.lead_id,
        converted.deal_id,
        least(leads.created_at, converted.first_deal_created_at) as started_at,
        leads.source_id,
        leads.lead_outcome
    from leads
    left join converted on converted.lead_id = leads.lead_id
),

deal_chains as (
    select
        'D' || deals.deal_id as request_id,
        null::bigint as lead_id,
        deals.deal_id,
        deals.created_at as started_at,
        deals.source_id,
        null::text as lead_outcome
    from deals
    where deals.lead_id is null
       or not exists (select 1 from leads where leads.lead_id = deals.lead_id)
),

final as (
    select * from lead_chains
    union all
    select * from deal_chains
)

select * from final
