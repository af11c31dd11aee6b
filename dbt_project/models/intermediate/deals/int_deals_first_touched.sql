{#- The first contact of every deal at or after its creation, and whether contacts dated before the
    creation exist (bad data, e.g. a call to the lead the deal came from: ignored, flagged). -#}
with

deals as (
    select * from {{ ref('stg_bitrix24__deals') }}
),

contacts as (
    select * from {{ ref('int_deal_contacts_unioned') }}
),

first_contacts as (
    select distinct on (contacts.deal_id)
        contacts.deal_id,
        contacts.contact_at as first_touch_at,
        contacts.contact_kind as first_touch_kind,
        contacts.contact_by as first_touch_by
    from contacts
    inner join deals on deals.deal_id = contacts.deal_id
    where contacts.contact_at >= deals.created_at
    order by contacts.deal_id, contacts.contact_at, contacts.contact_kind_rank, contacts.source_row_id
),

early_contacts as (
    select
        contacts.deal_id,
        count(*) as contacts_before_creation
    from contacts
    inner join deals on deals.deal_id = contacts.deal_id
    where contacts.contact_at < deals.created_at
    group by contacts.deal_id
),

final as (
    select
        -- ids
        deals.deal_id,
        first_contacts.first_touch_by,

        -- attributes
        first_contacts.first_touch_kind,
        coalesce(early_contacts.contacts_before_creation, 0) as contacts_before_creation,

        -- timestamps
        first_contacts.first_touch_at
    from deals
    left join first_contacts on first_contacts.deal_id = deals.deal_id
    left join early_contacts on early_contacts.deal_id = deals.deal_id
)

select * from final
