{#- Report 1 per request and the lead outcomes per employee over any period (both ends inclusive): the
    numbers `b24ops report requests|leads` print, written once here like report_functions.sql. Created by
    the post-hooks of the marts they read (managerControl_Request, fct_manager_daily_leads), next to
    marts.manager_lead_backlog(day). An employee without a request or lead in the period has no row. -#}

{#- The chains created in the period, as cohorts like the deals (one row per chain); the averages are the
    deals' formulas (metric_formulas.sql) over the chains' sums. -#}
{% macro create_request_handling_function(requests) %}
create or replace function {{ requests.schema }}.manager_request_handling(p_from date, p_to date)
returns table (
    manager_id bigint, requests_created bigint, arrived_as_leads bigint, requests_touched bigint,
    requests_untouched bigint, avg_response_working_minutes numeric, avg_response_incl_untouched numeric
)
language sql stable as $function$
select
    manager_id::bigint,
    count(*)::bigint,
    (count(*) filter (where lead_id is not null))::bigint,
    (count(*) filter (where not is_untouched))::bigint,
    (count(*) filter (where is_untouched))::bigint,
    {{ average_response_working_minutes('sum(response_working_minutes)', 'count(response_working_minutes)') }},
    {{ average_response_incl_untouched('coalesce(sum(response_working_minutes), 0)',
                                       'coalesce(sum(pending_working_minutes), 0)', 'count(*)') }}
from {{ requests }}
where created_date between p_from and p_to
group by manager_id
$function$;
{% endmacro %}

{#- The leads created in the period and how they stand at the data's snapshot (additive daily rows). -#}
{% macro create_lead_outcomes_function(daily_leads) %}
create or replace function {{ daily_leads.schema }}.manager_lead_outcomes(p_from date, p_to date)
returns table (
    manager_id bigint, leads_created bigint, leads_converted bigint, leads_junk bigint, leads_in_work bigint
)
language sql stable as $function$
select
    manager_id::bigint,
    sum(leads_created)::bigint,
    sum(leads_converted)::bigint,
    sum(leads_junk)::bigint,
    sum(leads_in_work)::bigint
from {{ daily_leads }}
where created_date between p_from and p_to
group by manager_id
$function$;
{% endmacro %}
