{#- Open (COMPLETED=N) activities of every deal as of the snapshot instant: how many, how many overdue
    (DEADLINE before the snapshot). Any activity kind counts as planned work: a to-do, a meeting, a call. -#}
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
    group by owner_id
)

select * from final
