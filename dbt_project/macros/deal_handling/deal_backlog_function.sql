{#- marts.manager_deal_backlog(p_from, p_to): report 1's backlog over any period, per employee with data
    in it (no row: no data — never a 0), from fct_manager_daily_backlog:
      * at the end of the period: the counts of its last day with data (as_of_date; as_of_is_exact says
        whether a run observed that day or it is estimated);
      * the average over the period's working days of the employee (their calendar: int_working_days;
        NULL when they had none), as sum / count of the daily counts;
      * how many of the period's days are exact. -#}
{% macro create_deal_backlog_function(daily_backlog) %}
create or replace function {{ daily_backlog.schema }}.manager_deal_backlog(p_from date, p_to date)
returns table (
    manager_id bigint, as_of_date date, as_of_is_exact boolean,
    deals_with_overdue_activities integer, open_deals_without_planned_activities integer,
    avg_deals_with_overdue_activities numeric, avg_open_deals_without_planned_activities numeric,
    working_days bigint, days bigint, exact_days bigint
)
language sql stable as $function$
select
    manager_id::bigint,
    max(report_date),
    (array_agg(is_exact order by report_date desc))[1],
    (array_agg(deals_with_overdue_activities order by report_date desc))[1],
    (array_agg(open_deals_without_planned_activities order by report_date desc))[1],
    avg(deals_with_overdue_activities) filter (where is_working_day),
    avg(open_deals_without_planned_activities) filter (where is_working_day),
    count(*) filter (where is_working_day),
    count(*),
    count(*) filter (where is_exact)
from {{ daily_backlog }}
where report_date between p_from and p_to
group by manager_id
$function$
{% endmacro %}
