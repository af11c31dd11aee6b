{#- Lead conversion per manager and day the lead was created (portal date): leads created, converted (a
    status with S semantics), junk (F), still in work (P), as the leads stand at the data's snapshot.
    Additive: any period sums; conversion rate = converted / leads at query time. -#}
{{
    config(
        tags=['partitioned_daily'],
        post_hook="{{ create_lead_outcomes_function(this) }}",
        indexes=[{'columns': ['manager_id', 'created_date'], 'unique': true}],
    )
}}
with

leads as (
    select * from {{ ref('stg_bitrix24__leads') }}
),

final as (
    select
        -- ids: a lead without a responsible (ASSIGNED_BY_ID null) under the unassigned manager
        {{ manager_or_unassigned('responsible_id') }} as manager_id,
        {{ portal_date('created_at') }} as created_date,

        -- measures
        count(*) as leads_created,
        count(*) filter (where lead_outcome = 'converted') as leads_converted,
        count(*) filter (where lead_outcome = 'junk') as leads_junk,
        count(*) filter (where lead_outcome = 'in_work') as leads_in_work
    from leads
    group by 1, 2
)

select * from final
