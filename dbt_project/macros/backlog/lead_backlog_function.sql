{#- marts.manager_lead_backlog(p_day): report 1's lead backlog at the end of a portal day, per employee
    holding an open lead then — open leads with an overdue activity and open leads without any planned
    activity, counted from the spans of fct_lead_backlog_spans lasting on that day (estimated by the backlog
    rules, docs/metrics.md "Backlog history"; no row: no such lead). -#}
{% macro create_lead_backlog_function(lead_spans) %}
create or replace function {{ lead_spans.schema }}.manager_lead_backlog(p_day date)
returns table (
    manager_id bigint, leads_with_overdue_activities integer, open_leads_without_planned_activities integer
)
language sql stable as $function$
select
    manager_id::bigint,
    count(distinct lead_id) filter (where measure = 'overdue')::integer,
    count(distinct lead_id) filter (where measure = 'unplanned')::integer
from {{ lead_spans }}
where from_date <= p_day and to_date > p_day
group by manager_id
$function$
{% endmacro %}
