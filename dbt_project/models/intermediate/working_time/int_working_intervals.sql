{#- The working time of every employee as disjoint intervals with a running total, so that
    W(user, t) — working seconds from the calendar start to t — is one index probe
    (macros/working_time/working_time.sql). Shifts are merged where they touch (a 24/7 schedule is
    one interval) and absences are cut out with multirange arithmetic.
    The index leads with (user_id, interval_start) for the look-up and carries the two measures it
    reads, so after the VACUUM the probe is an index-only scan (measured on a busy 2-core machine:
    13 instead of 22 µs a probe). A second index leads with (user_id, cum_seconds_before) for the inverse
    (working_time_instant: the instant a running total is reached), a seek instead of a backward walk over
    every interval after the instant (the SLA alerts' due times of old untouched requests); a post-hook
    creates it, so that a warehouse built before it gets it too (macros/create_index_if_missing.sql).
    Incremental per employee (docs/working_time.md): a run re-derives the employees whose rows in
    int_working_days carry a fingerprint (calendar_inputs_hash, absences included) that this table lacks —
    the upstream's fingerprint, not the inputs' current one, so a run of this model alone never stamps new
    inputs on a calendar int_working_days has not re-derived yet. -#}
{{ config(
    materialized='incremental',
    unique_key='user_id',
    indexes=[{'columns': ['user_id', 'interval_start', 'cum_seconds_before', 'interval_seconds']}],
    post_hook=[
        "{{ delete_stale_employees(employee_hashes(ref('int_working_days'))) }}",
        "{{ create_index_if_missing(['user_id', 'cum_seconds_before', 'interval_start', 'interval_seconds']) }}",
        {'sql': 'vacuum analyze {{ this }}', 'transaction': false},
    ],
) }}

with

{% if is_incremental() -%}
-- the employees whose fingerprint in int_working_days this table does not hold (loose index scans)
employees as (
    select upstream.user_id
    from ({{ employee_hashes(ref('int_working_days')) }}) as upstream
    left join ({{ employee_hashes(this) }}) as stored on stored.user_id = upstream.user_id
    where stored.calendar_inputs_hash is distinct from upstream.calendar_inputs_hash
),

{% endif -%}
working_days as materialized (
    select user_id, shift_start, shift_end, calendar_inputs_hash
    from {{ ref('int_working_days') }}
    where is_working_day
    {%- if is_incremental() %}
        and {{ is_among('user_id', 'select user_id from employees') }}
    {%- endif %}
),

absences as (
    select user_id, absent_from, absent_to
    from {{ ref('stg_bitrix24__absences') }}
    where absent_to > absent_from
    {%- if is_incremental() %}
        and {{ is_among('user_id', 'select user_id from employees') }}
    {%- endif %}
),

working_time as (
    select
        user_id,
        range_agg(tstzrange(shift_start, shift_end, '[)')) as working,
        min(calendar_inputs_hash) as calendar_inputs_hash
    from working_days
    where shift_end > shift_start
    group by user_id
),

absent_time as (
    select user_id, range_agg(tstzrange(absent_from, absent_to, '[)')) as absent
    from absences
    group by user_id
),

net_intervals as (
    select
        w.user_id,
        w.calendar_inputs_hash,
        unnest(w.working - coalesce(a.absent, '{}'::tstzmultirange)) as work_interval
    from working_time as w
    left join absent_time as a on a.user_id = w.user_id
),

measured as (
    select
        user_id,
        calendar_inputs_hash,
        lower(work_interval) as interval_start,
        upper(work_interval) as interval_end,
        extract(epoch from upper(work_interval)) - extract(epoch from lower(work_interval)) as interval_seconds
    from net_intervals
),

running as (
    select
        user_id,
        calendar_inputs_hash,
        interval_start,
        interval_end,
        interval_seconds,
        sum(interval_seconds) over (
            partition by user_id order by interval_start rows unbounded preceding
        ) - interval_seconds as cum_seconds_before
    from measured
),

final as (
    select
        -- ids
        user_id,

        -- interval [interval_start, interval_end)
        interval_start,
        interval_end,

        -- measures: seconds are exact (microseconds); minutes = seconds / 60
        interval_seconds,
        cum_seconds_before,
        interval_seconds / 60 as interval_minutes,
        cum_seconds_before / 60 as cum_minutes_before,

        -- the fingerprint of the inputs the row was derived from (int_working_days')
        calendar_inputs_hash
    from running
)

select * from final
