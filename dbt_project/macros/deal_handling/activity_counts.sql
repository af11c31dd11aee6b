{#- Which activities count in the per-manager activity measures, one rule for the daily counts
    (int_manager_daily_activities_counted) and for the users they name (int_users_unknown: a user whose
    activities count gets a manager row even when user.get does not list them). Columns of
    stg_bitrix24__activities.

    activity_is_meeting_held: a completed meeting (counted on its start day).
    activity_is_planned: a to-do, a meeting or a call scheduled (counted on its creation day); telephony's
    records of calls that happened (ORIGIN_ID VI_..., call_id set) are not plans. -#}
{% macro activity_is_meeting_held() -%}
(activity_kind = 'meeting' and is_completed)
{%- endmacro %}

{% macro activity_is_planned() -%}
(activity_kind in ('todo', 'meeting') or (activity_kind = 'call' and call_id is null))
{%- endmacro %}
