{#- The first contact of every deal at or after its creation, and whether contacts dated before the
    creation exist (bad data, e.g. a call to the lead the deal came from: ignored, flagged).
    Incremental (delete+insert on deal_id): a window run re-computes the deals changed in the window, the
    same set int_deal_contacts_unioned re-derives. -#}
{{
    config(
        tags=['partitioned_daily'],
        materialized='incremental',
        unique_key='deal_id',
        indexes=[
            {'columns': ['deal_id'], 'unique': true},
            {'columns': ['first_touch_at']},
            {'columns': ['staged_at']},
        ],
        post_hook="{{ delete_vanished_records('deals', 'deal_id', ref('stg_bitrix24__deals'), 'deal_id') }}",
    )
}}
-- the window's change sets (macros/deal_handling) read these in incremental runs only:
-- depends_on: {{ ref('stg_bitrix24__activities') }}
-- depends_on: {{ ref('stg_bitrix24__stage_history') }}
-- depends_on: {{ ref('stg_bitrix24__timeline_comments') }}
-- depends_on: {{ ref('stg_bitrix24__deals') }}
with

deals as not materialized (
    select * from {{ ref('stg_bitrix24__deals') }}
    {% if is_incremental() %}
    where {{ is_among('deal_id', deals_changed_in_window()) }}
    {% endif %}
),

contacts as not materialized (
    select * from {{ ref('int_deal_contacts_unioned') }}
),

-- one probe of the contacts' first-contact index per deal (macros/requests/record_contacts.sql)
first_contacts as (
    select deals.deal_id, first.*
    from deals
    cross join lateral (
        select
            contacts.contact_at as first_touch_at,
            contacts.contact_kind as first_touch_kind,
            contacts.contact_by as first_touch_by
        from contacts
        where contacts.deal_id = deals.deal_id
          and contacts.contact_at >= deals.created_at
        order by {{ first_contact_order('contacts') }}
        limit 1
    ) as first
),

-- the same index's range before the creation (a descent per deal; such contacts are rare)
early_contacts as (
    select deals.deal_id, early.contacts_before_creation
    from deals
    cross join lateral (
        select count(*) as contacts_before_creation
        from contacts
        where contacts.deal_id = deals.deal_id
          and contacts.contact_at < deals.created_at
    ) as early
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
        first_contacts.first_touch_at,
        {{ staged_at() }} as staged_at
    from deals
    left join first_contacts on first_contacts.deal_id = deals.deal_id
    left join early_contacts on early_contacts.deal_id = deals.deal_id
)

select * from final
