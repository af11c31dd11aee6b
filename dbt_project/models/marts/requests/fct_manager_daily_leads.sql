{#- Lead conversion per manager and day the lead was created (portal date): leads created, converted (a
    status with S semantics), junk (F), still in work (P), as the leads stand at the data's snapshot.
    Additive: any period sums; conversion rate = converted / leads at query time.

    Incremental (delete+insert on created_date): a window run re-computes the creation days of the leads
    changed in the window (macros/requests/requests_changed_in_window.sql), every manager of each; the
    pre-hook empties those days first (a day whose only lead was deleted). created_date is indexed: the
    pre-hook and the publish step (orchestration/warehouse/slices.py) replace rows by it. -#}
{{
    config(
        tags=['partitioned_daily'],
        materialized='incremental',
        unique_key='created_date',
        pre_hook="{% if is_incremental() %}delete from {{ this }}
                  where {{ is_among('created_date', lead_days_changed_in_window()) }}{% endif %}",
        post_hook="{{ create_lead_outcomes_function(this) }}",
        indexes=[{'columns': ['manager_id', 'created_date'], 'unique': true}, {'columns': ['created_date']}],
    )
}}
with

-- the window's change sets (macros/requests) read these in incremental runs only:
-- depends_on: {{ ref('stg_bitrix24__activities') }}
-- depends_on: {{ ref('stg_bitrix24__lead_stage_history') }}
-- depends_on: {{ ref('stg_bitrix24__timeline_comments') }}
leads as (
    select * from {{ ref('stg_bitrix24__leads') }}
    {% if is_incremental() %}
    where {{ is_among(portal_date('created_at'), lead_days_changed_in_window()) }}
    {% endif %}
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
