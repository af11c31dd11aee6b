{#- The "unassigned" manager: calls without PORTAL_USER_ID and deals without ASSIGNED_BY_ID count under
    this one pseudo-employee (dim_managers' row "Unassigned", no department) instead of dropping out of the
    per-manager totals, so that the rows of a report sum to the portal's totals (docs/metrics.md,
    "Unassigned records"). Bitrix24 user IDs start at 1, so 0 is never a real user. -#}
{% macro unassigned_manager_id() %}0{% endmacro %}

{#- A record's manager for the per-manager marts: its user, or the unassigned manager when it has none. -#}
{% macro manager_or_unassigned(user_id) %}coalesce({{ user_id }}, {{ unassigned_manager_id() }}){% endmacro %}
