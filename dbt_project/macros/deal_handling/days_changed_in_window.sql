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
    every untouched deal (its pending minutes grow with the snapshot), deals the sweep deleted; and the
    snapshot day, whose backlog columns the run writes. -#}
{% macro deal_days_changed_in_window() -%}
    -- two selects, not "is_untouched or deal_id in (…)": an OR keeps PostgreSQL from a semi-join, and
    -- once the changed set outgrows work_mem the IN is re-run for every deal
    select created_date as report_date
    from {{ ref('managerControl_Deal') }}
    where is_untouched
    union
    select created_date
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
