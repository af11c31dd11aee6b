{#- Open scheduled activities of every deal as of the snapshot instant: how many, how many overdue
    (DEADLINE before the snapshot). Scheduled and open: stg_bitrix24__activities.is_open, the rule of
    macros/deal_handling/open_activity.sql (a to-do, a meeting, a planned call, a task not completed; not a
    record of a call or of anything incoming). docs/metrics.md "Backlog", docs/decisions.md. -#}
{{ config(tags=['partitioned_daily']) }}
with

activities as (
    select * from {{ ref('stg_bitrix24__activities') }}
),

final as (
    select
        -- ids
        owner_id as deal_id,

        -- measures
        count(*) as open_activity_count,
        count(*) filter (where deadline_at < {{ snapshot_at() }}) as overdue_activity_count
    from activities
    where is_deal_owned
      and is_open
    group by owner_id
)

select * from final
