{#- The morning digest's two SQL functions (orchestration/alerts/digest.py reads them; rules in
    docs/metrics.md, "Morning digest"). PL/pgSQL so that they can be created by one mart's post-hook while
    reading marts dbt may build after it (the body is checked when called, not when created). -#}

{#- marts.department_headline(day, department ids): the headline numbers of `day` for the managers of the
    department trees (marts.department_subtree, as `b24ops report` slices) against the same weekday of the
    4 previous weeks: counts are averaged per day the marts hold (a day before the history is not a zero),
    ratios are the formula over the pooled sums of those days (never an average of daily ratios).
    Counts' baselines are rounded to 0.1, the average response to 0.1 working minute, the connect rate to
    4 decimals (as report 2); change_percent is (value − baseline) / baseline × 100 to 0.1, NULL without a
    baseline or when it is 0. A rate comes with the two sums it divides (the connect rate: outgoing connected
    and outgoing attempts), for the day and for the 4 weeks pooled, so that the digest prints "42.0 % (21 of
    50 outgoing)" as report 2 shows its columns; NULL for the other metrics.
    Dropped first: create or replace cannot change a function's columns (an older warehouse has 4). -#}
{% macro create_department_headline_function(daily_calls) %}
{%- set schema = daily_calls.schema -%}
drop function if exists {{ schema }}.department_headline(date, bigint[]);
create function {{ schema }}.department_headline(p_day date, p_department_ids bigint[])
returns table (
    metric text, day_value numeric, baseline numeric, change_percent numeric,
    day_numerator numeric, day_denominator numeric, baseline_numerator numeric, baseline_denominator numeric
)
language plpgsql stable as $function$
begin
return query
with
managers as (
    select managers.manager_id from {{ schema }}.dim_managers as managers
    where managers.department_id in (select {{ schema }}.department_subtree(p_department_ids))
),
days as (
    select p_day as report_date, true as is_day
    union all
    select p_day - 7 * weeks, false from generate_series(1, 4) as weeks
),
deals as (
    select days.is_day, count(distinct daily.report_date) as days_held,
        sum(daily.deals_created) as created,
        sum(daily.response_working_minutes_sum) as response_sum,
        sum(daily.pending_working_minutes_sum) as pending_sum
    from {{ schema }}.fct_manager_daily_deals as daily
    inner join days on days.report_date = daily.report_date
    where daily.manager_id in (select manager_id from managers)
    group by days.is_day
),
calls as (
    select days.is_day, count(distinct daily.report_date) as days_held,
        sum(daily.calls_total) as total,
        sum(daily.calls_outgoing_connected) as outgoing_connected,
        sum(daily.calls_outgoing) as outgoing
    from {{ schema }}.fct_manager_daily_calls as daily
    inner join days on days.report_date = daily.report_date
    where daily.manager_id in (select manager_id from managers)
    group by days.is_day
),
headline as (
    select 1 as position, 'deals_created' as name,
        coalesce((select created::numeric from deals where is_day), 0) as value,
        round((select created::numeric / days_held from deals where not is_day), 1) as base,
        null::numeric as value_top, null::numeric as value_bottom,
        null::numeric as base_top, null::numeric as base_bottom
    union all
    select 2, 'avg_response_incl_untouched',
        (select round({{ schema }}.average_response_incl_untouched(response_sum, pending_sum, created), 1)
         from deals where is_day),
        (select round({{ schema }}.average_response_incl_untouched(response_sum, pending_sum, created), 1)
         from deals where not is_day),
        null, null, null, null
    union all
    select 3, 'calls_total',
        coalesce((select total::numeric from calls where is_day), 0),
        round((select total::numeric / days_held from calls where not is_day), 1),
        null, null, null, null
    union all
    -- the day without a call is 0 of 0 (no rate); the 4 weeks without a day held have no baseline at all
    select 4, 'connect_rate',
        (select round({{ schema }}.connect_rate(outgoing_connected, outgoing), 4) from calls where is_day),
        (select round({{ schema }}.connect_rate(outgoing_connected, outgoing), 4) from calls where not is_day),
        coalesce((select outgoing_connected::numeric from calls where is_day), 0),
        coalesce((select outgoing::numeric from calls where is_day), 0),
        (select outgoing_connected::numeric from calls where not is_day),
        (select outgoing::numeric from calls where not is_day)
)
select headline.name, headline.value, headline.base,
    round((headline.value - headline.base) * 100 / nullif(headline.base, 0), 1),
    headline.value_top, headline.value_bottom, headline.base_top, headline.base_bottom
from headline
order by headline.position;
end
$function$;
{% endmacro %}

{#- marts.department_untouched(department ids, limit): the requests still untouched (open, no first contact:
    managerControl_Deal's is_untouched and is_open, the set marts.sla_alerts alerts on) of the managers of
    the department trees, the oldest first, at most `limit` of them, each with the total count of them. -#}
{% macro create_department_untouched_function(alerts) %}
{%- set schema = alerts.schema -%}
create or replace function {{ schema }}.department_untouched(p_department_ids bigint[], p_limit integer)
returns table (
    request_type text, request_id bigint, title text, responsible_id bigint, responsible_name text,
    created_at timestamptz, pending_working_minutes numeric, untouched_total bigint
)
language plpgsql stable as $function$
begin
return query
select 'deal'::text, deals.deal_id::bigint, deals.title::text, deals.responsible_id::bigint,
    managers.manager_name::text, deals.created_at, deals.pending_working_minutes::numeric,
    count(*) over ()
from {{ schema }}."managerControl_Deal" as deals
left join {{ schema }}.dim_managers as managers on managers.manager_id = deals.responsible_id
where deals.is_untouched and deals.is_open
  and deals.department_id in (select {{ schema }}.department_subtree(p_department_ids))
order by deals.created_at, deals.deal_id
limit p_limit;
end
$function$;
{% endmacro %}
