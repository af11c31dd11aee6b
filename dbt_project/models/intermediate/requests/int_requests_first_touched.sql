{#- The first contact of every request chain: the earliest contact on any of its records (the lead and every
    deal converted from it) at or after the chain's start, by the one set of contact rules
    (int_deal_contacts_unioned, int_lead_contacts_unioned). Ties as for deals: the kind listed first, the
    lower row id; then the lead's contact before the deal's. The responsible is the ASSIGNED_BY_ID of the
    record the first contact was on; while untouched, the deal's, else the lead's (docs/decisions.md
    "Requests": REST shows only the current responsible of a record).

    Incremental (delete+insert on request_id): a window run re-computes the chains int_request_chains
    re-computed in its latest build (the window's changed leads and deals, whichever record of the chain
    changed); the pre-hook empties the window's chains first, so a chain that no longer exists goes. -#}
{{
    config(
        tags=['partitioned_daily'],
        materialized='incremental',
        unique_key='request_id',
        indexes=[
            {'columns': ['request_id'], 'unique': true},
            {'columns': ['first_touch_at']},
            {'columns': ['staged_at']},
        ],
        pre_hook="{{ delete_requests_changed_in_window() }}",
    )
}}
-- the window's change sets (macros/deal_handling, macros/requests) read these in incremental runs only:
-- depends_on: {{ ref('stg_bitrix24__activities') }}
-- depends_on: {{ ref('stg_bitrix24__stage_history') }}
-- depends_on: {{ ref('stg_bitrix24__lead_stage_history') }}
-- depends_on: {{ ref('stg_bitrix24__timeline_comments') }}
with

chains as not materialized (
    select * from {{ ref('int_request_chains') }}
    {% if is_incremental() %}
    where staged_at = (select max(staged_at) from {{ ref('int_request_chains') }})
    {% endif %}
),

leads as not materialized (
    select * from {{ ref('stg_bitrix24__leads') }}
),

deals as not materialized (
    select * from {{ ref('stg_bitrix24__deals') }}
),

-- every record of every chain with its responsible: the lead, and each deal whose LEAD_ID names it
chain_records as (
    select chains.request_id, chains.started_at, 1 as owner_type_id, leads.lead_id as record_id,
           leads.responsible_id
    from chains
    inner join leads on leads.lead_id = chains.lead_id
    union all
    select chains.request_id, chains.started_at, 2, deals.deal_id, deals.responsible_id
    from chains
    cross join lateral unnest(chains.deal_ids) as chain_deals (deal_id)
    inner join deals on deals.deal_id = chain_deals.deal_id
),

-- the first contact of each record at or after its chain's start: one probe per record of the contacts'
-- first-contact index (macros/requests/record_contacts.sql), instead of a sort of every contact of every chain
chain_contacts as (
    {%- for owner_type_id, contacts, id_column in [(1, ref('int_lead_contacts_unioned'), 'lead_id'),
                                                    (2, ref('int_deal_contacts_unioned'), 'deal_id')] %}
    {% if not loop.first %}union all{% endif %}
    select chain_records.request_id, chain_records.owner_type_id, chain_records.responsible_id, first.*
    from chain_records
    cross join lateral (
        select contacts.contact_at, contacts.contact_kind, contacts.contact_kind_rank, contacts.source_row_id,
               contacts.contact_by
        from {{ contacts }} as contacts
        where contacts.{{ id_column }} = chain_records.record_id
          and contacts.contact_at >= chain_records.started_at
        order by {{ first_contact_order('contacts') }}
        limit 1
    ) as first
    where chain_records.owner_type_id = {{ owner_type_id }}
    {%- endfor %}
),

-- request_id sorted byte-wise (collate "C": the same groups, equality is byte-wise under any deterministic
-- collation): the sort of every contact of every chain then compares abbreviated keys, not strcoll()
first_contacts as (
    select distinct on (chain_contacts.request_id collate "C")
        chain_contacts.request_id,
        chain_contacts.contact_at as first_touch_at,
        chain_contacts.contact_kind as first_touch_kind,
        chain_contacts.contact_by as first_touch_by,
        chain_contacts.owner_type_id = 1 as first_touch_on_lead,
        chain_contacts.responsible_id
    from chain_contacts
    order by chain_contacts.request_id collate "C", chain_contacts.contact_at, chain_contacts.contact_kind_rank,
             chain_contacts.source_row_id, chain_contacts.owner_type_id, chain_contacts.contact_by
),

untouched_responsible as (
    -- the deal's responsible while untouched (the record being worked now), else the lead's
    select distinct on (request_id collate "C") request_id, responsible_id
    from chain_records
    order by request_id collate "C", owner_type_id desc, record_id
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
        first_contacts.first_touch_at,
        {{ staged_at() }} as staged_at
    from chains
    left join first_contacts on first_contacts.request_id = chains.request_id
    left join untouched_responsible on untouched_responsible.request_id = chains.request_id
)

select * from final
