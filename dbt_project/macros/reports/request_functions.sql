{#- Report 1 per request and the lead outcomes per employee over any period (both ends inclusive): the
    numbers `b24ops report requests|leads` print, written once here like report_functions.sql. Created by
    the post-hooks of the marts they read (managerControl_Request, fct_manager_daily_leads), next to
    marts.manager_lead_backlog(day). An employee without a request or lead in the period has no row.
    marts.department_request_handling and marts.department_lead_outcomes(from, to, manager ids) give the
    same per department: the subtotal rows `b24ops report requests|leads` prints above the managers (the
    same sums and formulas, grouped by department instead of manager). -#}

{#- The chains created in the period, as cohorts like the deals (one row per chain); the averages are the
    deals' formulas (metric_formulas.sql) over the chains' sums. -#}
{% macro create_request_handling_function(requests) %}
create or replace function {{ requests.schema }}.manager_request_handling(p_from date, p_to date)
returns table (
    manager_id bigint, {{ request_handling_columns() }}
)
language sql stable as $function$
{{ request_handling_sums(requests, 'manager_id') }}
$function$;
{#- the department subtotals of the managers given: the chains' department (their responsible's) -#}
create or replace function {{ requests.schema }}.department_request_handling(
    p_from date, p_to date, p_manager_ids bigint[]
)
returns table (
    department_id bigint, {{ request_handling_columns() }}
)
language sql stable as $function$
{{ request_handling_sums(requests, 'department_id', 'and manager_id = any(p_manager_ids)') }}
$function$;
{% endmacro %}

{% macro request_handling_columns() -%}
requests_created bigint, arrived_as_leads bigint, requests_touched bigint,
    requests_untouched bigint, avg_response_working_minutes numeric, avg_response_incl_untouched numeric
{%- endmacro %}

{% macro request_handling_sums(requests, key, condition='') %}
select
    {{ key }}::bigint,
    count(*)::bigint,
    (count(*) filter (where lead_id is not null))::bigint,
    (count(*) filter (where not is_untouched))::bigint,
    (count(*) filter (where is_untouched))::bigint,
    {{ average_response_working_minutes('sum(response_working_minutes)', 'count(response_working_minutes)') }},
    {{ average_response_incl_untouched('coalesce(sum(response_working_minutes), 0)',
                                       'coalesce(sum(pending_working_minutes), 0)', 'count(*)') }}
from {{ requests }}
where created_date between p_from and p_to {{ condition }}
group by {{ key }}
{% endmacro %}

{#- The leads created in the period and how they stand at the data's snapshot (additive daily rows). -#}
{% macro create_lead_outcomes_function(daily_leads) %}
create or replace function {{ daily_leads.schema }}.manager_lead_outcomes(p_from date, p_to date)
returns table (
    manager_id bigint, {{ lead_outcome_columns() }}
)
language sql stable as $function$
{{ lead_outcome_sums(daily_leads, 'daily.manager_id') }}
$function$;
{#- the department subtotals of the managers given. The daily rows hold no department: the manager's
    (dim_managers, as the report's rows show it). PL/pgSQL, as the digest's functions, so that this mart's
    post-hook can create it whether or not dbt has built dim_managers yet (the body is checked when called). -#}
create or replace function {{ daily_leads.schema }}.department_lead_outcomes(
    p_from date, p_to date, p_manager_ids bigint[]
)
returns table (
    department_id bigint, {{ lead_outcome_columns() }}
)
language plpgsql stable as $function$
begin
return query
{{ lead_outcome_sums(daily_leads, 'managers.department_id',
    'and daily.manager_id = any(p_manager_ids)',
    'inner join ' ~ daily_leads.schema ~ '.dim_managers as managers on managers.manager_id = daily.manager_id') }};
end
$function$;
{% endmacro %}

{% macro lead_outcome_columns() -%}
leads_created bigint, leads_converted bigint, leads_junk bigint, leads_in_work bigint
{%- endmacro %}

{#- columns qualified (daily.): in PL/pgSQL the function's output columns are variables of the same names -#}
{% macro lead_outcome_sums(daily_leads, key, condition='', join='') %}
select
    {{ key }}::bigint,
    sum(daily.leads_created)::bigint,
    sum(daily.leads_converted)::bigint,
    sum(daily.leads_junk)::bigint,
    sum(daily.leads_in_work)::bigint
from {{ daily_leads }} as daily
{{ join }}
where daily.created_date between p_from and p_to {{ condition }}
group by {{ key }}
{% endmacro %}
