"""Whether the per-manager backlog sums to the portal's: the checks the fixture and emulator tests share.

The backlog history is a set of spans per record and holder (``int_deal_backlog_spans``,
``fct_lead_backlog_spans``); the reports show it per manager row (``dim_managers``, the daily spine). A holder
without a manager row — a former responsible ``user.get`` does not list — drops the days they held from every
per-manager reading (docs/metrics.md "Records naming an unknown user").
"""

from __future__ import annotations

from typing import Any

from orchestration.warehouse.location import WarehouseLocation
from testkit.warehouse import query

# Estimated days (no observed snapshot) where the per-manager rows of fct_manager_daily_backlog do not sum to
# the deals the spans count that day: (day, overdue per manager, overdue deals, unplanned per manager,
# unplanned deals).
DEAL_DAYS_NOT_SUMMING = """
with per_day as (
    select report_date, sum(deals_with_overdue_activities)::bigint as overdue,
           sum(open_deals_without_planned_activities)::bigint as unplanned
    from marts.fct_manager_daily_backlog
    group by report_date
    having not bool_or(is_exact)
),
portal as (
    select per_day.report_date,
           count(distinct spans.deal_id) filter (where spans.measure = 'overdue') as overdue,
           count(distinct spans.deal_id) filter (where spans.measure = 'unplanned') as unplanned
    from per_day
    left join intermediate.int_deal_backlog_spans as spans
        on spans.from_date <= per_day.report_date and spans.to_date > per_day.report_date
    group by per_day.report_date
)
select per_day.report_date, per_day.overdue, portal.overdue, per_day.unplanned, portal.unplanned
from per_day
join portal using (report_date)
where (per_day.overdue, per_day.unplanned) <> (portal.overdue, portal.unplanned)
order by per_day.report_date
"""

# Holders of a deal or lead backlog span that have no manager row.
HOLDERS_WITHOUT_A_ROW = """
select manager_id from intermediate.int_deal_backlog_spans
union
select manager_id from marts.fct_lead_backlog_spans
except
select manager_id from marts.dim_managers
order by 1
"""


def deal_backlog_days_not_summing(location: WarehouseLocation) -> list[tuple[Any, ...]]:
    """The estimated days whose per-manager deal backlog differs from the portal's (none when it sums)."""
    return query(location, DEAL_DAYS_NOT_SUMMING)


def backlog_holders_without_a_row(location: WarehouseLocation) -> list[int]:
    """The holders of a deal or lead backlog span that dim_managers has no row for (none when all count)."""
    return [manager_id for (manager_id,) in query(location, HOLDERS_WITHOUT_A_ROW)]
