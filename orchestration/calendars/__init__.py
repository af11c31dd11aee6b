"""Production calendars (moved holidays, working weekends, short days) as an editable dbt seed."""

from orchestration.calendars.production_calendar import CalendarDay, DayType, production_calendar

__all__ = ["CalendarDay", "DayType", "production_calendar"]
