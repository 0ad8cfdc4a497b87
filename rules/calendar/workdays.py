"""Which local dates are working days: weekdays, public holidays and make-up working days (调休)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from rules.calendar.config import WEEKDAYS, CalendarConfig


class WorkdayRule:
    """Decides whether a date is a working day; cheap to call repeatedly."""

    def __init__(self, config: CalendarConfig) -> None:
        self._weekdays = frozenset(WEEKDAYS.index(day) for day in config.weekdays)
        self._source = config.holidays
        self._extra_holidays = frozenset(config.extra_holidays)
        self._extra_workdays = frozenset(config.extra_workdays)

    def is_workday(self, day: date) -> bool:
        """Config overrides first, then the holidays package, then the weekday list."""
        if day in self._extra_holidays:
            return False
        if day in self._extra_workdays:
            return True
        if self._source is not None:
            days_off, make_up = public_holidays(self._source, day.year)
            if day in days_off:
                return False
            if day in make_up:
                return True
        return day.weekday() in self._weekdays


@lru_cache(maxsize=256)
def public_holidays(source: str, year: int) -> tuple[frozenset[date], frozenset[date]]:
    """Days off and make-up working days of one year from the ``holidays`` package.

    ``source`` is a country code (``"CN"``) or country and subdivision (``"US-NY"``). The
    package lists make-up weekend working days in ``weekend_workdays`` (China's 调休); years it
    has not published yet have none, which ``extra_workdays`` covers.
    """
    import holidays

    country, _, subdiv = source.partition("-")
    table = holidays.country_holidays(country, subdiv=subdiv or None, years=year)
    days_off = frozenset(d for d in table if d.year == year)
    make_up = frozenset(d for d in getattr(table, "weekend_workdays", ()) if d.year == year)
    return days_off, make_up
