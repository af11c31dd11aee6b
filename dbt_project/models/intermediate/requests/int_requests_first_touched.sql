{#- The first contact of every request chain: the earliest contact on any of its records (the lead and every
    deal converted from it) at or after the chain's start, by the one set of contact rules
    (int_deal_contacts_unioned, int_lead_contacts_unioned). Ties as for deals: the kind listed first, the
    lower row id; then the lead's contact before the deal's. The responsible is the ASSIGNED_BY_ID of the
    record the first contact was on; while untouched, the deal's, else the lead's (docs/decisions.md
    "Requests": REST shows only the current responsible of a record). -#}
{{
    config(
        tags=['partitioned_daily'],
        indexes=[{'columns': ['request_id'], 'unique': true}],
    )
}}
with

chains as (
    select * from {{ ref('int_request_chains') }}
),

leads as (
    select * from {{ ref('stg_bitrix24__leads') }}
),

deals as (
    select * from {{ ref('stg_bitrix24__deals') }}
),

-- every record of every chain with its responsible: the lead, and each deal whose LEAD_ID names it
chain_records as (
    select chains.request_id, 1 as owner_type_id, leads.lead_id as record_id, leads.responsible_id
    from chains
    inner join leads on leads.lead_id = chains.lead_id
    union all
    select chains.request_id, 2, deals.deal_id, deals.responsible_id
    from chains
    inner join deals on deals.lead_id = chains.lead_id
    where chains.lead_id is not null
    union all
    select chains.request_id, 2, deals.deal_id, deals.responsible_id
    from chains
    inner join deals on deals.deal_id = chains.deal_id
    where chains.lead_id is null
),

contacts as (
    select 1 as owner_type_id, lead_id as record_id, contact_at, contact_kind, contact_kind_rank,
           source_row_id, contact_by
    from {{ ref('int_lead_contacts_unioned') }}
    union all
    select 2, deal_id, contact_at, contact_kind, contact_kind_rank, source_row_id, contact_by
    from {{ ref('int_deal_contacts_unioned') }}
),

first_contacts as (
    select distinct on (chain_records.request_id)
        chain_records.request_id,
        contacts.contact_at as first_touch_at,
        contacts.contact_kind as first_touch_kind,
        contacts.contact_by as first_touch_by,
        contacts.owner_type_id = 1 as first_touch_on_lead,
        chain_records.responsible_id
    from chain_records
    inner join chains on chains.request_id = chain_records.request_id
    inner join contacts
        on contacts.owner_type_id = chain_records.owner_type_id
        and contacts.record_id = chain_records.record_id
    where contacts.contact_at >= chains.started_at
    order by chain_records.request_id, contacts.contact_at, contacts.contact_kind_rank, contacts.source_row_id,
             contacts.owner_type_id, contacts.contact_by
),

untouched_responsible as (
    -- the deal's responsible while untouched (the record being worked now), else the lead's
    select distinct on (request_id) request_id, responsible_id
    from chain_records
    order by request_id, owner_type_id desc, record_id
),

final as (
    select
        -- ids
        chains.request_id,
        chains.lead_id,
        chains.deal_id,
        coalesce(first_contacts.responsible_id, untouched_responsible.responsible_id) as responsible_id,
        first_contacts.first_touch_by,

        -- attributes
        chains.source_id,
        chains.lead_outcome,
        first_contacts.first_touch_kind,
        first_contacts.first_touch_on_lead,

        -- timestamps
        chains.started_at,
        first_contacts.first_touch_at
    from chains
    left join first_contacts on first_contacts.request_id = chains.request_id
    left join untouched_responsible on untouched_responsible.request_id = chains.request_id
)

select * from final
