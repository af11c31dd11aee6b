{#- Report 1 and report 2 per employee over any period (both ends inclusive), from the additive daily marts:
    the numbers `b24ops report` and the morning digests print. Created by the post-hooks of the daily marts
    they read, next to marts.manager_deal_backlog(from, to) and marts.manager_call_patterns(from, to). An
    employee without a day of data in the period has no row. marts.department_deal_handling and
    marts.department_call_traffic(from, to, manager ids) give the same per department of the daily rows:
    the subtotal rows `b24ops report` prints above the managers, equal to the dashboards' "Department
    total" rows (which pass the same SUM()s to the same formula functions). -#}

{% macro create_deal_handling_function(daily_deals) %}
{{ create_metric_functions(daily_deals.schema,
    ['average_response_working_minutes', 'average_response_incl_untouched']) }}
create or replace function {{ daily_deals.schema }}.manager_deal_handling(p_from date, p_to date)
returns table (
    manager_id bigint, deals_created bigint, deals_touched bigint, deals_untouched bigint,
    avg_response_working_minutes numeric, avg_response_incl_untouched numeric
)
language sql stable as $function$
{{ deal_handling_sums(daily_deals, 'manager_id') }}
$function$;
{#- the department subtotals of the managers given (the per-manager tables' "Department total" rows): the
    same sums and formulas per department of the daily rows, as the dashboards' subtotal datasets group -#}
create or replace function {{ daily_deals.schema }}.department_deal_handling(
    p_from date, p_to date, p_manager_ids bigint[]
)
returns table (
    department_id bigint, deals_created bigint, deals_touched bigint, deals_untouched bigint,
    avg_response_working_minutes numeric, avg_response_incl_untouched numeric
)
language sql stable as $function$
{{ deal_handling_sums(daily_deals, 'department_id', 'and manager_id = any(p_manager_ids)') }}
$function$;
{% endmacro %}

{% macro deal_handling_sums(daily_deals, key, condition='') %}
select
    {{ key }}::bigint,
    sum(deals_created)::bigint,
    sum(deals_touched)::bigint,
    sum(deals_untouched)::bigint,
    {{ average_response_working_minutes('sum(response_working_minutes_sum)',
                                        'sum(response_working_minutes_count)') }},
    {{ average_response_incl_untouched('sum(response_working_minutes_sum)',
                                       'sum(pending_working_minutes_sum)', 'sum(deals_created)') }}
from {{ daily_deals }}
where report_date between p_from and p_to {{ condition }}
group by {{ key }}
{% endmacro %}

{% macro create_call_traffic_function(daily_calls) %}
{{ create_metric_functions(daily_calls.schema, ['connect_rate', 'average_talk_seconds']) }}
-- dropped first: `create or replace` cannot change the columns a warehouse built before them returns
drop function if exists {{ daily_calls.schema }}.manager_call_traffic(date, date);
create or replace function {{ daily_calls.schema }}.manager_call_traffic(p_from date, p_to date)
returns table (
    manager_id bigint, {{ call_traffic_columns() }}
)
language sql stable as $function$
{{ call_traffic_sums(daily_calls, 'manager_id') }}
$function$;
{#- the department subtotals of the managers given (the per-manager tables' "Department total" rows) -#}
create or replace function {{ daily_calls.schema }}.department_call_traffic(
    p_from date, p_to date, p_manager_ids bigint[]
)
returns table (
    department_id bigint, {{ call_traffic_columns() }}
)
language sql stable as $function$
{{ call_traffic_sums(daily_calls, 'department_id', 'and manager_id = any(p_manager_ids)') }}
$function$;
{% endmacro %}

{% macro call_traffic_columns() -%}
calls_total bigint, calls_outgoing bigint, calls_outgoing_connected bigint,
    calls_incoming bigint, calls_connected bigint, calls_missed bigint, talk_seconds_connected bigint,
    connect_rate numeric, average_talk_seconds numeric
{%- endmacro %}

{% macro call_traffic_sums(daily_calls, key, condition='') %}
select
    {{ key }}::bigint,
    sum(calls_total)::bigint,
    sum(calls_outgoing)::bigint,
    sum(calls_outgoing_connected)::bigint,
    sum(calls_incoming)::bigint,
    sum(calls_connected)::bigint,
    sum(calls_missed)::bigint,
    sum(talk_seconds_connected)::bigint,
    -- as in marts.manager_call_patterns: the rate unrounded (rounded once, at display), the talk to 0.1 s
    {{ connect_rate('sum(calls_outgoing_connected)', 'sum(calls_outgoing)') }},
    round({{ average_talk_seconds('sum(talk_seconds_connected)', 'sum(calls_connected)') }}, 1)
from {{ daily_calls }}
where report_date between p_from and p_to {{ condition }}
group by {{ key }}
{% endmacro %}

{#- marts.department_subtree(ids): the given departments and every department under them — "a department
    includes its sub-departments", the filter of every report and dashboard (dim_departments holds each
    department's ancestors, itself included, from int_departments_ancestors' walk of the tree). -#}
{% macro create_department_subtree_function(departments) %}
create or replace function {{ departments.schema }}.department_subtree(p_department_ids bigint[])
returns setof bigint
language sql stable as $function$
select department_id::bigint from {{ departments }} where ancestor_department_ids && p_department_ids
$function$;
{% endmacro %}
