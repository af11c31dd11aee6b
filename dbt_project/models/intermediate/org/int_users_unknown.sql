{#- The users the per-manager records name but the portal's employee list does not hold (docs/metrics.md
    "Records naming an unknown user"): the responsible (ASSIGNED_BY_ID) of a deal or lead, the employee
    (PORTAL_USER_ID) of a call, or the responsible (RESPONSIBLE_ID) of an activity that counts per manager
    (a meeting held or an activity planned: int_manager_daily_activities_counted, the one owner of which
    activities count), that user.get does not return — a deleted user, a user the list was cut
    short of — or returns as no employee (extranet, bot: user_type). Each gets its own manager row
    (dim_managers) and a place on every day of the daily reports (int_employees_days_spined), so its
    records count per manager instead of dropping out of the totals. Empty when every user is known; a
    warn test on the model counts them. -#}
with

users as (
    select * from {{ ref('stg_bitrix24__users') }}
),

activity_counts as (
    select * from {{ ref('int_manager_daily_activities_counted') }}
),

-- each record naming a user counts 1; the activities come counted per day
named as (
    select responsible_id as user_id, 'deal' as record_kind, 1 as records from {{ ref('stg_bitrix24__deals') }}
    union all
    select responsible_id, 'lead', 1 from {{ ref('stg_bitrix24__leads') }}
    union all
    select portal_user_id, 'call', 1 from {{ ref('stg_bitrix24__calls') }}
    union all
    select manager_id, 'meeting_held', meetings_held from activity_counts
    union all
    select manager_id, 'activity_planned', activities_planned from activity_counts
),

final as (
    select
        -- ids
        named.user_id,

        -- attributes: what user.get says of the user, if anything
        users.full_name,
        users.user_type,

        -- measures: how many records name the user
        coalesce(sum(named.records) filter (where named.record_kind = 'deal'), 0) as deals,
        coalesce(sum(named.records) filter (where named.record_kind = 'lead'), 0) as leads,
        coalesce(sum(named.records) filter (where named.record_kind = 'call'), 0) as calls,
        coalesce(sum(named.records) filter (where named.record_kind = 'meeting_held'), 0) as meetings_held,
        coalesce(sum(named.records) filter (where named.record_kind = 'activity_planned'), 0)
            as activities_planned
    from named
    left join users on users.user_id = named.user_id
    where named.user_id is not null
      -- an ID 0 ("nobody") already counts under the unassigned manager, whose ID it is
      and named.user_id <> {{ unassigned_manager_id() }}
      and users.user_type is distinct from 'employee'
    group by named.user_id, users.full_name, users.user_type
)

select * from final
