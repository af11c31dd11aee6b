{#- The users the per-manager records name but the portal's employee list does not hold (docs/metrics.md
    "Records naming an unknown user"): the responsible (ASSIGNED_BY_ID) of a deal or lead, the employee
    (PORTAL_USER_ID) of a call, or the responsible (RESPONSIBLE_ID) of an activity that counts per manager
    (a meeting held or an activity planned: macros/deal_handling/activity_counts.sql, the rule
    int_manager_daily_activities_counted counts by; not that model itself, which is partitioned and built
    after this one), or a former responsible of a deal or lead (an older stored version's ASSIGNED_BY_ID:
    int_responsibles_seen; the backlog history counts the days they held it under them), that user.get does
    not return — a deleted user, a user the list was cut short of — or returns as no employee (extranet, bot: user_type). Each gets its own manager row
    (dim_managers) and a place on every day of the daily reports (int_employees_days_spined), so its
    records count per manager instead of dropping out of the totals. Empty when every user is known; a
    warn test on the model counts them.
    A run costs what changed: the candidates come from two small incremental models, and the records are
    read only for the candidates user.get does not list as employees — when there are none (the usual
    case), no record at all. -#}
with

users as (
    select * from {{ ref('stg_bitrix24__users') }}
),

-- every user a record below can name: a superset (int_users_named: each user a staged record that counts
-- has named; int_responsibles_seen: each responsible a stored deal or lead version names), a few hundred ids
candidates as (
    select user_id from {{ ref('int_users_named') }}
    union
    select user_id from {{ ref('int_responsibles_seen') }}
),

-- the candidates user.get does not list as employees: usually none, and then the look-ups below read no
-- record at all (a hash join on an empty inner side stops before its outer scan)
unknown as (
    select candidates.user_id
    from candidates
    left join users on users.user_id = candidates.user_id
    -- an ID 0 ("nobody") already counts under the unassigned manager, whose ID it is
    where candidates.user_id <> {{ unassigned_manager_id() }}
      and users.user_type is distinct from 'employee'
),

activities as (
    select * from {{ ref('stg_bitrix24__activities') }}
    where responsible_id in (select user_id from unknown)
),

named as (
    select responsible_id as user_id, 'deal' as record_kind from {{ ref('stg_bitrix24__deals') }}
    where responsible_id in (select user_id from unknown)
    union all
    select responsible_id, 'lead' from {{ ref('stg_bitrix24__leads') }}
    where responsible_id in (select user_id from unknown)
    union all
    select portal_user_id, 'call' from {{ ref('stg_bitrix24__calls') }}
    where portal_user_id in (select user_id from unknown)
    union all
    select responsible_id, 'meeting_held' from activities where {{ activity_is_meeting_held() }}
    union all
    select responsible_id, 'activity_planned' from activities where {{ activity_is_planned() }}
    union all
    -- every responsible any stored version names, the former ones included (the backlog's holders)
    select user_id, 'responsible_in_a_version' from {{ ref('int_responsibles_seen') }}
    where user_id in (select user_id from unknown)
),

final as (
    select
        -- ids
        named.user_id,

        -- attributes: what user.get says of the user, if anything
        users.full_name,
        users.user_type,

        -- measures: how many records name the user
        count(*) filter (where named.record_kind = 'deal') as deals,
        count(*) filter (where named.record_kind = 'lead') as leads,
        count(*) filter (where named.record_kind = 'call') as calls,
        count(*) filter (where named.record_kind = 'meeting_held') as meetings_held,
        count(*) filter (where named.record_kind = 'activity_planned') as activities_planned,
        -- a deal or lead version names them as responsible: with deals and leads 0, a former responsible
        bool_or(named.record_kind = 'responsible_in_a_version') as held_deals_or_leads
    from named
    left join users on users.user_id = named.user_id
    group by named.user_id, users.full_name, users.user_type
)

select * from final
