{#- W(user, t) as an equi-join: one row per employee and UTC day (bucket) of the calendar's range, so a
    look-up is a hash join on (user_id, working_time_bucket(t)) plus in-row arithmetic
    (macros/working_time/working_time.sql) instead of an ordered index probe per instant.

    A bucket holds the working pieces of that UTC day (int_working_intervals cut at midnight UTC) as
    slots (start, end, anchor), where anchor = start - W(start): inside a slot W(t) = least(t, end) - anchor,
    one subtraction of instants. Slot 1 also covers the time before it (greatest(t, start_1)); slot 2
    starts at the bucket's end when the day has fewer pieces; the rare third and later pieces (a night
    shift cut by an absence) go to the more_* arrays. Every employee with working time has a row for
    every bucket of the common range (empty days: a zero-length slot 1), so a look-up always finds
    exactly one row for a known employee and none for an unknown one.
    UTC days, not local ones: the key then needs no time zone, and DST cannot move it.
    Incremental per employee (docs/working_time.md): a run re-derives the employees whose rows in
    int_working_intervals carry a fingerprint (calendar_inputs_hash) that this table lacks — or everybody,
    when the common range moved (it is the same for all employees: _working_time_key reads its ends from the
    first and last entries of the unique index). A re-derived employee's rows still span the whole common
    range, as it is computed over all employees' intervals. -#}
{{ config(
    materialized='incremental',
    unique_key='user_id',
    indexes=[{'columns': ['user_id', 'bucket'], 'unique': True}],
    post_hook=[
        "{{ delete_stale_employees(employee_hashes(ref('int_working_intervals'))) }}",
        {'sql': 'vacuum analyze {{ this }}', 'transaction': false},
    ],
) }}

with

range_ as (
    select
        {{ working_time_bucket('min(interval_start)') }} as first_bucket,
        {{ working_time_bucket("max(interval_end) - interval '1 microsecond'") }} as last_bucket
    from {{ ref('int_working_intervals') }}
),

{% if is_incremental() -%}
-- the common range this table holds: the first and last entries of its unique index
stored_range as (
    select
        (select k.bucket from {{ this }} as k order by k.user_id, k.bucket limit 1) as first_bucket,
        (select k.bucket from {{ this }} as k order by k.user_id desc, k.bucket desc limit 1) as last_bucket
),

-- the employees whose fingerprint in int_working_intervals this table does not hold (loose index scans)
employees as (
    select upstream.user_id
    from ({{ employee_hashes(ref('int_working_intervals')) }}) as upstream
    left join ({{ employee_hashes(this) }}) as stored on stored.user_id = upstream.user_id
    where stored.calendar_inputs_hash is distinct from upstream.calendar_inputs_hash
    or exists (
        select 1 from range_ as r cross join stored_range as s
        where (r.first_bucket, r.last_bucket) is distinct from (s.first_bucket, s.last_bucket)
    )
),

{% endif -%}
intervals as (
    select user_id, interval_start, interval_end, cum_seconds_before, calendar_inputs_hash
    from {{ ref('int_working_intervals') }}
    {%- if is_incremental() %}
    where {{ is_among('user_id', 'select user_id from employees') }}
    {%- endif %}
),

-- An interval cut at every UTC midnight; cum_end = W at the end of the piece, in microseconds (exact).
pieces as (
    select
        i.user_id,
        b.bucket,
        greatest(i.interval_start, b.bucket) as piece_start,
        least(i.interval_end, b.bucket + interval '24 hours') as piece_end,
        (
            (i.cum_seconds_before
             + extract(epoch from least(i.interval_end, b.bucket + interval '24 hours'))
             - extract(epoch from i.interval_start)) * 1000000
        )::bigint as cum_end_us,
        (
            (i.cum_seconds_before
             + extract(epoch from greatest(i.interval_start, b.bucket))
             - extract(epoch from i.interval_start)) * 1000000
        )::bigint as cum_start_us
    from intervals as i
    cross join lateral generate_series(
        {{ working_time_bucket('i.interval_start') }},
        i.interval_end - interval '1 microsecond',
        interval '24 hours'
    ) as b (bucket)
),

-- anchor = start - W(start) as an instant; a microsecond interval has no day part, so no time zone applies.
anchored as (
    select
        user_id,
        bucket,
        piece_start,
        piece_end,
        cum_end_us,
        piece_start - cum_start_us * interval '1 microsecond' as anchor,
        row_number() over (partition by user_id, bucket order by piece_start) as slot
    from pieces
),

per_bucket as (
    select
        user_id,
        bucket,
        max(cum_end_us) as cum_end_us,
        min(piece_start) filter (where slot = 1) as start_1,
        min(piece_end) filter (where slot = 1) as end_1,
        min(anchor) filter (where slot = 1) as anchor_1,
        min(piece_start) filter (where slot = 2) as start_2,
        min(piece_end) filter (where slot = 2) as end_2,
        min(anchor) filter (where slot = 2) as anchor_2,
        array_agg(piece_start order by slot) filter (where slot > 2) as more_starts,
        array_agg(piece_end order by slot) filter (where slot > 2) as more_ends,
        array_agg(anchor order by slot) filter (where slot > 2) as more_anchors
    from anchored
    group by user_id, bucket
),

grid as (
    select u.user_id, u.calendar_inputs_hash, b.bucket
    from (
        select user_id, min(calendar_inputs_hash) as calendar_inputs_hash from intervals group by user_id
    ) as u
    cross join range_ as r
    cross join lateral generate_series(r.first_bucket, r.last_bucket, interval '24 hours') as b (bucket)
),

filled as (
    select
        g.user_id,
        g.bucket,
        g.calendar_inputs_hash,
        -- W at the bucket's start: the end of the last piece before it
        coalesce(
            max(p.cum_end_us) over (
                partition by g.user_id order by g.bucket rows between unbounded preceding and 1 preceding
            ),
            0
        ) as cum_before_us,
        p.cum_end_us,
        p.start_1,
        p.end_1,
        p.anchor_1,
        p.start_2,
        p.end_2,
        p.anchor_2,
        p.more_starts,
        p.more_ends,
        p.more_anchors
    from grid as g
    left join per_bucket as p on p.user_id = g.user_id and p.bucket = g.bucket
),

final as (
    select
        -- ids
        user_id,
        bucket,

        -- slot 1 (a day without work: zero length at the bucket's start, W constant)
        coalesce(start_1, bucket) as start_1,
        coalesce(end_1, bucket) as end_1,
        coalesce(anchor_1, bucket - cum_before_us * interval '1 microsecond') as anchor_1,

        -- slot 2 (none: starts and ends at the bucket's end, W there = W at the end of slot 1)
        coalesce(start_2, bucket + interval '24 hours') as start_2,
        coalesce(end_2, bucket + interval '24 hours') as end_2,
        coalesce(
            anchor_2, bucket + interval '24 hours' - coalesce(cum_end_us, cum_before_us) * interval '1 microsecond'
        ) as anchor_2,

        -- slots 3 and later, rare (NULL when the day has at most two pieces)
        more_starts,
        more_ends,
        more_anchors,

        -- the fingerprint of the inputs the row was derived from (int_working_intervals')
        calendar_inputs_hash
    from filled
)

select * from final
