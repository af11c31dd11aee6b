{#- Open scheduled activities of every deal as of the snapshot instant: how many, how many overdue
    (DEADLINE before the snapshot). Scheduled = planned by someone: a to-do, a meeting, a planned call, a
    task. A record of something that happened is not, even while COMPLETED = N: a telephony call (call_id set
    — a missed call, or in the vendor's universal activity scenario every incoming call and callback until
    it is handled) and any incoming activity (DIRECTION 1 or IS_INCOMING_CHANNEL Y: the client's mail, chat
    or call waiting for an answer). docs/metrics.md "Backlog", docs/decisions.md. -#}
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
      and not is_completed
      and call_id is null
      and direction <> 'incoming'
      and not coalesce(is_incoming_channel, false)
    group by owner_id
)

select * from final
