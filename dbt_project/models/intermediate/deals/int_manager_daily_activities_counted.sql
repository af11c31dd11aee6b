{#- Per employee × portal day: completed meetings by their start (meetings_held) and activities planned on
    the day (activities_planned: to-dos, meetings and calls scheduled; telephony's records of calls that
    happened, ORIGIN_ID VI_..., are not plans). Only days with at least one of them have a row. An activity
    without a responsible (RESPONSIBLE_ID null) counts under the unassigned manager, one naming a user the
    portal does not list as an employee under that user (int_users_unknown gives them a manager row), so
    the per-manager rows sum to every activity counted (docs/metrics.md "Records naming an unknown user").
    Which activities count: macros/deal_handling/activity_counts.sql.

    Incremental (delete+insert on report_date): a window run re-counts the days its activity changes can
    move (macros/deal_handling/days_changed_in_window.sql) through the staging table's partial indexes of
    the activities each column counts (stg_bitrix24__activities); the pre-hook empties those days first, so
    a day whose last meeting was deleted loses its row. -#}
{{
    config(
        tags=['partitioned_daily'],
        materialized='incremental',
        unique_key='report_date',
        indexes=[{'columns': ['report_date']}],
        pre_hook="{% if is_incremental() %}delete from {{ this }}
                  where {{ is_among('report_date', activity_days_changed_in_window()) }}{% endif %}",
    )
}}

with

activities as not materialized (
    select * from {{ ref('stg_bitrix24__activities') }}
),

{% if is_incremental() %}
changed_days as (
    {{ activity_days_changed_in_window() }}
),
{% endif %}

meetings as (
    select
        {{ manager_or_unassigned('responsible_id') }} as manager_id,
        start_date as report_date,
        count(*) as meetings_held
    from activities
    where {{ activity_is_meeting_held() }}
    {% if is_incremental() %}
      and {{ is_among('start_date', 'select report_date from changed_days') }}
    {% endif %}
    group by 1, 2
),

planned as (
    select
        {{ manager_or_unassigned('responsible_id') }} as manager_id,
        created_date as report_date,
        count(*) as activities_planned
    from activities
    where {{ activity_is_planned() }}
    {% if is_incremental() %}
      and {{ is_among('created_date', 'select report_date from changed_days') }}
    {% endif %}
    group by 1, 2
),

final as (
    select
        -- keys
        report_date,
        manager_id,

        -- measures
        coalesce(meetings.meetings_held, 0) as meetings_held,
        coalesce(planned.activities_planned, 0) as activities_planned
    from meetings
    full outer join planned using (manager_id, report_date)
)

select * from final
