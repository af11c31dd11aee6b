{#- The portal days whose per-day report rows a window run must re-compute. Each macro returns one column,
    report_date; the daily models delete and insert those days whole (every manager), so a deal or an
    activity that moved to another manager leaves no stale row behind. Outside an incremental run there is
    no window: callers guard with is_incremental(). -#}

{#- Days of meetings held (START_TIME) and activities planned (CREATED) that the window's activity changes
    can move: activities written, started or created in the window, and activities the sweep deleted. -#}
{% macro activity_days_changed_in_window() -%}
    select distinct days.report_date
    from (
        select start_date, created_date
        from {{ ref('stg_bitrix24__activities') }}
        where {{ in_window('last_updated_at') }}
           or {{ in_window('start_at') }}
        union all
        select {{ portal_date(b24_timestamp("versions.payload ->> 'START_TIME'")) }},
               {{ portal_date(b24_timestamp("versions.payload ->> 'CREATED'")) }}
        from {{ swept_in_window('activities') }}
    ) as changed
    cross join lateral (values (changed.start_date), (changed.created_date)) as days (report_date)
    where days.report_date is not null
{%- endmacro %}

{#- Days of the calls the window holds (a statistic row is stamped with the call's start and written at its
    end: one day of slack, as the calls mart reads), and of calls the sweep deleted. -#}
{% macro call_days_changed_in_window() -%}
    select {{ portal_date('started_at') }} as report_date
    from {{ ref('stg_bitrix24__calls') }}
    where started_at >= {{ window_start() }} - interval '1 day' and started_at < {{ window_end() }}
    union
    select {{ portal_date(b24_timestamp("versions.payload ->> 'CALL_START_DATE'")) }}
    from {{ swept_in_window('calls') }}
{%- endmacro %}

{#- Creation days of the deals whose cohort measures a window run changes: the deals changed in the window,
    deals the sweep deleted; and the snapshot day, whose backlog columns the run writes. The untouched
    deals' days are not among them: only their pending sums move, and the model's post-hook sets those
    (untouched_pending_sums_refreshed below). -#}
{% macro deal_days_changed_in_window() -%}
    select created_date as report_date
    from {{ ref('managerControl_Deal') }}
    where {{ is_among('deal_id', deals_changed_in_window()) }}
    union
    select {{ portal_date(b24_timestamp("versions.payload ->> 'DATE_CREATE'")) }}
    from {{ swept_in_window('deals') }}
    union
    select {{ portal_date(snapshot_at()) }}
{%- endmacro %}

{#- The days whose backlog fct_manager_daily_backlog re-computes in the run: from backlog_window_start() to
    the snapshot day. -#}
{% macro backlog_days_changed_in_window() -%}
    select generate_series(
        {{ backlog_window_start() }}, {{ portal_date(snapshot_at()) }}, interval '1 day'
    )::date as report_date
{%- endmacro %}

{#- Pending minutes of a (manager, creation day) cohort of deals: the sum over its untouched deals, 0 when it
    has none. fct_manager_daily_deals' column and its post-hook below both take it from here. -#}
{% macro cohort_pending_minutes_sum() -%}
coalesce(sum(pending_working_minutes), 0)
{%- endmacro %}

{#- The post-hook of fct_manager_daily_deals. Every untouched deal waits longer at each snapshot, and
    managerControl_Deal re-measured all of them in this run; the days a window run re-computes hold only
    some. On the other days only the pending sum of a cohort with an untouched deal moves: set it from
    managerControl_Deal, where it differs, instead of re-computing every day that holds an untouched deal
    (the whole history, on a portal that leaves deals untouched for ever). A cohort whose deals were all
    touched or moved is among the re-computed days (its deals changed in the window). -#}
{% macro untouched_pending_sums_refreshed() -%}
{%- if is_incremental() %}
update {{ this }} as daily
set pending_working_minutes_sum = cohorts.pending_working_minutes_sum
from (
    select
        {{ manager_or_unassigned('responsible_id') }} as manager_id,
        created_date as report_date,
        {{ cohort_pending_minutes_sum() }} as pending_working_minutes_sum
    from {{ ref('managerControl_Deal') }}
    where is_untouched
    group by 1, 2
) as cohorts
where daily.manager_id = cohorts.manager_id
  and daily.report_date = cohorts.report_date
  and daily.pending_working_minutes_sum is distinct from cohorts.pending_working_minutes_sum
{%- endif %}
{%- endmacro %}
