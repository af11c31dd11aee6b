{#- Lead statuses: the crm.status.list rows of ENTITY_ID STATUS (docs/bitrix24-api.md § crm.status.list —
    lead statuses). SEMANTICS 'S' is the conversion (CONVERTED by default), 'F' a failure (JUNK and any
    failure status a portal adds), empty in progress — decoded to P/S/F as for deal stages. -#}
with

statuses as (
    select * from {{ ref('stg_bitrix24__stages') }}
),

final as (
    select
        -- ids
        portal_id,
        status_row_id,
        stage_id as status_id,

        -- attributes
        stage_name as status_name,
        sort_order,
        stage_semantic as status_semantic,
        is_system,

        -- timestamps
        loaded_at
    from statuses
    where entity_id = 'STATUS'
)

select * from final
