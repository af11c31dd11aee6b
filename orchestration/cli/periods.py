"""The period a report covers, from the command line's ``--from/--to``, ``--last`` and ``--this-month``.

Every default is counted from ``today`` in the portal's time zone (``orchestration.settings.portal_today``):
the day the marts date their snapshots, so a default period never misses the portal's today (#19 point 1).
"""

from __future__ import annotations

from datetime import date, timedelta

DEFAULT_DAYS = 30  # without --from, --last or --this-month: the last 30 days up to today


class PeriodError(ValueError):
    """Period options that contradict each other; the message names them."""


def report_period(
    today: date,
    *,
    first: date | None = None,
    last: date | None = None,
    days: int | None = None,
    this_month: bool = False,
) -> tuple[date, date]:
    """``(first, last)`` inclusive: ``--from``/``--to`` as given, ``--last N`` the N days ending ``--to``
    (default today), ``--this-month`` the current month up to today; none of them: the last 30 days."""
    if this_month:
        if first or last or days:
            raise PeriodError("--this-month goes alone: not with --from, --to or --last")
        return today.replace(day=1), today
    if first and days:
        raise PeriodError("give --from or --last, not both")
    if days is not None and days < 1:
        raise PeriodError("--last counts days: 1 or more")
    end = last or today
    start = first or end - timedelta(days=(days or DEFAULT_DAYS) - 1)
    if start > end:
        raise PeriodError(f"the period starts ({start}) after it ends ({end})")
    return start, end
